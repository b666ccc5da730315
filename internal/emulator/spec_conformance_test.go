package emulator_test

// The validation harness behind TestConformance: it loads HubSpot's official OpenAPI specs
// once, finds the operation every request targets, and checks the request and the
// emulator's answer (status code, headers and body) against that operation.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// specBaseURL is the server every HubSpot spec declares; requests are matched against the
// specs as if they had been sent there.
const specBaseURL = "https://api.hubapi.com"

// specVersions are the API versions whose specs the conformance test loads.
var specVersions = []string{"2026-09", "2026-03", "v3", "v4"}

// specDir is where HubSpot's specs live: ../shared/hubspot-openapi seen from the repository root.
func specDir() string {
	return filepath.Join("..", "..", "..", "shared", "hubspot-openapi")
}

type specFile struct {
	version string
	name    string
	doc     *openapi3.T
	router  routers.Router
}

type specIndex struct {
	byVersion map[string][]*specFile
}

var (
	specsOnce   sync.Once
	loadedSpecs *specIndex
	specsErr    error
)

// loadSpecs returns the parsed specs, loading them on first use. It skips the test when the
// specs folder is absent (a clone without ../shared).
func loadSpecs(t testing.TB) *specIndex {
	t.Helper()
	idx := specsIfPresent(t)
	if idx == nil {
		t.Skipf("HubSpot OpenAPI specs not found at %s (../shared/hubspot-openapi beside the repository); skipping spec conformance", specDir())
	}
	return idx
}

// specsIfPresent is loadSpecs for tests that also run without the specs: it returns nil
// when the folder is absent.
func specsIfPresent(t testing.TB) *specIndex {
	t.Helper()
	dir := specDir()
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	specsOnce.Do(func() { loadedSpecs, specsErr = readSpecs(dir) })
	if specsErr != nil {
		t.Fatal(specsErr)
	}
	return loadedSpecs
}

func readSpecs(dir string) (*specIndex, error) {
	// The specs declare correlationId as format uuid; kin-openapi checks only the formats it
	// is told about, so register the RFC 9562 pattern to have it checked.
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562))

	idx := &specIndex{byVersion: map[string][]*specFile{}}
	for _, v := range specVersions {
		files, err := filepath.Glob(filepath.Join(dir, v, "*.json"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("no spec files in %s", filepath.Join(dir, v))
		}
		sort.Strings(files)
		for _, f := range files {
			loader := openapi3.NewLoader()
			doc, err := loader.LoadFromFile(f)
			if err != nil {
				return nil, fmt.Errorf("load %s: %w", f, err)
			}
			// Spec-side exclusion: HubSpot's generated examples are not valid against their
			// own schemas (an Error example omits required fields, context examples are
			// strings like "{missingScopes=[scope1, scope2]}" where an object is declared).
			// Examples are documentation only; the schemas themselves are validated.
			if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
				return nil, fmt.Errorf("spec %s is invalid: %w", f, err)
			}
			allowNullLabels(doc)
			router, err := gorillamux.NewRouter(doc)
			if err != nil {
				return nil, fmt.Errorf("router for %s: %w", f, err)
			}
			idx.byVersion[v] = append(idx.byVersion[v], &specFile{version: v, name: filepath.Base(f), doc: doc, router: router})
		}
	}
	return idx, nil
}

