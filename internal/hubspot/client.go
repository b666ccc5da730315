package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/fanout"
	"github.com/syncd/syncd/internal/governor"
)

// DefaultBaseURL is HubSpot's API root for every version.
const DefaultBaseURL = "https://api.hubapi.com"

// maxBodyBytes caps how much of a successful answer is read.
const maxBodyBytes = 32 << 20

// DefaultConcurrency is the number of requests a Client has in flight at
// most unless Options say otherwise. HubSpot answers in 100-300 ms and the
// professional tier's budget is 17 calls a second: at 300 ms that takes 5
// requests in flight on average, and more while a step has fewer calls
// left than places, so that a sync's pauses between steps can be caught
// up.
const DefaultConcurrency = 8

// NewTransport returns an HTTP transport for a Client with n requests in
// flight: Go's default transport (HTTP/2 over TLS, where one connection
// carries every request) keeping n idle connections to the host for
// HTTP/1.1, so that concurrent requests reuse connections instead of
// opening new ones.
func NewTransport(n int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ForceAttemptHTTP2 = true
	t.MaxIdleConnsPerHost = max(n, 2)
	return t
}

// Options configures a Client.
type Options struct {
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// Token is the private-app token or service key, sent as
	// "Authorization: Bearer". It never appears in an error or a log line.
	Token string
	// Version is the date-versioned API, default DefaultVersion.
	Version string
	// HTTPClient defaults to a client with a 30 s timeout. A client without
	// a Transport gets NewTransport(Concurrency).
	HTTPClient *http.Client
	// Concurrency bounds the requests in flight at once, retries and the
	// governor's waits included; default DefaultConcurrency. HubSpot
	// answers in 100-300 ms, so one request at a time cannot use the rate
	// budget; the governor keeps every request within it however many are
	// in flight.
	Concurrency int
	// Governor paces and retries calls; default: a starter-tier governor.
	Governor *governor.Governor
	// Logger receives one debug line per HTTP call; default: discard.
	Logger logrus.FieldLogger
	// AppVersion is syncd's version, sent as User-Agent "syncd/<AppVersion>";
	// default "dev".
	AppVersion string
}

// Client calls HubSpot's CRM API. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	token   string
	version string
	http    *http.Client
	gov     *governor.Governor
	log     logrus.FieldLogger
	ua      string
	// slots holds one token per request in flight.
	slots chan struct{}

	mu    sync.Mutex
	stats Stats
	// observers see every request (Observe).
	observers fanout.List[Call]
}

// Stats counts the HTTP requests a Client sent.
type Stats struct {
	// Calls counts requests by "METHOD /path/{template}", retries included.
	Calls map[string]int
	// Total is the number of requests sent, retries included.
	Total int
	// Writes counts requests that change data in HubSpot (creates, updates,
	// upserts, archives, association and setup writes), retries included.
	Writes int
	// Retries counts requests sent again after a failed attempt.
	Retries int
}

// New returns a Client. It fails when BaseURL is not an absolute URL. An
// empty Token sends no Authorization header (HubSpot answers 401).
func New(opts Options) (*Client, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("hubspot: base URL %q is not an absolute URL", opts.BaseURL)
	}
	if opts.Version == "" {
		opts.Version = DefaultVersion
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.HTTPClient.Transport == nil {
		hc := *opts.HTTPClient
		hc.Transport = NewTransport(opts.Concurrency)
		opts.HTTPClient = &hc
	}
	if opts.Governor == nil {
		g, err := governor.New(governor.Options{Logger: opts.Logger})
		if err != nil {
			return nil, err
		}
		opts.Governor = g
	}
	if opts.Logger == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		opts.Logger = l
	}
	if opts.AppVersion == "" {
		opts.AppVersion = "dev"
	}
	return &Client{
		base:    base,
		token:   opts.Token,
		version: opts.Version,
		http:    opts.HTTPClient,
		gov:     opts.Governor,
		log:     opts.Logger,
		ua:      "syncd/" + opts.AppVersion,
		slots:   make(chan struct{}, opts.Concurrency),
		stats:   Stats{Calls: map[string]int{}},
	}, nil
}

// Version returns the API version the client speaks.
func (c *Client) Version() string { return c.version }

