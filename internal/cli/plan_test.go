package cli_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/cli"
	"github.com/syncd/syncd/internal/pgtest"
)

// planOut is `syncd plan --json` as a script reads it.
type planOut struct {
	Summary struct {
		Rows       int   `json:"rows"`
		Created    int   `json:"created"`
		Updated    int   `json:"updated"`
		Unchanged  int   `json:"unchanged"`
		Deleted    int   `json:"deleted"`
		Failed     int   `json:"failed"`
		Dead       int   `json:"dead"`
		Superseded int   `json:"superseded"`
		Waiting    int   `json:"waiting"`
		Calls      int64 `json:"hubspot_calls"`
		WriteCalls int64 `json:"hubspot_write_calls"`
	} `json:"summary"`
	Creates   []plannedRecord `json:"creates"`
	Updates   []plannedRecord `json:"updates"`
	Archives  []plannedRecord `json:"archives"`
	Unchanged []plannedRecord `json:"unchanged"`
	// Associations and AssociationsRemoved.
	Associations []struct {
		OutboxID int64  `json:"outbox_id"`
		FromType string `json:"from_type"`
		FromID   string `json:"from_id"`
		ToType   string `json:"to_type"`
		ToID     string `json:"to_id"`
		TypeID   int    `json:"type_id"`
	} `json:"associations"`
	AssociationsRemoved []json.RawMessage `json:"associations_removed"`
	Failures            []struct {
		OutboxID  int64  `json:"outbox_id"`
		Entity    string `json:"entity"`
		ERPID     string `json:"erp_id"`
		Error     string `json:"error"`
		Transient bool   `json:"transient"`
		Dead      bool   `json:"dead"`
	} `json:"failures"`
	Waiting    []json.RawMessage `json:"waiting"`
	Superseded []int64           `json:"superseded"`
	Calls      struct {
		Total         int            `json:"total"`
		Reads         int            `json:"reads"`
		Writes        int            `json:"writes"`
		ByOperation   map[string]int `json:"by_operation"`
		DailyLimit    int            `json:"daily_limit"`
		DailyUsed     int            `json:"daily_used"`
		DailyReserve  int            `json:"daily_reserve"`
		WindowLimit   int            `json:"window_limit"`
		WindowSeconds float64        `json:"window_seconds"`
		MinSeconds    float64        `json:"min_seconds"`
	} `json:"calls"`
}

type plannedRecord struct {
	OutboxID   int64             `json:"outbox_id"`
	Entity     string            `json:"entity"`
	ERPID      string            `json:"erp_id"`
	ObjectType string            `json:"object_type"`
	HubSpotID  string            `json:"hubspot_id"`
	Properties map[string]string `json:"properties"`
	Changes    []struct {
		Property string `json:"property"`
		Old      string `json:"old"`
		New      string `json:"new"`
	} `json:"changes"`
}

func recordKeys(rs []plannedRecord) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Entity + "/" + r.ERPID
	}
	slices.Sort(out)
	return out
}