// allowNullLabels marks association-type labels nullable. Spec-side exclusion: the specs
// declare label as a plain string, but HubSpot answers an unlabeled (HubSpot-defined) type
// with "label": null, as its documentation's examples show
// (../shared/hubspot/relations.md §2.2: {"category":"HUBSPOT_DEFINED","typeId":279,"label":null}).
// Only this one field of these two schemas is relaxed.
func allowNullLabels(doc *openapi3.T) {
	if doc.Components == nil {
		return
	}
	for _, name := range []string{"AssociationSpecWithLabel", "PublicAssociationDefinitionUserConfiguration"} {
		ref := doc.Components.Schemas[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		if label := ref.Value.Properties["label"]; label != nil && label.Value != nil {
			label.Value.Nullable = true
		}
	}
}

var (
	versionSegment     = regexp.MustCompile(`^(v[34]|\d{4}-\d{2})$`)
	v4ClientSchemaPath = regexp.MustCompile(`^/crm/v4/associations/([^/]+/[^/]+/labels(/[^/]+)?|definitions/.*)$`)
)

// specPath maps a request path onto the spelling the spec uses and names the API version.
func specPath(path string) (version, mapped string) {
	mapped = path
	// Spec-side exclusion: HubSpot's v4 association-schema spec spells its paths
	// /crm/associations/v4/{from}/{to}/labels and /crm/associations/v4/definitions/...,
	// while HubSpot's own Node client calls /crm/v4/associations/... for the same
	// operations. The emulator serves both; the client's spelling is validated against the
	// spec's operation.
	if v4ClientSchemaPath.MatchString(path) {
		mapped = "/crm/associations/v4/" + strings.TrimPrefix(path, "/crm/v4/associations/")
	}
	for _, seg := range strings.Split(strings.TrimPrefix(mapped, "/"), "/") {
		if versionSegment.MatchString(seg) {
			return seg, mapped
		}
	}
	return "", mapped
}

type specMatch struct {
	file   *specFile
	route  *routers.Route
	params map[string]string
}

// find returns every spec operation, across the version's spec files, that the request
// targets. Several files describe the same generic operation (for example every 2026-09
// object file declares /crm/objects/2026-09/{objectType}); the request is checked against
// each of them.
func (idx *specIndex) find(req *http.Request) []specMatch {
	var out []specMatch
	for _, f := range idx.byVersion[specVersionOf(req)] {
		route, params, err := f.router.FindRoute(req)
		if err != nil {
			continue
		}
		out = append(out, specMatch{file: f, route: route, params: params})
	}
	return out
}

func specVersionOf(req *http.Request) string {
	v, _ := specPath(req.URL.Path)
	return v
}

// opTally counts validated operations per version.
type opTally struct {
	mu    sync.Mutex
	ops   map[string]map[string]int // version → "METHOD /template" → validations
	calls map[string]int            // version → validated exchanges
}

func newOpTally() *opTally {
	return &opTally{ops: map[string]map[string]int{}, calls: map[string]int{}}
}

func (o *opTally) add(version string, ops []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ops[version] == nil {
		o.ops[version] = map[string]int{}
	}
	for _, op := range ops {
		o.ops[version][op]++
	}
	o.calls[version]++
}

func (o *opTally) report(t *testing.T) {
	o.mu.Lock()
	defer o.mu.Unlock()
	total := 0
	for _, v := range specVersions {
		ops := make([]string, 0, len(o.ops[v]))
		for op := range o.ops[v] {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		total += len(ops)
		if o.calls[v] == 0 {
			continue
		}
		t.Logf("%s: %d operations (method + spec path) validated in %d request/response exchanges", v, len(ops), o.calls[v])
		if testing.Verbose() {
			for _, op := range ops {
				t.Logf("    %-8s %s", v, op)
			}
		}
	}
	t.Logf("total: %d operations validated", total)
}

// bearerAuth stands in for the specs' security schemes. Spec-side exclusion: the specs model
// private-app tokens as an apiKey header named "private-app"; HubSpot documents and its own
// clients send every token as "Authorization: Bearer <token>" (../shared/hubspot/relations.md
// §7), so any scheme is satisfied by a non-empty bearer token, and by nothing else.
func bearerAuth(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return errors.New("no bearer token in the Authorization header")
	}
	return nil
}

// rateLimitBody is what HubSpot answers a 429 with (../shared/hubspot/objects.md §10.3).
// Spec-side exclusion: the specs declare only the generic Error schema (category required)
// for non-2xx answers, but HubSpot's rate-limit bodies carry errorType and policyName
// instead of category, and HubSpot's Node client retries by reading exactly those fields.
// A 429 is therefore checked against this shape rather than against the spec's Error.
var rateLimitBody = openapi3.NewObjectSchema().
	WithProperty("status", openapi3.NewStringSchema().WithEnum("error")).
	WithProperty("message", openapi3.NewStringSchema()).
	WithProperty("errorType", openapi3.NewStringSchema().WithEnum("RATE_LIMIT")).
	WithProperty("correlationId", openapi3.NewUUIDSchema()).
	WithProperty("policyName", openapi3.NewStringSchema().WithEnum("TEN_SECONDLY_ROLLING", "DAILY", "SECONDLY")).
	WithProperty("groupName", openapi3.NewStringSchema()).
	WithProperty("requestId", openapi3.NewStringSchema())

func init() {
	rateLimitBody.Required = []string{"status", "message", "errorType", "correlationId", "policyName"}
	f := false
	rateLimitBody.AdditionalProperties = openapi3.AdditionalProperties{Has: &f}
}

// exchange is one request as the conformance test makes it.
type exchange struct {
	method string
	path   string // with query
	body   any    // nil: no body; []byte: sent as is; anything else: JSON
	want   int    // expected status code
	// alsoOK lists other acceptable status codes where HubSpot's behaviour is not settled
	// (each use says why).
	alsoOK []int
	noAuth bool // send no Authorization header (and skip the request's security check)
	// header holds extra request headers, such as the emulator's UserHeader
	// extension (sent to the emulator only: HubSpot ignores it).
	header map[string]string
	// invalid marks a request that breaks the spec on purpose (malformed JSON, say): only
	// the answer is checked.
	invalid bool
	// omits names spec-required request fields this request leaves out on purpose; each
	// must be listed in documentedOptional.
	omits []string
}

// documentedOptional are request fields that the specs mark required but that HubSpot
// documents as optional (and whose examples leave out). Spec-side exclusion: a request may
// omit exactly these, and the request check then ignores those "missing" errors and nothing
// else; the emulator must accept such requests as HubSpot does.
var documentedOptional = map[string]string{
	"associations":          "record create: every docs example omits it (../shared/hubspot/objects.md §3.1, relations.md §2.4)",
	"properties":            "batch read and search: docs examples omit it (objects.md §4.4, §6.1)",
	"propertiesWithHistory": "batch read: docs examples omit it (objects.md §4.4)",
	"after":                 "search: the docs call an empty body {} a valid search (objects.md §6.1)",
	"filterGroups":          "search: as for after",
	"limit":                 "search: as for after",
	"sorts":                 "search: as for after",
}

// onlyOmitted reports whether err consists only of "property is missing" errors for the
// named fields.
func onlyOmitted(err error, omits []string) bool {
	leaves := errLeaves(err)
	if len(leaves) == 0 {
		return false
	}
	for _, e := range leaves {
		var se *openapi3.SchemaError
		if !errors.As(e, &se) || se.SchemaField != "required" {
			return false
		}
		ptr := se.JSONPointer()
		if len(ptr) == 0 || !slices.Contains(omits, ptr[len(ptr)-1]) {
			return false
		}
	}
	return true
}

// errLeaves flattens kin-openapi's nested validation errors.
func errLeaves(err error) []error {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		var out []error
		for _, e := range me {
			out = append(out, errLeaves(e)...)
		}
		return out
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) && re.Err != nil {
		return errLeaves(re.Err)
	}
	return []error{err}
}

