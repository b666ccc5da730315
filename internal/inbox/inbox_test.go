package inbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/inbox"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/store"
	"github.com/syncd/syncd/internal/testkit/fakeclock"
	"github.com/syncd/syncd/internal/testkit/hubspottest"
	"github.com/syncd/syncd/internal/testkit/outboxtest"
)

const erpProp = "syncd_erp_id"

// harness is an emulator, a migrated schema and an inbox over both, on a
// fake clock. syncd's writes are simulated: a record written through the
// client and its ID map row with the synced values.
type harness struct {
	t      *testing.T
	clk    *fakeclock.Clock
	emu    *emulator.Server
	url    string
	hs     *hubspot.Client
	db     *pgtest.DB
	st     *store.Store
	in     *inbox.Inbox
	cfg    config.Inbox
	portal int64
}

func newHarness(t *testing.T, tune func(*config.Inbox)) *harness {
	t.Helper()
	h := &harness{t: t, clk: fakeclock.New(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))}
	h.emu = emulator.New(emulator.Options{Tier: "enterprise", Now: h.clk.Now, DisableRateLimits: true, Tokens: []string{hubspottest.Token}})
	srv := httptest.NewServer(h.emu)
	t.Cleanup(srv.Close)
	h.url = srv.URL
	h.hs = hubspottest.Client(t, srv.URL, h.clk)
	cfg := config.Default()
	hubspottest.Setup(t, h.hs, cfg)
	h.db = pgtest.Migrated(t)
	h.st = store.New(h.db.Pool, store.Options{Offset: h.clk.Advanced})
	h.cfg = cfg.Inbox
	h.cfg.Enabled = true
	h.cfg.Objects = []string{hubspot.Deals}
	if tune != nil {
		tune(&h.cfg)
	}
	acc, err := h.hs.AccountDetails(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h.portal = acc.PortalID
	h.in, err = inbox.New(inbox.Options{Store: h.st, HubSpot: h.hs, Config: h.cfg, ERPIDProperty: erpProp,
		Portal: func(context.Context) (int64, error) { return acc.PortalID, nil }, Logger: hubspottest.QuietLogger(), Now: h.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// syncdWrites creates or updates a deal as syncd does and records the
// values in the ID map; it returns the deal's ID.
func (h *harness) syncdWrites(erpID, id string, props map[string]string) string {
	h.t.Helper()
	ctx := context.Background()
	p := map[string]string{erpProp: erpID}
	for k, v := range props {
		p[k] = v
	}
	if id == "" {
		res, err := h.hs.BatchCreate(ctx, hubspot.Deals, []hubspot.CreateInput{{Properties: p}})
		if err != nil {
			h.t.Fatal(err)
		}
		id = res.Results[0].ID
	} else if _, err := h.hs.BatchUpdate(ctx, hubspot.Deals, []hubspot.UpdateInput{{ID: id, Properties: props}}); err != nil {
		h.t.Fatal(err)
	}
	synced := map[string]string{}
	if ms, err := h.st.Mappings(ctx, h.portal, "deal", []string{erpID}); err != nil {
		h.t.Fatal(err)
	} else if m, ok := ms[erpID]; ok {
		synced = m.Properties
	}
	for k, v := range p {
		synced[k] = v
	}
	if err := h.st.SaveMappings(ctx, []store.Mapping{{PortalID: h.portal, ObjectType: "deal", ERPID: erpID, HubSpotID: id, Properties: synced}}); err != nil {
		h.t.Fatal(err)
	}
	return id
}

// userDoes sends a public API request as HubSpot user 42.
func (h *harness) userDoes(method, path string, body any) map[string]any {
	h.t.Helper()
	raw := hubspottest.AsUser(h.t, h.url, "42", method, path, body)
	out := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			h.t.Fatal(err)
		}
	}
	return out
}

func (h *harness) stage(id, stage string) {
	h.t.Helper()
	h.clk.Advance(time.Second)
	h.userDoes("PATCH", "/crm/objects/2026-09/deals/"+id, map[string]any{"properties": map[string]any{"dealstage": stage}})
}

// cycle runs one inbox cycle and returns the rows it wrote as
// "hubspot_id kind erp_id changes".
func (h *harness) cycle() []string {
	h.t.Helper()
	h.clk.Advance(time.Second)
	var last int64
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT coalesce(max(id), 0) FROM inbox`).Scan(&last); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.in.Cycle(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	return outboxtest.Strings(h.t, h.db, `SELECT hubspot_id || ' ' || kind || ' ' || coalesce(erp_id, '-') || ' ' || changes::text
	|| coalesce(' merged ' || array_to_string(merged_ids, ','), '') FROM inbox WHERE id > $1 ORDER BY id`, last)
}

func (h *harness) want(got []string, want ...string) {
	h.t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		h.t.Errorf("inbox rows\n got %q\nwant %q", got, want)
	}
}

var deal = map[string]string{"dealname": "SO-1", "dealstage": "appointmentscheduled", "pipeline": "default", "amount": "100"}

// newHarnessWithDeal returns a harness in which syncd has written deal
// SO-1, and the deal's ID; a first cycle has seen it and reported nothing.
func newHarnessWithDeal(t *testing.T) (*harness, string) {
	t.Helper()
	h := newHarness(t, nil)
	id := h.syncdWrites("SO-1", "", deal)
	h.want(h.cycle())
	return h, id
}

// A value moved away from what syncd wrote and back again is two changes;
// a value syncd writes after a change is its own, and the next change's
// old value.
func TestOldValues(t *testing.T) {
	t.Parallel()
	h, id := newHarnessWithDeal(t)

	h.stage(id, "qualifiedtobuy")
	h.want(h.cycle(), id+` changed SO-1 {"dealstage": {"new": "qualifiedtobuy", "old": "appointmentscheduled"}}`)

	h.stage(id, "appointmentscheduled") // back to what syncd wrote
	h.want(h.cycle(), id+` changed SO-1 {"dealstage": {"new": "appointmentscheduled", "old": "qualifiedtobuy"}}`)

	// syncd writes again: an echo; the next change starts from it.
	h.clk.Advance(time.Second)
	h.syncdWrites("SO-1", id, map[string]string{"dealstage": "contractsent", "amount": "250"})
	h.want(h.cycle())
	h.stage(id, "closedlost")
	h.want(h.cycle(), id+` changed SO-1 {"dealstage": {"new": "closedlost", "old": "contractsent"}}`)

	// syncd's write and a user's change of another property between two
	// polls: only the user's is reported.
	h.clk.Advance(time.Second)
	h.syncdWrites("SO-1", id, map[string]string{"dealstage": "contractsent"})
	h.clk.Advance(time.Second)
	h.userDoes("PATCH", "/crm/objects/2026-09/deals/"+id, map[string]any{"properties": map[string]any{"amount": "300"}})
	h.want(h.cycle(), id+` changed SO-1 {"amount": {"new": "300", "old": "250"}}`)
	// The user changes the amount again after syncd wrote the stage: the
	// old amount is the user's, not the one syncd wrote before.
	h.clk.Advance(time.Second)
	h.syncdWrites("SO-1", id, map[string]string{"dealstage": "decisionmakerboughtin"})
	h.clk.Advance(time.Second)
	h.userDoes("PATCH", "/crm/objects/2026-09/deals/"+id, map[string]any{"properties": map[string]any{"amount": "400"}})
	h.want(h.cycle(), id+` changed SO-1 {"amount": {"new": "400", "old": "300"}}`)
	// A property not watched changes nothing.
	h.clk.Advance(time.Second)
	h.userDoes("PATCH", "/crm/objects/2026-09/deals/"+id, map[string]any{"properties": map[string]any{"description": "called"}})
	h.want(h.cycle())
	// Cleared: the new value is null.
	h.clk.Advance(time.Second)
	h.userDoes("PATCH", "/crm/objects/2026-09/deals/"+id, map[string]any{"properties": map[string]any{"amount": ""}})
	h.want(h.cycle(), id+` changed SO-1 {"amount": {"new": null, "old": "400"}}`)
}

// A change HubSpot's search shows late is read by a later poll, once.
func TestSearchLag(t *testing.T) {
	t.Parallel()
	h, id := newHarnessWithDeal(t)
	cfg := h.emu.Config()
	cfg.SearchLag = emulator.Duration{Duration: 30 * time.Second}
	if err := h.emu.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	h.stage(id, "qualifiedtobuy")
	h.want(h.cycle()) // not in search yet
	h.clk.Advance(40 * time.Second)
	h.want(h.cycle(), id+` changed SO-1 {"dealstage": {"new": "qualifiedtobuy", "old": "appointmentscheduled"}}`)
	h.clk.Advance(time.Minute)
	h.want(h.cycle())
}

// Archived and merged records are their own kinds; syncd's own archive is
// not reported.
func TestArchivedAndMerged(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.syncdWrites("SO-1", "", deal)
	b := h.syncdWrites("SO-2", "", deal)
	c := h.syncdWrites("SO-3", "", deal)
	d := h.syncdWrites("SO-4", "", deal)
	h.want(h.cycle())

	h.clk.Advance(time.Second)
	h.userDoes("DELETE", "/crm/objects/2026-09/deals/"+a, nil)
	// syncd archives SO-4 (an ERP delete) and records it.
	if err := h.hs.BatchArchive(context.Background(), hubspot.Deals, []string{d}); err != nil {
		t.Fatal(err)
	}
	at := h.clk.Now()
	if err := h.st.SaveMappings(context.Background(), []store.Mapping{{PortalID: h.portal, ObjectType: "deal", ERPID: "SO-4", HubSpotID: d, ArchivedAt: &at}}); err != nil {
		t.Fatal(err)
	}
	h.want(h.cycle(), a+` archived SO-1 {}`)
	h.want(h.cycle())

	h.clk.Advance(time.Second)
	m := h.userDoes("POST", "/crm/objects/2026-09/deals/merge", map[string]any{"primaryObjectId": b, "objectIdToMerge": c})
	survivor := m["id"].(string)
	h.want(h.cycle(), survivor+` merged SO-2 {} merged `+b+`,`+c)
	h.want(h.cycle())
}

// A record carrying an ERP key without an ID map row is a sync cycle's
// write not yet recorded: it is not reported, and the watermark waits for
// it; once recorded it is an echo.
func TestSyncWriteNotYetRecorded(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	res, err := h.hs.BatchCreate(context.Background(), hubspot.Deals, []hubspot.CreateInput{{Properties: map[string]string{
		erpProp: "SO-9", "dealname": "SO-9", "dealstage": "appointmentscheduled", "pipeline": "default"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Results[0].ID
	h.clk.Advance(time.Second)
	created := h.userDoes("POST", "/crm/objects/2026-09/deals", map[string]any{"properties": map[string]any{"dealname": "Walk-in", "dealstage": "appointmentscheduled", "pipeline": "default"}})
	walkIn := created["id"].(string)
	h.want(h.cycle(), walkIn+` created - {"pipeline": {"new": "default", "old": null}, "dealstage": {"new": "appointmentscheduled", "old": null}}`)
	// The cycle records its IDs 20 minutes later: past the overlap, but the
	// watermark waited.
	h.clk.Advance(20 * time.Minute)
	if err := h.st.SaveMappings(context.Background(), []store.Mapping{{PortalID: h.portal, ObjectType: "deal", ERPID: "SO-9", HubSpotID: id,
		Properties: map[string]string{erpProp: "SO-9", "dealname": "SO-9", "dealstage": "appointmentscheduled", "pipeline": "default"}}}); err != nil {
		t.Fatal(err)
	}
	h.want(h.cycle())
	h.stage(id, "closedwon")
	h.want(h.cycle(), id+` changed SO-9 {"dealstage": {"new": "closedwon", "old": "appointmentscheduled"}}`)
}

// Consumed rows older than the retention are deleted; unconsumed ones and
// younger ones stay.
func TestRetention(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config.Inbox) { c.Retention = config.Duration{Duration: time.Hour} })
	id := h.syncdWrites("SO-1", "", deal)
	h.cycle()
	for _, s := range []string{"qualifiedtobuy", "contractsent", "closedwon"} {
		h.stage(id, s)
		h.cycle()
	}
	ctx := context.Background()
	// The ERP consumed the first two: one two hours ago, one just now.
	if _, err := h.db.Pool.Exec(ctx, `UPDATE inbox SET consumed_at = now() + $1::interval WHERE id = (SELECT min(id) FROM inbox)`, h.clk.Advanced()-2*time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.Pool.Exec(ctx, `UPDATE inbox SET consumed_at = now() + $1::interval WHERE id = (SELECT min(id) + 1 FROM inbox)`, h.clk.Advanced()); err != nil {
		t.Fatal(err)
	}
	res, err := h.in.Cycle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	left := outboxtest.Strings(t, h.db, `SELECT changes->'dealstage'->>'new' || ' ' || (consumed_at IS NOT NULL) FROM inbox ORDER BY id`)
	if res.Deleted != 1 || fmt.Sprint(left) != "[contractsent true closedwon false]" {
		t.Errorf("after retention: deleted %d, left %v; want 1 deleted, the younger consumed row and the unconsumed one left", res.Deleted, left)
	}
	bs, err := h.st.InboxBacklogs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 1 || bs[0].ObjectType != "deal" || bs[0].Unconsumed != 1 || bs[0].CheckedAt == nil || bs[0].WatermarkAge < 0 || bs[0].WatermarkAge > time.Minute {
		t.Errorf("backlog %+v, want deal with 1 unconsumed row, checked just now", bs)
	}
}

// A record a sync cycle has written but not yet recorded (its outbox row
// is leased, the ID map holds the old values) is not reported: the
// watermark waits until the cycle has recorded it, and it is an echo.
func TestLeasedRowWaits(t *testing.T) {
	t.Parallel()
	h, id := newHarnessWithDeal(t)
	ctx := context.Background()
	var row int64
	if err := h.db.Pool.QueryRow(ctx, `INSERT INTO outbox (entity, erp_id, payload, lease_owner, lease_expires_at)
VALUES ('order', 'SO-1', '{}', 'host:1', now() + $1::interval + interval '5 minutes') RETURNING id`, h.clk.Advanced()).Scan(&row); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(time.Second)
	if _, err := h.hs.BatchUpdate(ctx, hubspot.Deals, []hubspot.UpdateInput{{ID: id, Properties: map[string]string{"dealstage": "closedwon"}}}); err != nil {
		t.Fatal(err)
	}
	h.want(h.cycle())
	// The cycle records the record and ends the lease, past the overlap.
	h.clk.Advance(3 * time.Minute)
	if _, err := h.db.Pool.Exec(ctx, `UPDATE outbox SET state = 'done', lease_owner = NULL, lease_expires_at = NULL WHERE id = $1`, row); err != nil {
		t.Fatal(err)
	}
	synced := map[string]string{erpProp: "SO-1"}
	for k, v := range deal {
		synced[k] = v
	}
	synced["dealstage"] = "closedwon"
	if err := h.st.SaveMappings(ctx, []store.Mapping{{PortalID: h.portal, ObjectType: "deal", ERPID: "SO-1", HubSpotID: id, Properties: synced}}); err != nil {
		t.Fatal(err)
	}
	h.want(h.cycle())
	h.stage(id, "closedlost")
	h.want(h.cycle(), id+` changed SO-1 {"dealstage": {"new": "closedlost", "old": "closedwon"}}`)
}

// createDeals creates n deals in batches of 100 without moving the clock:
// all at one modification time, as an import might. (Its client paces on
// a clock of its own.)
func (h *harness) createDeals(n int) {
	h.t.Helper()
	hs := hubspottest.Client(h.t, h.url, fakeclock.New(h.clk.Now()))
	for i := 0; i < n; i += hubspot.MaxBatchInputs {
		var inputs []hubspot.CreateInput
		for j := i; j < min(i+hubspot.MaxBatchInputs, n); j++ {
			inputs = append(inputs, hubspot.CreateInput{Properties: map[string]string{"dealname": fmt.Sprint("Import ", j), "dealstage": "appointmentscheduled", "pipeline": "default"}})
		}
		if _, err := hs.BatchCreate(context.Background(), hubspot.Deals, inputs); err != nil {
			h.t.Fatal(err)
		}
	}
}

// More records than a page at one modification time are paged through
// within that time, each read once.
func TestManyChangesInOneMillisecond(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.createDeals(650)
	res, err := h.in.Cycle(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := outboxtest.Count(t, h.db, `SELECT count(DISTINCT hubspot_id) FROM inbox WHERE kind = 'created'`)
	times := outboxtest.Count(t, h.db, `SELECT count(DISTINCT modified_at) FROM inbox`)
	if res.Rows() != 650 || n != 650 || res.Types[0].Read != 650 || times != 1 {
		t.Errorf("650 deals of one millisecond: %d rows of %d records at %d times, %d read; want 650 of each at one time", res.Rows(), n, times, res.Types[0].Read)
	}
}

// More than HubSpot's 10,000 search results at one modification time
// cannot be paged through: the cycle says so, naming the time, after
// recording what it could read, and says how to go on past them.
func TestMoreThanTheCapInOneMillisecond(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("10,001 records")
	}
	h := newHarness(t, nil)
	at := h.clk.Now().UTC().Format("2006-01-02T15:04:05")
	h.createDeals(10001)
	_, err := h.in.Cycle(context.Background())
	if err == nil || !strings.Contains(err.Error(), "more than 10000 records share the modification time "+at) {
		t.Fatalf("cycle error %v, want one naming the time %s", err, at)
	}
	if n := outboxtest.Count(t, h.db, `SELECT count(DISTINCT hubspot_id) FROM inbox`); n != 10000 {
		t.Errorf("%d records recorded, want the 10,000 search reached", n)
	}
	// What the error says to run lets the next poll go on past them.
	update := err.Error()[strings.Index(err.Error(), "UPDATE "):]
	if _, err := h.db.Pool.Exec(context.Background(), update); err != nil {
		t.Fatalf("the error's %q: %v", update, err)
	}
	h.clk.Advance(time.Second)
	later := h.userDoes("POST", "/crm/objects/2026-09/deals", map[string]any{"properties": map[string]any{"dealname": "Later", "dealstage": "appointmentscheduled", "pipeline": "default"}})
	h.want(h.cycle(), later["id"].(string)+` created - {"pipeline": {"new": "default", "old": null}, "dealstage": {"new": "appointmentscheduled", "old": null}}`)
}

// A cycle that fails halfway (HubSpot answers the archived list with 503s),
// the first one included, keeps what it recorded; the next one goes on
// from there, recording nothing twice.
func TestFailedCycleResumes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id := h.syncdWrites("SO-1", "", deal)
	h.stage(id, "qualifiedtobuy")
	faults := func(rules ...emulator.FaultRule) {
		t.Helper()
		cfg := h.emu.Config()
		cfg.Faults = emulator.FaultConfig{Seed: 1, Rules: rules}
		if err := h.emu.SetConfig(cfg); err != nil {
			t.Fatal(err)
		}
	}
	faults(emulator.FaultRule{Route: "GET /crm/objects/*", Rate: 1, Statuses: []int{503}})
	h.clk.Advance(time.Second)
	if _, err := h.in.Cycle(context.Background()); err == nil || !strings.Contains(err.Error(), "archived records") {
		t.Fatalf("cycle with the archived list failing: %v, want its error", err)
	}
	faults()
	h.want(h.cycle())
	rows := outboxtest.Strings(t, h.db, `SELECT hubspot_id || ' ' || (changes->'dealstage'->>'new') FROM inbox`)
	if fmt.Sprint(rows) != "["+id+" qualifiedtobuy]" {
		t.Errorf("inbox %v, want the one change", rows)
	}
	h.stage(id, "closedwon")
	h.want(h.cycle(), id+` changed SO-1 {"dealstage": {"new": "closedwon", "old": "qualifiedtobuy"}}`)
}

// While another process polls an object type, a cycle leaves the type to
// it, spending no search; once that process lets go, the next cycle polls
// the type and finds the change once.
func TestTypePolledByAnotherProcessIsSkipped(t *testing.T) {
	t.Parallel()
	h, id := newHarnessWithDeal(t)
	h.stage(id, "qualifiedtobuy")

	// The other process: its own store on the same schema.
	other := store.New(h.db.Pool, store.Options{Offset: h.clk.Advanced})
	release, ok, err := other.LockInboxType(context.Background(), h.portal, "deal")
	if err != nil || !ok {
		t.Fatalf("the other process's lock: %v %v", ok, err)
	}
	// Released at the latest when the test ends, failed or not: a held
	// connection would keep the schema's cleanup waiting.
	var releaseOnce sync.Once
	t.Cleanup(func() { releaseOnce.Do(release) })
	if _, ok, err := h.st.LockInboxType(context.Background(), h.portal, "deal"); ok || err != nil {
		t.Fatalf("a second lock on deals was granted (%v, %v)", ok, err)
	}
	h.clk.Advance(time.Second)
	res, err := h.in.Cycle(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Types) != 1 || !res.Types[0].Skipped || res.Types[0].Searches != 0 || res.Rows() != 0 {
		t.Fatalf("cycle while another process polls deals: %+v; want deals skipped without a search", res.Types)
	}
	releaseOnce.Do(release)
	h.want(h.cycle(), id+` changed SO-1 {"dealstage": {"new": "qualifiedtobuy", "old": "appointmentscheduled"}}`)
}

// With inbox.start_from = "now" a portal's existing records are not read:
// a deal people made before the first poll comes in only when it changes
// after it, and a first poll that finds nothing still anchors the next,
// so that a deal made between the two is found. A start time reads from
// that time.
func TestStartFrom(t *testing.T) {
	t.Parallel()
	userDeal := func(h *harness, name string) string {
		h.clk.Advance(time.Second)
		out := h.userDoes("POST", "/crm/objects/2026-09/deals", map[string]any{"properties": map[string]any{"dealname": name, "dealstage": "appointmentscheduled", "pipeline": "default"}})
		return out["id"].(string)
	}
	created := func(id string) string {
		return id + ` created - {"pipeline": {"new": "default", "old": null}, "dealstage": {"new": "appointmentscheduled", "old": null}}`
	}

	h := newHarness(t, func(c *config.Inbox) { c.StartFrom = config.InboxStartNow; c.Overlap.Duration = 0 })
	before := userDeal(h, "made before syncd")
	h.clk.Advance(time.Minute)
	h.want(h.cycle()) // nothing read: the history is not wanted
	between := userDeal(h, "made after the first poll")
	h.want(h.cycle(), created(between))
	h.stage(before, "qualifiedtobuy")
	h.want(h.cycle(), before+` created - {"pipeline": {"new": "default", "old": null}, "dealstage": {"new": "qualifiedtobuy", "old": null}}`)

	h = newHarness(t, func(c *config.Inbox) { c.StartFrom = config.InboxStartHistory })
	old := userDeal(h, "made before syncd")
	h.want(h.cycle(), created(old))

	h = newHarness(t, func(c *config.Inbox) { c.StartFrom = "2026-12-01T09:00:30Z"; c.Overlap.Duration = 0 })
	userDeal(h, "made before the start") // at 09:00:01
	h.clk.Advance(time.Minute)
	after := userDeal(h, "made after the start") // at 09:01:02
	h.want(h.cycle(), created(after))
}
