package server

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// Section is a part of the status page that a feature beside the sync adds
// (an inbox of HubSpot changes, say), shown after the built-in sections.
type Section struct {
	// Name names the section's template and is its anchor on the page;
	// unique, lower case.
	Name string
	// Template defines the template Name, typically
	//
	//	{{define "inbox"}}<section id="inbox"><h2>{{.T "inbox.title"}}</h2>
	//	  {{with .Data}}…{{end}}</section>{{end}}
	//
	// It is executed with SectionData. Forms that change something post
	// to routes of their own with {{.CSRF}} in a hidden field "csrf".
	Template string
	// Messages are the section's labels in English and Thai, looked up
	// with {{.T "key"}}.
	Messages Messages
	// Load reads what the section shows, for one request; an error is
	// shown in the section's place.
	Load func(ctx context.Context) (any, error)
}

// SectionData is what a Section's template is executed with.
type SectionData struct {
	translator
	Data any
	Now  time.Time
	CSRF string
}

func (s *Server) parseTemplates() error {
	funcs := template.FuncMap{
		// stateClass is the CSS class of a state's cells.
		"stateClass": func(state string) string { return "s-" + state },
		"rowsOf": func(p *pageData, rows []store.OutboxRow, kind string) rowsData {
			return rowsData{P: p, Rows: rows, Kind: kind}
		},
	}
	t, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return fmt.Errorf("server: page templates: %w", err)
	}
	for _, sec := range s.o.Sections {
		if sec.Name == "" || t.Lookup(sec.Name) != nil {
			return fmt.Errorf("server: section %q: a section needs a name of its own", sec.Name)
		}
		if _, err := t.New(sec.Name + ".src").Parse(sec.Template); err != nil {
			return fmt.Errorf("server: section %q: %w", sec.Name, err)
		}
		if t.Lookup(sec.Name) == nil {
			return fmt.Errorf("server: section %q: its template does not define %q", sec.Name, sec.Name)
		}
		s.msgs.merge(sec.Messages)
	}
	s.pages = t
	return nil
}

// pageData is what templates/page.html is executed with.
type pageData struct {
	translator
	Other    Lang // the language the switch offers
	Now      time.Time
	Version  string
	Ready    Readiness
	Budget   *governor.State
	Backlog  []entityView
	Totals   entityView
	States   []string
	Runs     []runView
	Failed   listView
	Waiting  listView
	Warned   listView
	Lookup   *lookupView
	Entities []string
	Flash    []string
	CSRF     string
	Session  bool // logged in with the token: offer to log out
	Sections []template.HTML
}

type entityView struct {
	Entity                      string
	Counts                      []int // by States
	Total                       int
	Waiting, Warned, InProgress int
	OldestPending               *time.Time
	Retryable                   int // failed and dead rows
}

type listView struct {
	Rows  []store.OutboxRow
	Total int
}

type runView struct {
	store.RunRecord
	Counts runCounts
	Took   time.Duration // when FinishedAt is set
}

// rowsData is what the template "rows" lists: rows of one kind (failed,
// waiting, warned, lookup) on the page P.
type rowsData struct {
	P    *pageData
	Rows []store.OutboxRow
	Kind string
}