// specClient sends requests to an emulator over HTTP and checks each exchange against the specs.
type specClient struct {
	t     *testing.T
	base  string
	hc    *http.Client
	token string
	specs *specIndex
	tally *opTally
	seen  *routeSeen
	// header is the last answer's header.
	header http.Header
}

// specHas reports whether the version's specs declare an operation for method and path.
func (c *specClient) specHas(method, path string) bool {
	_, mapped := specPath(path)
	req, err := http.NewRequest(method, specBaseURL+mapped, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return len(c.specs.find(req)) > 0
}

// call performs an exchange and returns the decoded JSON answer (nil for an empty body).
// Any divergence from the specs or from the expected status fails the test.
func (c *specClient) call(method, path string, body any, want int) any {
	c.t.Helper()
	return c.do(exchange{method: method, path: path, body: body, want: want})
}

// newRequest is x's request to url with the JSON body raw (nil: none) and,
// unless x goes without, the client's token.
func (c *specClient) newRequest(x exchange, url string, raw []byte) *http.Request {
	c.t.Helper()
	req, err := http.NewRequest(x.method, url, bytes.NewReader(raw))
	if err != nil {
		c.t.Fatalf("%s %s: %v", x.method, x.path, err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !x.noAuth {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req
}

func (c *specClient) do(x exchange) any {
	c.t.Helper()
	t := c.t
	var raw []byte
	switch b := x.body.(type) {
	case nil:
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatalf("%s %s: encode body: %v", x.method, x.path, err)
		}
	}

	for _, f := range x.omits {
		if _, ok := documentedOptional[f]; !ok {
			t.Fatalf("%s %s: omits %q, which is not a documented-optional field", x.method, x.path, f)
		}
	}

	// The request as the spec sees it.
	version, mapped := specPath(strings.SplitN(x.path, "?", 2)[0])
	query := ""
	if i := strings.IndexByte(x.path, '?'); i >= 0 {
		query = x.path[i:]
	}
	vreq := c.newRequest(x, specBaseURL+mapped+query, raw)
	matches := c.specs.find(vreq)
	if len(matches) == 0 {
		if other, ok := borrowedSpecs[matchTemplate(x.method, vreq.URL.Path)]; ok {
			vreq.URL.Path = strings.Replace(vreq.URL.Path, "/"+version+"/", "/"+other+"/", 1)
			matches = c.specs.find(vreq)
		}
	}
	if len(matches) == 0 {
		t.Fatalf("%s %s: no operation in the %q specs matches this request", x.method, x.path, version)
	}
	auth := bearerAuth
	if x.noAuth {
		// A request sent without a token on purpose (to check the 401) is otherwise checked.
		auth = openapi3filter.NoopAuthenticationFunc
	}
	for _, m := range matches {
		in := &openapi3filter.RequestValidationInput{
			Request:    vreq.Clone(context.Background()),
			PathParams: m.params,
			Route:      m.route,
			Options: &openapi3filter.Options{
				AuthenticationFunc:  auth,
				MultiError:          true,
				SkipSettingDefaults: true,
			},
		}
		in.Request.Body = io.NopCloser(bytes.NewReader(raw))
		if x.invalid {
			continue
		}
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			if len(x.omits) > 0 && onlyOmitted(err, x.omits) {
				continue
			}
			t.Fatalf("%s %s: the test's own request does not conform to %s/%s %s %s:\n%v",
				x.method, x.path, m.file.version, m.file.name, m.route.Method, m.route.Path, err)
		}
	}

	// The real exchange with the emulator.
	req := c.newRequest(x, c.base+x.path, raw)
	for k, v := range x.header {
		req.Header.Set(k, v)
	}
	c.seen.record(x.method, strings.SplitN(x.path, "?", 2)[0])
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", x.method, x.path, err)
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: read answer: %v", x.method, x.path, err)
	}
	c.header = resp.Header
	if resp.StatusCode != x.want && !slices.Contains(x.alsoOK, resp.StatusCode) {
		t.Fatalf("%s %s: status %d, want %d; body: %s", x.method, x.path, resp.StatusCode, x.want, clip(respBody))
	}

	ops := make([]string, 0, len(matches))
	for _, m := range matches {
		ops = append(ops, m.route.Method+" "+m.route.Path)
		if err := checkResponse(m, vreq, raw, resp, respBody); err != nil {
			t.Errorf("%s %s → %d diverges from %s/%s %s %s:\n%v\nbody: %s",
				x.method, x.path, resp.StatusCode, m.file.version, m.file.name, m.route.Method, m.route.Path, err, clip(respBody))
		}
	}
	slices.Sort(ops)
	c.tally.add(version, slices.Compact(ops))

	if len(respBody) == 0 {
		return nil
	}
	var out any
	if err := json.Unmarshal(respBody, &out); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v; body: %s", x.method, x.path, err, clip(respBody))
	}
	return out
}

