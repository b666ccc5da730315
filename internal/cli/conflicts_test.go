package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/internal/cli"
	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/testkit/outboxtest"
)

// An order synced by `syncd run`, its stage moved by a user through
// HubSpot's API, then an ERP update with another status and amount: with
// [conflicts.deals] dealstage = "hubspot_wins" the user's stage stays, the
// amount is written and `syncd status` (text and --json) shows the row
// done with the conflict; with erp_wins, and with no setting, the ERP's
// stage overwrites it and nothing is warned, in as many calls.
func TestConflictPolicyStatus(t *testing.T) {
	t.Parallel()
	const token = "pat-na1-00000000-0000-4000-8000-000000000012"
	const warning = `outbox row 2: order SO-1: property "dealstage": HubSpot has "contractsent", changed there since syncd wrote "appointmentscheduled"; the ERP's "closedwon" was not written (conflicts.deals.dealstage = "hubspot_wins")`
	order := func(status string, qty int) string {
		return fmt.Sprintf(`{"name":"SO-1 Siam Trading","status":%q,"currency":"THB","items":[{"line_id":"1","name":"Jasmine rice 5 kg","quantity":%d,"unit_price":10}]}`, status, qty)
	}
	for _, policy := range []string{"hubspot_wins", "erp_wins", ""} {
		t.Run("policy="+policy, func(t *testing.T) {
			t.Parallel()
			e := newSetUpEnv(t, envOptions{token: token, unmigrated: true}, setting("conflicts.deals", "dealstage", policy))
			deal := func() emulator.DumpRecord {
				t.Helper()
				ds := e.emu.Dump().Objects["deals"]
				if len(ds) != 1 {
					t.Fatalf("HubSpot holds %d deals, want 1", len(ds))
				}
				return ds[0]
			}
			outboxtest.Insert(t, e.db, "order", "SO-1", order("new", 2))
			e.syncd(t, cli.ExitOK, "run", "--once")
			d := deal()
			if d.Properties["dealstage"] != "appointmentscheduled" {
				t.Fatalf("first sync: stage %s, want appointmentscheduled", d.Properties["dealstage"])
			}

			// A user moves the deal in HubSpot.
			e.hubspot(t, http.MethodPatch, "/crm/objects/2026-09/deals/"+d.ID, `{"properties":{"dealstage":"contractsent"}}`, "", http.StatusOK)

			outboxtest.Insert(t, e.db, "order", "SO-1", order("won", 3))
			r := e.syncd(t, cli.ExitOK, "run", "--once", "--json")
			var sum struct {
				Updated, Failed, Warned int
				Calls                   int `json:"hubspot_calls"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || sum.Updated != 1 || sum.Failed != 0 {
				t.Fatalf("run summary %+v (%v), want 1 updated:\n%s", sum, err, r.stdout)
			}
			// The account's details (a new process), a deal update and a
			// line item update; hubspot_wins reads the deal's dealstage
			// first.
			wantCalls, wantWarned, wantStage := 3, 0, "closedwon"
			if policy == "hubspot_wins" {
				wantCalls, wantWarned, wantStage = 4, 1, "contractsent"
			}
			t.Logf("the update cycle: %d calls", sum.Calls)
			if sum.Calls != wantCalls || sum.Warned != wantWarned {
				t.Errorf("run summary %+v; want %d calls, %d warned", sum, wantCalls, wantWarned)
			}
			d = deal()
			if d.Properties["dealstage"] != wantStage || d.Properties["amount"] != "30" {
				t.Errorf("deal: stage %s, amount %s; want %s, 30", d.Properties["dealstage"], d.Properties["amount"], wantStage)
			}

			if policy != "hubspot_wins" {
				if st := e.warnedStatus(t); st.Counts.Done != 2 || st.Counts.Warned != 0 || len(st.Warned) != 0 {
					t.Errorf("status --json: %+v; want 2 done, none warned", st)
				}
				return
			}
			e.checkOneWarned(t, 2, 2, "order", "SO-1", warning)

			// docs/inbox.md shows this warning, and its query finds it.
			doc := docSection(t, "inbox.md", "## Conflicts: erp_wins and hubspot_wins")
			if !strings.Contains(doc, "```\n"+warning+"\n```") {
				t.Errorf("docs/inbox.md does not show the warning %q", warning)
			}
			rows, err := e.db.Pool.Query(context.Background(), strings.ReplaceAll(codeBlock(t, doc, "sql"), "syncd.outbox", "outbox"))
			if err != nil {
				t.Fatalf("the query of docs/inbox.md: %v", err)
			}
			type found struct {
				ID            int64
				Entity, ERPID string
				At            time.Time
				Warning       string
			}
			got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[found])
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].ID != 2 || got[0].Entity != "order" || got[0].ERPID != "SO-1" || got[0].Warning != warning {
				t.Errorf("the query of docs/inbox.md found %+v, want row 2 with its warning", got)
			}
		})
	}
}