// runCounts are the keys of runs.counts (the engine's summary) the page
// shows.
type runCounts struct {
	Rows      int `json:"rows"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
	Dead      int `json:"dead"`
}

type lookupView struct {
	Key, Entity string
	Result      *store.KeyLookup
	Err         string
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	lang := pickLang(w, r)
	ctx := r.Context()
	d := pageData{
		translator: translator{lang: lang, msgs: s.msgs},
		Other:      map[Lang]Lang{English: Thai, Thai: English}[lang],
		Now:        s.o.Now().UTC(),
		Version:    s.o.Version,
		Ready:      s.readiness(ctx, true),
		States:     store.States,
		Entities:   s.o.Entities,
		CSRF:       s.guard.csrf,
		Session:    !local(r),
	}
	if s.o.Budget != nil {
		b := s.o.Budget()
		d.Budget = &b
	}
	q := r.URL.Query()
	if n, err := strconv.Atoi(q.Get("requeued")); err == nil {
		if n == 0 {
			d.Flash = append(d.Flash, d.T("flash.nothing"))
		} else {
			d.Flash = append(d.Flash, d.Tf("flash.requeued", n))
		}
	}
	if n, err := strconv.Atoi(q.Get("skipped")); err == nil && n > 0 {
		d.Flash = append(d.Flash, d.Tf("flash.skipped", n))
	}

	status, err := s.o.Store.Status(ctx, store.StatusQuery{Limit: s.o.Limit, Runs: s.o.Runs})
	if err != nil {
		s.fail(w, r, "read the outbox status", err)
		return
	}
	backlog, err := s.o.Store.Backlog(ctx)
	if err != nil {
		s.fail(w, r, "count the outbox", err)
		return
	}
	d.Backlog, d.Totals = entityViews(backlog, s.o.Entities)
	d.Failed = listView{Rows: status.Rows, Total: status.Counts[store.StateFailed] + status.Counts[store.StateDead]}
	d.Waiting = listView{Rows: status.WaitingRows, Total: status.Waiting}
	d.Warned = listView{Rows: status.WarnedRows, Total: status.Warned}
	for _, run := range status.Runs {
		v := runView{RunRecord: run}
		if run.FinishedAt != nil {
			v.Took = run.FinishedAt.Sub(run.StartedAt)
		}
		_ = json.Unmarshal(run.Counts, &v.Counts) // a run that died has {}
		d.Runs = append(d.Runs, v)
	}
	if key := strings.TrimSpace(q.Get("key")); key != "" {
		d.Lookup = s.lookup(ctx, key, q.Get("entity"))
	}
	for _, sec := range s.o.Sections {
		d.Sections = append(d.Sections, s.renderSection(ctx, sec, d))
	}
	s.render(w, http.StatusOK, "page", &d)
}

// entityViews turns the backlog into one line per entity (the configured
// ones first, 0 where they have no rows) and their totals.
func entityViews(b *store.Backlog, entities []string) ([]entityView, entityView) {
	byEntity := map[string]*entityView{}
	order := slices.Clone(entities)
	get := func(e string) *entityView {
		v := byEntity[e]
		if v == nil {
			v = &entityView{Entity: e, Counts: make([]int, len(store.States))}
			byEntity[e] = v
			if !slices.Contains(order, e) {
				order = append(order, e)
			}
		}
		return v
	}
	for _, e := range entities {
		get(e)
	}
	for _, c := range b.Counts {
		v := get(c.Entity)
		if i := slices.Index(store.States, c.State); i >= 0 {
			v.Counts[i] += c.Rows
		}
		v.Total += c.Rows
		v.Waiting += c.Waiting
		v.Warned += c.Warned
		v.InProgress += c.InProgress
		if c.State == store.StateFailed || c.State == store.StateDead {
			v.Retryable += c.Rows
		}
	}
	total := entityView{Entity: "total", Counts: make([]int, len(store.States))}
	var out []entityView
	for _, e := range order {
		v := byEntity[e]
		if t, ok := b.OldestPending[e]; ok {
			v.OldestPending = &t
			if total.OldestPending == nil || t.Before(*total.OldestPending) {
				total.OldestPending = &t
			}
		}
		for i, n := range v.Counts {
			total.Counts[i] += n
		}
		total.Total += v.Total
		total.Waiting += v.Waiting
		total.Warned += v.Warned
		total.InProgress += v.InProgress
		total.Retryable += v.Retryable
		out = append(out, *v)
	}
	return out, total
}

func (s *Server) lookup(ctx context.Context, key, entity string) *lookupView {
	v := &lookupView{Key: key, Entity: entity}
	var types []store.ObjectType
	entities := []string{entity}
	if t, ok := s.o.ObjectTypes[entity]; ok {
		types = []store.ObjectType{t}
	} else {
		v.Entity, entities = "", s.o.Entities
	}
	res, err := s.o.Store.LookupKey(ctx, key, types, entities)
	if err != nil {
		s.log.WithError(err).Warn("http: ERP key lookup failed")
		v.Err = err.Error()
		return v
	}
	if host := s.uiDomain.Load().(string); host != "" {
		for i := range res.Records {
			res.Records[i].URL = withHost(res.Records[i].URL, host)
		}
	}
	v.Result = res
	return v
}

// withHost replaces the host of a link into HubSpot's UI with the one the
// account names (app-eu1.hubspot.com for accounts hosted in the EU).
func withHost(link, host string) string {
	u, err := url.Parse(link)
	if err != nil || strings.ContainsAny(host, "/?#@") {
		return link
	}
	u.Host = host
	return u.String()
}

func (s *Server) renderSection(ctx context.Context, sec Section, d pageData) template.HTML {
	sd := SectionData{translator: d.translator, Now: d.Now, CSRF: d.CSRF}
	var buf bytes.Buffer
	data, err := sec.Load(ctx)
	if err == nil {
		sd.Data = data
		err = s.pages.ExecuteTemplate(&buf, sec.Name, sd)
	}
	if err != nil {
		s.log.WithError(err).WithField("section", sec.Name).Warn("http: a status page section failed")
		buf.Reset()
		_ = s.pages.ExecuteTemplate(&buf, "section-error", map[string]string{"Name": sec.Name, "Err": err.Error()})
	}
	// The section's own template escaped its data; its output is HTML.
	return template.HTML(buf.String())
}

// render executes a template into a buffer first, so that a failure sends
// a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.WithError(err).WithField("template", name).Error("http: rendering the status page failed")
		http.Error(w, "the status page could not be rendered; see syncd's log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.WithError(err).WithField("path", r.URL.Path).Warn("http: cannot " + what)
	http.Error(w, "syncd cannot "+what+": "+err.Error(), http.StatusServiceUnavailable)
}

// retry requeues one failed or dead row (form field id) or every failed
// and dead row of an entity (entity), then shows the page again.
func (s *Server) retry(w http.ResponseWriter, r *http.Request) {
	if !s.guard.csrfOK(r) {
		http.Error(w, "the form is stale or comes from another site: reload the status page and try again", http.StatusForbidden)
		return
	}
	var sel store.RequeueSelector
	if v := r.PostFormValue("id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			http.Error(w, fmt.Sprintf("retry: row id %q is not a positive number", v), http.StatusBadRequest)
			return
		}
		sel.IDs = []int64{id}
	}
	if e := r.PostFormValue("entity"); e != "" {
		sel.Entity = e
	}
	if sel.IDs == nil && sel.Entity == "" {
		http.Error(w, "retry: name a row (id) or an entity", http.StatusBadRequest)
		return
	}
	res, err := s.o.Store.Requeue(r.Context(), sel)
	if err != nil {
		s.fail(w, r, "requeue rows", err)
		return
	}
	s.log.WithFields(logrus.Fields{
		"remote": r.RemoteAddr, "ids": sel.IDs, "entity": sel.Entity,
		"requeued": len(res.Rows), "replaced": len(res.Replaced), "in_progress": len(res.InProgress),
	}).Info("requeued outbox rows from the status page")
	q := url.Values{}
	q.Set("requeued", strconv.Itoa(len(res.Rows)))
	if n := len(res.Replaced) + len(res.InProgress); n > 0 {
		q.Set("skipped", strconv.Itoa(n))
	}
	http.Redirect(w, r, "/?"+q.Encode()+"#failed", http.StatusSeeOther)
}

type loginData struct {
	translator
	Other Lang
	CSRF  string
	Wrong bool
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, wrong bool) {
	lang := pickLang(w, r)
	s.render(w, status, "login", loginData{
		translator: translator{lang: lang, msgs: s.msgs},
		Other:      map[Lang]Lang{English: Thai, Thai: English}[lang],
		CSRF:       s.guard.csrf, Wrong: wrong,
	})
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if s.guard.allowed(r) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if s.guard.token == "" {
		http.Error(w, "syncd answers only on this machine: set SYNCD_HTTP_TOKEN (or http.token_file) to open it to others", http.StatusForbidden)
		return
	}
	s.renderLogin(w, r, http.StatusOK, false)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.guard.token == "" {
		http.Error(w, "no access token is configured: set SYNCD_HTTP_TOKEN (or http.token_file)", http.StatusForbidden)
		return
	}
	if !s.guard.csrfOK(r) {
		http.Error(w, "the form is stale or comes from another site: reload the page and try again", http.StatusForbidden)
		return
	}
	if !s.guard.tokenMatches(r.PostFormValue("token")) {
		s.log.WithField("remote", r.RemoteAddr).Warn("http: a login gave a wrong access token")
		s.renderLogin(w, r, http.StatusUnauthorized, true)
		return
	}
	s.guard.setSession(w, r)
	s.log.WithField("remote", r.RemoteAddr).Info("http: logged in to the status page")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if !s.guard.csrfOK(r) {
		http.Error(w, "the form is stale or comes from another site: reload the page and try again", http.StatusForbidden)
		return
	}
	clearSession(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// Lang is the page's language.
func (t translator) Lang() Lang { return t.lang }

// Time formats t for the page: UTC, to the second.
func (t translator) Time(at time.Time) string { return at.UTC().Format("2006-01-02 15:04:05 UTC") }

// Entity names an outbox entity in the page's language.
func (t translator) Entity(e string) string { return t.label("entity.", e) }

// State names an outbox state in the page's language.
func (t translator) State(st string) string { return t.label("state.", st) }

func (t translator) label(prefix, v string) string {
	if s := t.T(prefix + v); s != prefix+v {
		return s
	}
	return v
}