// checkResponse validates one answer against the operation the request matched.
func checkResponse(m specMatch, vreq *http.Request, reqBody []byte, resp *http.Response, body []byte) error {
	if resp.StatusCode == http.StatusNoContent && len(body) > 0 {
		return fmt.Errorf("204 with a body of %d bytes", len(body))
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return checkRateLimitBody(resp, body)
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: m.params, Route: m.route}
	in.Request.Body = io.NopCloser(bytes.NewReader(reqBody))
	rin := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	var errs []error
	if err := openapi3filter.ValidateResponse(context.Background(), rin); err != nil {
		errs = append(errs, err)
	}
	if resp.StatusCode >= 400 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		errs = append(errs, fmt.Errorf("error answer has Content-Type %q, want application/json", resp.Header.Get("Content-Type")))
	}
	if schema := responseSchema(m.route.Operation, resp.StatusCode); schema != nil && len(body) > 0 {
		var v any
		if err := json.Unmarshal(body, &v); err == nil {
			for _, e := range undeclared(schema, v, "", resp.StatusCode >= 400) {
				errs = append(errs, errors.New(e))
			}
		}
	}
	return errors.Join(errs...)
}

func checkRateLimitBody(resp *http.Response, body []byte) error {
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return fmt.Errorf("429 has Content-Type %q, want application/json", resp.Header.Get("Content-Type"))
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("429 body is not JSON: %w", err)
	}
	return rateLimitBody.VisitJSON(v, openapi3.MultiErrors())
}