// Concurrency returns how many requests the client has in flight at most,
// so that callers can fan out as many independent calls.
func (c *Client) Concurrency() int { return cap(c.slots) }

// DailyBlockedUntil returns when HubSpot's daily allowance resets if it is
// spent now (a DAILY 429, or the calls left today down to the governor's
// reserve), so that every call fails with a daily-limit *Error until then;
// otherwise the zero time. It makes no call.
func (c *Client) DailyBlockedUntil() time.Time { return c.gov.DailyBlockedUntil() }

// Stats returns a copy of the request counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Calls = make(map[string]int, len(c.stats.Calls))
	for k, v := range c.stats.Calls {
		s.Calls[k] = v
	}
	return s
}

// String renders the stats one call per line, sorted, for summaries.
func (s Stats) String() string {
	keys := make([]string, 0, len(s.Calls))
	for k := range s.Calls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%d calls (%d writes, %d retries)\n", s.Total, s.Writes, s.Retries)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %5d  %s\n", s.Calls[k], k)
	}
	return b.String()
}

// endpoint describes one HubSpot operation.
type endpoint struct {
	method string
	// template is the path after the version-free prefix, with {name}
	// placeholders, e.g. "/crm/objects/{v}/{objectType}/batch/upsert".
	template string
	write    bool
	search   bool
}

// key is the Stats key of e: method and path template with the version filled in.
func (c *Client) key(e endpoint) string {
	return e.method + " " + strings.ReplaceAll(e.template, "{v}", c.version)
}

// path fills e's template: {v} with the version, then each {name} in order
// with the escaped args.
func (c *Client) path(e endpoint, args ...string) string {
	p := strings.ReplaceAll(e.template, "{v}", url.PathEscape(c.version))
	for _, a := range args {
		i := strings.IndexByte(p, '{')
		j := strings.IndexByte(p, '}')
		if i < 0 || j < i {
			break
		}
		p = p[:i] + url.PathEscape(a) + p[j+1:]
	}
	return p
}

// do sends one operation through the governor and decodes a 2xx JSON answer
// into out (when out is not nil). Every failure is an *Error, a ctx error,
// or a transport error whose text is free of the token.
func (c *Client) do(ctx context.Context, e endpoint, path string, query url.Values, body, out any) (int, error) {
	var (
		payload []byte
		err     error
	)
	if body != nil {
		if payload, err = json.Marshal(body); err != nil {
			return 0, fmt.Errorf("hubspot: encode %s: %w", c.key(e), err)
		}
	}
	// path is escaped; Path holds the decoded form and RawPath the escaped
	// one, so IDs with reserved characters reach HubSpot intact.
	u := *c.base
	u.RawPath = c.base.EscapedPath() + path
	if u.Path, err = url.PathUnescape(u.RawPath); err != nil {
		return 0, fmt.Errorf("hubspot: bad path %q: %w", path, err)
	}
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	target := u.String()
	budget := governor.Burst
	if e.search {
		budget = governor.Search
	}
	attempts := 0
	start := time.Now()
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-c.slots }()
	resp, err := c.gov.Do(ctx, budget, func(ctx context.Context) (*http.Response, error) {
		attempts++
		c.count(e, attempts > 1)
		var rd io.Reader
		if payload != nil {
			rd = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, e.method, target, rd)
		if err != nil {
			return nil, err
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", c.ua)
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		sent := time.Now()
		resp, err := c.http.Do(req)
		c.observe(e, attempts, sent, resp, err)
		return resp, err
	})
	fields := logrus.Fields{"call": c.key(e), "attempts": attempts, "elapsed": time.Since(start).Round(time.Millisecond)}
	if err != nil {
		var le *governor.LimitError
		if errors.As(err, &le) {
			herr := &Error{
				Method: e.method, Path: path, StatusCode: http.StatusTooManyRequests,
				ErrorType: "RATE_LIMIT", Policy: le.Policy, Message: le.Error(), RetryAt: le.Until,
			}
			c.log.WithFields(fields).WithField("status", herr.StatusCode).Debug("hubspot call refused by the governor")
			return 0, herr
		}
		err = c.redact(err)
		c.log.WithFields(fields).WithField("error", err.Error()).Debug("hubspot call failed")
		if ctx.Err() != nil {
			return 0, err
		}
		return 0, fmt.Errorf("hubspot: %s %s: %w", e.method, path, err)
	}
	defer resp.Body.Close()
	fields["status"] = resp.StatusCode
	if err := CheckResponse(resp); err != nil {
		var herr *Error
		if errors.As(err, &herr) {
			herr.Method, herr.Path = e.method, path
			c.scrub(herr)
		}
		c.log.WithFields(fields).WithField("error", err.Error()).Debug("hubspot call failed")
		return resp.StatusCode, err
	}
	c.log.WithFields(fields).Debug("hubspot call")
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return resp.StatusCode, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("hubspot: %s %s: read answer: %w", e.method, path, c.redact(err))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return resp.StatusCode, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return resp.StatusCode, fmt.Errorf("hubspot: %s %s: decode answer (HTTP %d): %w", e.method, path, resp.StatusCode, err)
	}
	c.scrubItems(out)
	return resp.StatusCode, nil
}

