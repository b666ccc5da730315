// Package server is the HTTP endpoint of `syncd run`: the probes, the
// metrics and the status page, for the operators and the non-engineers who
// watch a running syncd.
//
//	GET  /healthz   the process answers (always 200 "ok")
//	GET  /readyz    200 when ready, 503 with the reasons (JSON, Readiness)
//	GET  /metrics   Options.Metrics (internal/metrics)
//	GET  /          the status page; ?key=&entity= looks an ERP key up,
//	                ?lang=th|en switches the language
//	POST /retry     requeue a failed or dead row (id) or an entity's (entity)
//	GET  /login, POST /login, POST /logout   the access token for browsers
//
// It hears of the daemon through Hooks (a daemon.Hooks subscriber): cycles
// for the readiness of the last one, HubSpot's answers for the token, the
// stop. Everything else it reads from the store when asked, so the page is
// as fresh as the database.
//
// # Who gets in
//
// The probes answer everyone (an orchestrator cannot log in); their
// details leave out the underlying errors unless the request may see the
// page. Everything else answers requests from this machine (a loopback
// peer whose request names no forwarded client) and, beyond it, only
// requests with the access token (Options.Token): "Authorization: Bearer
// TOKEN", or the session cookie the login form sets, which is derived from
// the token with a per-process key and so ends with the process. Without a
// token, requests from beyond this machine are refused. The token is never
// written to a page, a log line or an error.
//
// POSTs are protected against cross-site requests twice:
// net/http.CrossOriginProtection refuses them when the browser's
// Sec-Fetch-Site or Origin says another site sent them, and every form
// carries a per-process CSRF token that the handler checks.
//
// # The page
//
// The page is html/template, no JavaScript, no build step: the readiness
// and the rate budget, a lookup from an ERP key to its HubSpot records
// with links into HubSpot (docs/id-map.md; the host follows the account's
// uiDomain), the backlog by entity and state with a retry button per
// entity, the failed and dead rows with their reasons and a retry button
// each, the rows waiting for another row, the rows done with warnings, and
// the last runs. Labels are English and Thai (Messages), chosen by
// ?lang=, then the cookie the switch sets, then Accept-Language.
//
// # Adding a section or a check
//
// A feature beside the sync adds a part of the page and a readiness check
// without editing this package (the inbox of HubSpot changes adds its
// section so, in internal/cli/inbox.go):
//
//	srv, err := server.New(server.Options{
//		...,
//		Sections: []server.Section{{
//			Name: "inbox",
//			Template: `{{define "inbox"}}<section id="inbox"><h2>{{.T "inbox.title"}}</h2>
//			  {{with .Data}}<p>{{$.Tf "inbox.behind" ($.Since .Age)}}</p>{{end}}</section>{{end}}`,
//			Messages: server.Messages{
//				server.English: {"inbox.title": "Changes from HubSpot", "inbox.behind": "%s behind HubSpot"},
//				server.Thai:    {"inbox.title": "การเปลี่ยนแปลงจาก HubSpot", "inbox.behind": "ตามหลัง HubSpot %s"},
//			},
//			Load: func(ctx context.Context) (any, error) { return inbox.Status(ctx) },
//		}},
//		Checks: []server.Check{{Name: "inbox", Run: inbox.Healthy}},
//	})
//
// A section's template gets SectionData: .Data (what Load returned), .T
// and .Tf (labels in the page's language), .Ago and .Since (durations in
// words), .Time, .Now, and .CSRF for forms that post to routes of the
// feature's own (Options.Handlers, which check it with CheckCSRF). Its
// metrics go to internal/metrics (see that package's doc); its labels in
// both languages go into Messages. The CLI's wiring (internal/cli/http.go)
// is where the feature hands both over.
package server