// responseSchema returns the schema the spec declares for a status (or the default answer).
func responseSchema(op *openapi3.Operation, status int) *openapi3.Schema {
	if op == nil || op.Responses == nil {
		return nil
	}
	r := op.Responses.Status(status)
	if r == nil {
		r = op.Responses.Default()
	}
	if r == nil || r.Value == nil {
		return nil
	}
	for _, mt := range r.Value.Content {
		if mt.Schema != nil && mt.Schema.Value != nil {
			return mt.Schema.Value
		}
	}
	return nil
}

// undeclared lists fields of v that the schema does not declare. HubSpot's schemas allow
// additional properties by omission, so kin-openapi alone would accept a misspelt field
// ("createdat") or an invented one; the emulator must answer with HubSpot's fields only.
// Documented exception: every real HubSpot error body carries "status":"error", which the
// spec's Error schema omits (../shared/hubspot/objects.md §11.1).
func undeclared(s *openapi3.Schema, v any, at string, isError bool) []string {
	switch val := v.(type) {
	case map[string]any:
		props := map[string]*openapi3.Schema{}
		collectProps(s, props)
		if len(props) == 0 {
			// A map (additionalProperties) or a free-form object: check values against the
			// additionalProperties schema if there is one.
			if ap := s.AdditionalProperties.Schema; ap != nil && ap.Value != nil {
				var out []string
				keys := sortedKeys(val)
				for _, k := range keys {
					out = append(out, undeclared(ap.Value, val[k], at+"/"+k, isError)...)
				}
				return out
			}
			return nil
		}
		var out []string
		for _, k := range sortedKeys(val) {
			ps, ok := props[k]
			if !ok {
				if s.AdditionalProperties.Schema != nil || (s.AdditionalProperties.Has != nil && *s.AdditionalProperties.Has) {
					continue
				}
				if isError && k == "status" && at == "" {
					continue
				}
				out = append(out, fmt.Sprintf("field %s/%s is not declared by the spec", at, k))
				continue
			}
			if ps != nil {
				out = append(out, undeclared(ps, val[k], at+"/"+k, isError)...)
			}
		}
		return out
	case []any:
		if s.Items == nil || s.Items.Value == nil {
			return nil
		}
		var out []string
		for i, item := range val {
			out = append(out, undeclared(s.Items.Value, item, fmt.Sprintf("%s/%d", at, i), isError)...)
		}
		return out
	}
	return nil
}