// wireArchivable is an entry of a list answer's results[] that HubSpot may
// mark archived (pipelines, property groups).
type wireArchivable interface{ archived() bool }

// listResults calls e, a GET of a list, at path and returns the entries of
// its answer's results[], each converted by conv. Entries marked archived
// (a wireArchivable) are left out.
func listResults[W, T any](ctx context.Context, c *Client, e endpoint, path string, conv func(W) T) ([]T, error) {
	var out struct {
		Results []W `json:"results"`
	}
	if _, err := c.do(ctx, e, path, nil, nil, &out); err != nil {
		return nil, err
	}
	list := make([]T, 0, len(out.Results))
	for _, w := range out.Results {
		if a, ok := any(w).(wireArchivable); ok && a.archived() {
			continue
		}
		list = append(list, conv(w))
	}
	return list, nil
}

// create sends body to e, a create call, at path and returns what HubSpot
// stored, converted by conv.
func create[W, T any](ctx context.Context, c *Client, e endpoint, path string, body any, conv func(W) T) (*T, error) {
	var out W
	if _, err := c.do(ctx, e, path, nil, body, &out); err != nil {
		return nil, err
	}
	created := conv(out)
	return &created, nil
}

func (c *Client) count(e endpoint, retry bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Calls[c.key(e)]++
	c.stats.Total++
	if e.write {
		c.stats.Writes++
	}
	if retry {
		c.stats.Retries++
	}
}

// redactedError hides the token in an error's text and keeps the error
// chain for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (c *Client) redact(err error) error {
	if err == nil || c.token == "" || !strings.Contains(err.Error(), c.token) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), c.token, "[redacted]"), err: err}
}

// scrub removes the token from an error body HubSpot (or a proxy) echoed.
func (c *Client) scrub(e *Error) {
	if c.token == "" {
		return
	}
	r := strings.NewReplacer(c.token, "[redacted]")
	e.Message = r.Replace(e.Message)
	scrubContext(r, e.Context)
	scrubDetails(r, e.Details)
	for i := range e.Items {
		ie := &e.Items[i]
		ie.Message = r.Replace(ie.Message)
		scrubContext(r, ie.Context)
		scrubDetails(r, ie.Details)
	}
}

// scrubItems removes the token from the per-input errors of a 2xx answer
// (a partial batch result), which become BatchResult.Errors, ItemErrors
// and *Error Items.
func (c *Client) scrubItems(out any) {
	if c.token == "" {
		return
	}
	var errs []wireError
	switch o := out.(type) {
	case *wireBatch:
		errs = o.Errors
	case *wireBatchErrors:
		errs = o.Errors
	default:
		return
	}
	r := strings.NewReplacer(c.token, "[redacted]")
	for i := range errs {
		w := &errs[i]
		w.Message = r.Replace(w.Message)
		scrubContext(r, w.Context)
		for j := range w.Errors {
			w.Errors[j].Message = r.Replace(w.Errors[j].Message)
			scrubContext(r, w.Errors[j].Context)
		}
	}
}

func scrubContext(r *strings.Replacer, ctx map[string][]string) {
	for _, vs := range ctx {
		for i := range vs {
			vs[i] = r.Replace(vs[i])
		}
	}
}

func scrubDetails(r *strings.Replacer, ds []ErrorDetail) {
	for i := range ds {
		ds[i].Message = r.Replace(ds[i].Message)
		scrubContext(r, ds[i].Context)
	}
}
