package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/setup"
)

// The results of a doctor check.
const (
	checkOK      = "ok"
	checkWarning = "warning"
	checkProblem = "problem"
)

// Clock skew against HubSpot's Date header beyond which doctor warns, and
// beyond which it is a problem: the daily allowance resets at midnight in
// the account's time zone on this machine's clock, and the ID map's times
// are this machine's.
const (
	skewWarning = 5 * time.Second
	skewProblem = time.Minute
)

// doctorCheck is one check of `syncd doctor`; its JSON is a contract
// (docs/operations.md).
type doctorCheck struct {
	Check  string `json:"check"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// doctorAccount is the HubSpot account the token belongs to.
type doctorAccount struct {
	PortalID    int64  `json:"portal_id"`
	TimeZone    string `json:"time_zone"`
	Currency    string `json:"currency"`
	AccountType string `json:"account_type"`
	UIDomain    string `json:"ui_domain"`
}

// doctorJSON is the output of `syncd doctor --json`.
type doctorJSON struct {
	Problems int            `json:"problems"`
	Warnings int            `json:"warnings"`
	Account  *doctorAccount `json:"account"`
	Checks   []doctorCheck  `json:"checks"`
}

// ProblemsFoundError reports that `syncd doctor` found problems (exit 4).
type ProblemsFoundError struct{ Problems int }

func (e *ProblemsFoundError) Error() string {
	return fmt.Sprintf("syncd doctor found %d problem(s); each says what to do", e.Problems)
}

func newCmdDoctor(f *Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the setup: config, database, token, scopes, properties, pipelines, limits, clock",
		Long: `Check what syncd needs before it can sync, and say what to do about each
thing that is wrong. Each check is ok, a warning, or a problem:

  config        the config file and the environment load
  database      reachable, and at the migration level this binary needs
  token         HubSpot accepts it: the account's portal ID, time zone, currency
  api version   the HubSpot API version syncd speaks
  scopes        one read per object type syncd writes; a 403 names the scopes
  properties    the ERP-ID property on every object type and the tax ID and
                branch on companies: present, unique where they must be, text
  pipelines     the deal and ticket pipelines and every stage the config maps
  inbox         with inbox.enabled: every property inbox.properties watches
                exists on its object type
  rate budget   the burst limit and today's use of the daily allowance
  clock         this machine's clock against HubSpot's Date header

doctor only reads. It costs about 25 HubSpot calls and writes nothing to
HubSpot; to the database it writes only their count in the shared rate
budget (rate_ledger), as every command that calls HubSpot does. Write
scopes cannot be seen without writing: a missing one stops the first cycle
that writes, naming the scopes.

Exit status 0 when no check is a problem (warnings allowed), 4 when one is.`,
		Example: `  syncd doctor
  syncd doctor --json | jq '.checks[] | select(.status != "ok")'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDoctor(cmd.Context(), f, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the checks as JSON (the contract is in docs/operations.md)")
	return cmd
}

func runDoctor(ctx context.Context, f *Factory, asJSON bool) error {
	d := &doctor{f: f}
	d.run(ctx)
	out := doctorJSON{Account: d.account, Checks: d.checks}
	for _, c := range d.checks {
		switch c.Status {
		case checkProblem:
			out.Problems++
		case checkWarning:
			out.Warnings++
		}
	}
	var err error
	if asJSON {
		err = writeJSON(f.IO.Out, out)
	} else {
		err = writeDoctor(f.IO.Out, out)
	}
	if err != nil {
		return err
	}
	if out.Problems > 0 {
		return &ProblemsFoundError{Problems: out.Problems}
	}
	return nil
}

// doctor runs the checks in order; a check that others depend on (the
// config, the token) stops the ones after it when it fails.
type doctor struct {
	f       *Factory
	checks  []doctorCheck
	account *doctorAccount

	// props are the property definitions the setup check read, by object
	// type, for the inbox check.
	props map[string][]hubspot.Property

	mu    sync.Mutex
	skews []time.Duration
}

func (d *doctor) add(check, status, detail, fix string) {
	d.checks = append(d.checks, doctorCheck{Check: check, Status: status, Detail: detail, Fix: fix})
}

func (d *doctor) run(ctx context.Context) {
	f := d.f
	cfg, err := f.Config()
	if err != nil {
		d.add("config", checkProblem, err.Error(), "correct the config file or the environment variable it names (syncd config shows what loads)")
		return
	}
	src := f.ConfigPath
	if src == "" {
		src, _ = f.LookupEnv("SYNCD_CONFIG")
	}
	if src == "" {
		src = "no file: built-in defaults and the environment"
	}
	d.add("config", checkOK, "loaded ("+src+")", "")
	noToken := cfg.HubSpot.Token.Reveal() == ""
	if noToken {
		d.add("config", checkWarning, "no HubSpot token: syncd works against the built-in emulator, and nothing reaches HubSpot",
			"set HUBSPOT_TOKEN, or hubspot.token_file, to a private app's access token")
	}

	d.database(ctx)

	hs, err := f.HubSpot(ctx)
	if err != nil {
		d.add("token", checkProblem, err.Error(), "check hubspot.base_url and the token settings")
		return
	}
	stop := hs.Observe(d.observe)
	defer stop()
	if !d.token(ctx, hs) {
		return
	}
	if v := hs.Version(); v != hubspot.DefaultVersion {
		d.add("api version", checkWarning, fmt.Sprintf("HubSpot answers API version %s; syncd is built and tested against %s", v, hubspot.DefaultVersion),
			fmt.Sprintf("set hubspot.version = %q unless you need %s", hubspot.DefaultVersion, v))
	} else {
		d.add("api version", checkOK, "HubSpot answers API version "+v, "")
	}
	d.scopes(ctx, hs)
	d.setup(ctx, hs)
	d.inbox(ctx, hs, cfg.Inbox)
	d.budget(ctx, hs)
	d.clock()
}

// inbox checks, when the inbox is on, that every property it watches
// exists on its object type: HubSpot's search leaves out a property it
// does not know without a word, so a misspelt one would never report a
// change. It reuses the property lists the setup check read.
func (d *doctor) inbox(ctx context.Context, hs *hubspot.Client, in config.Inbox) {
	if !in.Enabled {
		return
	}
	reported := 0
	for _, ot := range in.Objects {
		props, ok := d.props[ot]
		var err error
		if !ok {
			props, err = hs.ListProperties(ctx, ot)
		}
		if err != nil {
			d.add("inbox", checkWarning, fmt.Sprintf("could not read the properties of %s: %v", ot, err), "run syncd doctor again")
			reported++
			continue
		}
		known := make(map[string]bool, len(props))
		for _, p := range props {
			known[p.Name] = true
		}
		for _, name := range in.Watched(ot) {
			if !known[name] {
				d.add("inbox", checkProblem, fmt.Sprintf("inbox.properties.%s names %q, which HubSpot's %s do not have: its changes would never be reported", ot, name, ot),
					fmt.Sprintf("correct the name in inbox.properties.%s (HubSpot's internal name, as Settings → Properties shows it) or remove it", ot))
				reported++
			}
		}
	}
	if reported == 0 {
		d.add("inbox", checkOK, fmt.Sprintf("every watched property of %s exists", strings.Join(in.Objects, ", ")), "")
	}
}

func (d *doctor) database(ctx context.Context) {
	cfg, _ := d.f.Config()
	if err := cfg.RequireDatabase(); err != nil {
		d.add("database", checkProblem, err.Error(), "set database.url or SYNCD_DATABASE_URL")
		return
	}
	st, err := d.f.Store(ctx)
	if err != nil {
		d.add("database", checkProblem, err.Error(), "check database.url (or SYNCD_DATABASE_URL) and that PostgreSQL accepts the connection")
		return
	}
	lvl, err := st.SchemaLevel(ctx)
	switch {
	case err != nil:
		d.add("database", checkProblem, "cannot read the schema's migration level: "+err.Error(), "check that PostgreSQL is up and that the database.url user may read the schema")
	case lvl.Current < lvl.Latest:
		d.add("database", checkProblem, fmt.Sprintf("schema %q is at migration %d of %d", cfg.Database.Schema, lvl.Current, lvl.Latest), "run syncd migrate up")
	case lvl.Current > lvl.Latest:
		d.add("database", checkWarning, fmt.Sprintf("schema %q is at migration %d, newer than this binary's %d", cfg.Database.Schema, lvl.Current, lvl.Latest),
			"run the syncd version that migrated the schema")
	default:
		d.add("database", checkOK, fmt.Sprintf("reachable; schema %q at migration %d of %d", cfg.Database.Schema, lvl.Current, lvl.Latest), "")
	}
}

// token reads the account; it reports whether HubSpot accepted the token.
func (d *doctor) token(ctx context.Context, hs *hubspot.Client) bool {
	acc, err := hs.AccountDetails(ctx)
	if err != nil {
		var he *hubspot.Error
		fix := "check hubspot.base_url and the network, then run syncd doctor again"
		if errors.As(err, &he) && (he.StatusCode == http.StatusUnauthorized || he.StatusCode == http.StatusForbidden) {
			fix = "HubSpot refuses the token: copy the access token of the private app again (Settings → Integrations → Private apps) into HUBSPOT_TOKEN or hubspot.token_file"
		}
		d.add("token", checkProblem, err.Error(), fix)
		return false
	}
	d.account = &doctorAccount{PortalID: acc.PortalID, TimeZone: acc.TimeZone, Currency: acc.CompanyCurrency, AccountType: acc.AccountType, UIDomain: acc.UIDomain}
	d.add("token", checkOK, fmt.Sprintf("accepted for portal %d (time zone %s, currency %s, %s)", acc.PortalID, acc.TimeZone, acc.CompanyCurrency, strings.ToLower(acc.AccountType)), "")
	return true
}

// neededScopes are the scopes a private app needs per object type, for
// the fix text: read and write of the records and their properties.
var neededScopes = map[string]string{
	hubspot.Contacts:  "crm.objects.contacts.read, crm.objects.contacts.write, crm.schemas.contacts.read, crm.schemas.contacts.write",
	hubspot.Companies: "crm.objects.companies.read, crm.objects.companies.write, crm.schemas.companies.read, crm.schemas.companies.write",
	hubspot.Deals:     "crm.objects.deals.read, crm.objects.deals.write, crm.schemas.deals.read, crm.schemas.deals.write",
	hubspot.Tickets:   "tickets",
	hubspot.Products:  "crm.objects.products.read, crm.objects.products.write, e-commerce",
	hubspot.LineItems: "crm.objects.line_items.read, crm.objects.line_items.write, e-commerce",
}

// scopes reads one record ID (which need not exist) of every object type
// syncd writes; a 403 says which scopes would do.
func (d *doctor) scopes(ctx context.Context, hs *hubspot.Client) {
	for _, ot := range setup.ObjectTypes {
		_, err := hs.BatchRead(ctx, ot, hubspot.BatchReadRequest{IDs: []string{"1"}})
		var he *hubspot.Error
		switch {
		case err == nil:
			d.add("scopes "+ot, checkOK, "the token may read "+ot, "")
		case errors.As(err, &he) && he.Category == hubspot.CategoryMissingScopes:
			d.add("scopes "+ot, checkProblem, missingScopesDetail(ot, he),
				fmt.Sprintf("in HubSpot, add the scopes syncd needs for %s to the private app (%s), then copy its token again if HubSpot rotated it", ot, neededScopes[ot]))
		case errors.As(err, &he) && he.IsNotFound():
			d.add("scopes "+ot, checkOK, "the token may read "+ot, "")
		default:
			d.add("scopes "+ot, checkWarning, "could not check: "+err.Error(), "run syncd doctor again")
		}
	}
}

// missingScopesDetail says that the token may not read objectType and,
// when HubSpot's MISSING_SCOPES answer names them, the scopes that would
// do: requiredGranularScopes, or requiredScopes in HubSpot's older form
// of the answer.
func missingScopesDetail(objectType string, he *hubspot.Error) string {
	var req []string
	for _, det := range he.Details {
		req = append(req, det.Context["requiredGranularScopes"]...)
		req = append(req, det.Context["requiredScopes"]...)
	}
	if len(req) == 0 {
		return fmt.Sprintf("the token may not read %s: HubSpot names no scope that would do", objectType)
	}
	return fmt.Sprintf("the token may not read %s: HubSpot wants one of %s", objectType, strings.Join(req, ", "))
}

// setup checks the properties and pipelines as `syncd setup` plans them.
func (d *doctor) setup(ctx context.Context, hs *hubspot.Client) {
	cfg, _ := d.f.Config()
	plan, err := setup.Plan(ctx, hs, *cfg)
	var pe *setup.ProblemsError
	if err != nil && !errors.As(err, &pe) {
		d.add("properties", checkProblem, "cannot read the properties and pipelines: "+err.Error(),
			"grant the private app the schema scopes (crm.schemas.*.read, tickets, e-commerce) and run syncd doctor again")
		return
	}
	d.props = plan.Properties
	props, pipes := 0, 0
	for _, c := range plan.Changes {
		switch c.Kind {
		case setup.CreateProperty:
			props++
			d.add("properties", checkProblem, fmt.Sprintf("%s has no property %s (%s)", c.ObjectType, c.Name, c.Detail), "run syncd setup")
		case setup.CreatePipeline, setup.CreateStage:
			pipes++
			d.add("pipelines", checkProblem, fmt.Sprintf("%s: %s does not exist in HubSpot (%s)", c.ObjectType, c.Name, c.Detail),
				"run syncd setup: it creates it, as [setup] create_pipelines is on")
		case setup.CreatePropertyGroup:
			// Created with the properties; a missing group alone stops nothing.
		}
	}
	for _, p := range plan.Problems {
		check := "properties"
		if p.Pipeline {
			check = "pipelines"
			pipes++
		} else {
			props++
		}
		d.add(check, checkProblem, fmt.Sprintf("%s %s: %s", p.ObjectType, p.Name, p.Detail), p.Fix)
	}
	if props == 0 {
		d.add("properties", checkOK, fmt.Sprintf("%s on %s, and %s on companies: present, unique, text",
			cfg.Sync.ERPIDProperty, strings.Join(setup.ObjectTypes, ", "), cfg.Sync.TaxIDProperty), "")
	}
	if pipes == 0 {
		d.add("pipelines", checkOK, fmt.Sprintf("the deal pipeline %q and the ticket pipeline %q exist with every mapped stage (%d and %d statuses)",
			cfg.Deals.Pipeline, cfg.Tickets.Pipeline, len(cfg.Deals.Stages), len(cfg.Tickets.Stages)), "")
	}
}

// budget reports the rate limits: the burst limit as HubSpot's answers to
// doctor's calls told it, and today's use of the daily allowance as
// HubSpot counts it.
func (d *doctor) budget(ctx context.Context, hs *hubspot.Client) {
	st := hs.Governor().State()
	burst := fmt.Sprintf("burst limit %d calls per %s (syncd uses %d)", hs.Governor().Limits().BurstMax, st.Window, st.WindowLimit)
	cfg, _ := d.f.Config()
	if used, limit, reserve, ok := dailyUsage(ctx, hs, cfg); ok {
		st.DailyUsed, st.DailyLimit, st.DailyReserve = used, limit, reserve
	}
	switch {
	case !st.DailyBlockedUntil.IsZero():
		d.add("rate budget", checkProblem, fmt.Sprintf("the daily allowance is spent until %s; %s", st.DailyBlockedUntil.UTC().Format(time.RFC3339), burst),
			"wait for the reset, lower hubspot.daily_reserve, or find the integration that uses the allowance")
	case st.DailyUsed < 0 || st.DailyLimit == 0:
		d.add("rate budget", checkOK, burst+"; HubSpot did not report today's use of the daily allowance", "")
	default:
		room := st.DailyLimit - st.DailyReserve
		detail := fmt.Sprintf("%d of %d daily calls used today (%d kept for other integrations); %s", st.DailyUsed, st.DailyLimit, st.DailyReserve, burst)
		if room > 0 && st.DailyUsed*5 >= room*4 {
			d.add("rate budget", checkWarning, detail, "syncd stops for the day at the reserve: find what uses the allowance, or lower hubspot.daily_reserve")
			return
		}
		d.add("rate budget", checkOK, detail, "")
	}
}

// observe keeps the clock skew each HubSpot answer shows: this machine's
// time at the answer less HubSpot's Date, which is to the second (so half
// a second is taken off).
func (d *doctor) observe(c hubspot.Call) {
	if c.Date.IsZero() {
		return
	}
	d.mu.Lock()
	d.skews = append(d.skews, c.Received.Sub(c.Date)-500*time.Millisecond)
	d.mu.Unlock()
}

func (d *doctor) clock() {
	d.mu.Lock()
	skews := d.skews
	d.mu.Unlock()
	if len(skews) == 0 {
		d.add("clock", checkWarning, "HubSpot's answers carried no Date header to compare the clock with", "make sure the machine's clock is synchronised (NTP)")
		return
	}
	// The smallest skew in size: latency only adds to it.
	best := skews[0]
	for _, s := range skews[1:] {
		if s.Abs() < best.Abs() {
			best = s
		}
	}
	detail := fmt.Sprintf("this machine's clock is %s %s HubSpot's", best.Abs().Round(time.Second), map[bool]string{true: "ahead of", false: "behind"}[best > 0])
	switch {
	case best.Abs() >= skewProblem:
		d.add("clock", checkProblem, detail, "synchronise the clock (NTP: timedatectl set-ntp true, or chrony)")
	case best.Abs() >= skewWarning:
		d.add("clock", checkWarning, detail, "synchronise the clock (NTP: timedatectl set-ntp true, or chrony)")
	default:
		d.add("clock", checkOK, fmt.Sprintf("within %s of HubSpot's", skewWarning), "")
	}
}

// writeDoctor prints the checks for a terminal.
func writeDoctor(w io.Writer, out doctorJSON) error {
	tw := newTable(w)
	for _, c := range out.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Status, c.Check, oneLine(c.Detail))
		if c.Fix != "" {
			fmt.Fprintf(tw, "\t\t→ %s\n", oneLine(c.Fix))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	switch {
	case out.Problems > 0:
		_, err := fmt.Fprintf(w, "\n%d problem(s), %d warning(s): syncd cannot sync as set up.\n", out.Problems, out.Warnings)
		return err
	case out.Warnings > 0:
		_, err := fmt.Fprintf(w, "\nNo problem; %d warning(s).\n", out.Warnings)
		return err
	}
	_, err := fmt.Fprintln(w, "\nNo problem: syncd is ready to sync.")
	return err
}