func collectProps(s *openapi3.Schema, into map[string]*openapi3.Schema) {
	for name, ref := range s.Properties {
		if ref != nil {
			into[name] = ref.Value
		}
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, ref := range group {
			if ref != nil && ref.Value != nil {
				collectProps(ref.Value, into)
			}
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func clip(b []byte) string {
	const max = 2000
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// jget walks decoded JSON by object keys (string) and array indexes (int); it returns nil
// when the path does not exist.
func jget(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k < 0 || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// jstr is jget for a string value ("" when absent or not a string).
func jstr(v any, path ...any) string {
	s, _ := jget(v, path...).(string)
	return s
}

// jlen is the length of the array at path (0 when absent).
func jlen(v any, path ...any) int {
	a, _ := jget(v, path...).([]any)
	return len(a)
}

// specProxy is an http.Handler in front of the emulator that checks every exchange passing
// through it against the specs, for clients the test does not drive itself (HubSpot's Node
// client). Divergences are collected for the test to report.
type specProxy struct {
	specs *specIndex
	tally *opTally
	next  http.Handler

	mu       sync.Mutex
	problems []string
}

func (p *specProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqBody, err := io.ReadAll(r.Body)
	if err != nil {
		p.problem("%s %s: read request: %v", r.Method, r.URL.Path, err)
	}
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	rec := httptest.NewRecorder()
	p.next.ServeHTTP(rec, r)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
	if !strings.HasPrefix(r.URL.Path, "/_emulator/") {
		p.check(r, reqBody, rec.Result(), rec.Body.Bytes())
	}
}

func (p *specProxy) problem(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

func (p *specProxy) check(r *http.Request, reqBody []byte, resp *http.Response, body []byte) {
	version, mapped := specPath(r.URL.Path)
	target := specBaseURL + mapped
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	vreq, err := http.NewRequest(r.Method, target, bytes.NewReader(reqBody))
	if err != nil {
		p.problem("%s %s: %v", r.Method, r.URL.Path, err)
		return
	}
	for _, h := range []string{"Authorization", "Content-Type"} {
		if v := r.Header.Get(h); v != "" {
			vreq.Header.Set(h, v)
		}
	}
	matches := p.specs.find(vreq)
	if len(matches) == 0 {
		p.problem("%s %s: no operation in the %q specs matches this request", r.Method, r.URL.Path, version)
		return
	}
	ops := make([]string, 0, len(matches))
	for _, m := range matches {
		ops = append(ops, m.route.Method+" "+m.route.Path)
		in := &openapi3filter.RequestValidationInput{
			Request: vreq.Clone(context.Background()), PathParams: m.params, Route: m.route,
			Options: &openapi3filter.Options{AuthenticationFunc: bearerAuth, MultiError: true, SkipSettingDefaults: true},
		}
		in.Request.Body = io.NopCloser(bytes.NewReader(reqBody))
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && !onlyOmitted(err, slices.Collect(maps.Keys(documentedOptional))) {
			p.problem("%s %s: the client's request does not conform to %s/%s %s %s:\n%v",
				r.Method, r.URL.Path, m.file.version, m.file.name, m.route.Method, m.route.Path, err)
		}
		if err := checkResponse(m, vreq, reqBody, resp, body); err != nil {
			p.problem("%s %s → %d diverges from %s/%s %s %s:\n%v\nbody: %s",
				r.Method, r.URL.Path, resp.StatusCode, m.file.version, m.file.name, m.route.Method, m.route.Path, err, clip(body))
		}
	}
	slices.Sort(ops)
	p.tally.add(version, slices.Compact(ops))
}