// dbState is what a plan must not change: the outbox's syncd columns and
// the ID map.
func dbState(t *testing.T, db *pgtest.DB) string {
	t.Helper()
	var s string
	err := db.Pool.QueryRow(context.Background(), `SELECT
  (SELECT coalesce(string_agg(format('%s %s %s %s %s %s', id, state, attempts, lease_owner, lease_expires_at, next_attempt_at), E'\n' ORDER BY id), '') FROM outbox) || E'\n--\n' ||
  (SELECT coalesce(string_agg(format('%s %s %s %s %s', object_type, erp_id, hubspot_id, synced_properties, archived_at), E'\n' ORDER BY object_type, erp_id), '') FROM id_map) || E'\n--\n' ||
  (SELECT count(*)::text FROM runs)`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPlanCommand runs `syncd plan` the way an operator does on a mixed
// outbox (new customers, companies, orders and tickets, updates of synced
// records, a delete, a row with a bad email), and checks the JSON
// contract, the table, that it wrote nothing to HubSpot or the database,
// that `syncd run --once --dry-run` plans the same, and that the real
// `syncd run --once` that follows does what it predicted, calls included.
func TestPlanCommand(t *testing.T) {
	t.Parallel()
	d := newSetUpEnv(t, envOptions{token: doctorToken}, "")
	ctx := context.Background()
	exec := func(sql string) {
		t.Helper()
		if _, err := d.db.Pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO outbox (entity, erp_id, payload) VALUES
 ('company',  'CO-1', '{"name":"บริษัท สยามเทรดดิ้ง จำกัด","domain":"siamtrading.example.co.th","tax_id":"0105536112014"}'),
 ('customer', 'C-1',  '{"name":"นายสมชาย ใจดี","email":"somchai@siamtrading.example.co.th","company_id":"CO-1"}'),
 ('product',  'SKU-1','{"sku":"SKU-1","name":"ข้าวหอมมะลิ 5 กก.","price":180}'),
 ('order',    'SO-1', '{"customer_id":"C-1","company_id":"CO-1","status":"new","items":[{"line_id":"1","sku":"SKU-1","quantity":2,"unit_price":180}]}'),
 ('ticket',   'T-1',  '{"customer_id":"C-1","order_id":"SO-1","subject":"ถุงข้าวขาด","status":"open"}')`)
	d.syncd(t, cli.ExitOK, "run", "--once")

	exec(`INSERT INTO outbox (entity, erp_id, op, payload) VALUES
 ('company',  'CO-2', 'upsert', '{"name":"บริษัท เชียงใหม่ฟู้ดส์ จำกัด","domain":"cmfoods.example.co.th"}'),
 ('customer', 'C-2',  'upsert', '{"name":"นางสาวมาลี สุขใจ","email":"malee@cmfoods.example.co.th","company_id":"CO-2"}'),
 ('order',    'SO-2', 'upsert', '{"customer_id":"C-2","company_id":"CO-2","status":"new","items":[{"line_id":"1","sku":"SKU-1","quantity":1,"unit_price":180},{"line_id":"2","sku":"SKU-7","name":"น้ำปลา","quantity":3,"unit_price":25}]}'),
 ('ticket',   'T-2',  'upsert', '{"customer_id":"C-2","order_id":"SO-2","subject":"ยังไม่ได้รับของ","status":"open"}'),
 ('customer', 'C-1',  'upsert', '{"name":"นายสมชาย ใจดีมาก","email":"somchai@siamtrading.example.co.th","company_id":"CO-1"}'),
 ('order',    'SO-1', 'upsert', '{"customer_id":"C-1","company_id":"CO-1","status":"won","items":[{"line_id":"1","sku":"SKU-1","quantity":2,"unit_price":180}]}'),
 ('ticket',   'T-1',  'delete', NULL),
 ('customer', 'C-BAD','upsert', '{"name":"คุณมานพ","email":"manop(at)example.com"}')`)

	before := dbState(t, d.db)
	writes := func() int64 {
		var n int64
		for route, c := range d.emu.Stats().ByRoute {
			if !strings.HasPrefix(route, "GET ") && !strings.HasSuffix(route, "/batch/read") && !strings.HasSuffix(route, "/search") {
				n += c
			}
		}
		return n
	}
	w0 := writes()

	var plan planOut
	r := d.syncd(t, cli.ExitOK, "plan", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, r.stdout)
	}
	s := plan.Summary
	if s.Rows != 8 || s.Created != 4 || s.Updated != 2 || s.Deleted != 1 || s.Failed+s.Dead != 1 || s.Calls == 0 || s.WriteCalls == 0 {
		t.Errorf("plan summary = %+v", s)
	}
	if got := recordKeys(plan.Creates); !slices.Equal(got, []string{"company/CO-2", "customer/C-2", "order/SO-2", "ticket/T-2"}) {
		t.Errorf("creates = %v", got)
	}
	if got := recordKeys(plan.Updates); !slices.Equal(got, []string{"customer/C-1", "order/SO-1"}) {
		t.Errorf("updates = %v", got)
	}
	if got := recordKeys(plan.Archives); !slices.Equal(got, []string{"ticket/T-1"}) || plan.Archives[0].HubSpotID == "" || plan.Archives[0].ObjectType != "tickets" {
		t.Errorf("archives = %+v", plan.Archives)
	}
	for _, u := range plan.Updates {
		if u.ERPID == "SO-1" && (len(u.Changes) == 0 || !slices.ContainsFunc(u.Changes, func(c struct {
			Property string `json:"property"`
			Old      string `json:"old"`
			New      string `json:"new"`
		}) bool {
			return c.Property == "dealstage" && c.Old == "appointmentscheduled" && c.New == "closedwon"
		})) {
			t.Errorf("SO-1's changes = %+v, want dealstage appointmentscheduled → closedwon", u.Changes)
		}
	}
	for _, c := range plan.Creates {
		if c.ERPID == "CO-2" && c.Properties["syncd_erp_id"] != "CO-2" {
			t.Errorf("CO-2's create sends %v", c.Properties)
		}
	}
	if len(plan.Failures) != 1 || plan.Failures[0].ERPID != "C-BAD" || !strings.Contains(plan.Failures[0].Error, "email") || plan.Failures[0].Transient {
		t.Errorf("failures = %+v", plan.Failures)
	}
	if len(plan.Associations) == 0 || plan.AssociationsRemoved == nil || plan.Waiting == nil || plan.Superseded == nil || plan.Unchanged == nil {
		t.Errorf("lists missing: %d associations, removed %v, waiting %v, superseded %v", len(plan.Associations), plan.AssociationsRemoved, plan.Waiting, plan.Superseded)
	}
	c := plan.Calls
	if c.Total != int(s.Calls) || c.Reads+c.Writes != c.Total || c.Writes == 0 || c.WindowLimit == 0 || c.WindowSeconds == 0 || c.MinSeconds <= 0 || c.DailyLimit == 0 {
		t.Errorf("calls = %+v", c)
	}
	if n := 0; true {
		for _, v := range c.ByOperation {
			n += v
		}
		if n != c.Total {
			t.Errorf("by operation adds up to %d, total %d", n, c.Total)
		}
	}

	// Nothing written, and the same plan from run --once --dry-run and
	// from the table.
	if got := writes(); got != w0 {
		t.Errorf("the plan sent %d write requests to HubSpot", got-w0)
	}
	var dry planOut
	r = d.syncd(t, cli.ExitOK, "run", "--once", "--dry-run", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &dry); err != nil {
		t.Fatalf("run --once --dry-run --json: %v\n%s", err, r.stdout)
	}
	if dry.Summary != plan.Summary || !slices.Equal(recordKeys(dry.Creates), recordKeys(plan.Creates)) || dry.Calls.Total != plan.Calls.Total {
		t.Errorf("run --once --dry-run plans %+v, plan %+v", dry.Summary, plan.Summary)
	}
	table := d.syncd(t, cli.ExitOK, "plan").stdout
	t.Log("\n" + table)
	for _, want := range []string{"The next cycle would take 8 outbox row(s)", "create", "update", "archive", "fail", "C-BAD", `"appointmentscheduled" → "closedwon"`, "HubSpot calls:", "Burst limit:"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
	if got := writes(); got != w0 {
		t.Errorf("the dry runs sent %d write requests to HubSpot", got-w0)
	}
	if after := dbState(t, d.db); after != before {
		t.Errorf("the plans changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// The real run does what the plan said.
	var sum struct {
		Rows, Created, Updated, Unchanged, Deleted, Failed, Dead, Superseded, Waiting int
		Calls                                                                         int64 `json:"hubspot_calls"`
		WriteCalls                                                                    int64 `json:"hubspot_write_calls"`
	}
	r = d.syncd(t, cli.ExitRowsFailed, "run", "--once", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Rows != s.Rows || sum.Created != s.Created || sum.Updated != s.Updated || sum.Unchanged != s.Unchanged || sum.Deleted != s.Deleted ||
		sum.Failed != s.Failed || sum.Dead != s.Dead || sum.Superseded != s.Superseded || sum.Waiting != s.Waiting ||
		sum.Calls != s.Calls || sum.WriteCalls != s.WriteCalls {
		t.Errorf("run  %+v\nplan %+v", sum, s)
	}
	if got := writes() - w0; got != int64(c.Writes) {
		t.Errorf("the run sent %d write requests, the plan said %d", got, c.Writes)
	}

	// Usage errors.
	d.syncd(t, cli.ExitUsage, "run", "--dry-run") // without --once
}
