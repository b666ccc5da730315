package cli_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/syncd/syncd/internal/cli"
	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/testkit/outboxtest"
)

// A customer with a masked phone: with [sync] invalid_field = "skip" it
// reaches HubSpot without a phone, its row is done with the refused field
// as a warning, and `syncd status` lists it; with the default it fails as
// before and nothing reaches HubSpot.
func TestInvalidFieldPolicy(t *testing.T) {
	t.Parallel()
	const token = "pat-na1-00000000-0000-4000-8000-000000000007"
	const payload = `{"email":"somchai@example.co.th","first_name":"สมชาย","phone":"08x-xxx-5678"}`
	const warning = `outbox row 1: customer C-1: field "phone": "08x-xxx-5678" is a masked number; send the full number or leave phone empty; not synced (sync.invalid_field = "skip")`
	for _, policy := range []string{"skip", "fail", ""} {
		t.Run("policy="+policy, func(t *testing.T) {
			t.Parallel()
			e := newSetUpEnv(t, envOptions{token: token, unmigrated: true}, setting("sync", "invalid_field", policy))
			db, emu := e.db, e.emu
			outboxtest.Insert(t, db, "customer", "C-1", payload)
			var contacts []emulator.DumpRecord
			for _, r := range emu.Dump().Objects["contacts"] {
				if !r.Archived {
					contacts = append(contacts, r)
				}
			}
			if len(contacts) != 0 {
				t.Fatalf("HubSpot holds %d contacts before the run", len(contacts))
			}

			if policy != "skip" {
				e.syncd(t, cli.ExitRowsFailed, "run", "--once")
				var state, lastErr string
				if err := db.Pool.QueryRow(context.Background(), `SELECT state, last_error FROM outbox WHERE id = 1`).Scan(&state, &lastErr); err != nil {
					t.Fatal(err)
				}
				want := `outbox row 1: customer C-1: field "phone": "08x-xxx-5678" is a masked number; send the full number or leave phone empty; fix the data in the ERP and write a new outbox row for it`
				if state != "failed" || lastErr != want {
					t.Errorf("row: %s, %q; want failed, %q", state, lastErr, want)
				}
				if n := len(emu.Dump().Objects["contacts"]); n != 0 {
					t.Errorf("HubSpot holds %d contacts, want none", n)
				}
				return
			}

			r := e.syncd(t, cli.ExitOK, "run", "--once", "--json")
			var sum struct{ Created, Failed, Warned int }
			if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || sum.Created != 1 || sum.Failed != 0 || sum.Warned != 1 {
				t.Errorf("run summary %+v (%v), want 1 created, 1 warned:\n%s", sum, err, r.stdout)
			}
			contacts = emu.Dump().Objects["contacts"]
			if len(contacts) != 1 {
				t.Fatalf("HubSpot holds %d contacts, want 1", len(contacts))
			}
			if p := contacts[0].Properties; p["email"] != "somchai@example.co.th" || p["firstname"] != "สมชาย" || p["phone"] != "" {
				t.Errorf("contact properties: email %q firstname %q phone %q; want the record without its phone", p["email"], p["firstname"], p["phone"])
			}

			e.checkOneWarned(t, 1, 1, "customer", "C-1", warning)
		})
	}
}
