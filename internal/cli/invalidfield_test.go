package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"testing"

	"github.com/syncd/syncd/internal/cli"
	"github.com/syncd/syncd/internal/emulator"
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
			e := newSyncdEnv(t, envOptions{token: token, unmigrated: true})
			db, emu := e.db, e.emu
			extra := ""
			if policy != "" {
				extra = fmt.Sprintf("[sync]\ninvalid_field = %q\n", policy)
			}
			cfgPath := e.config(t, "syncd.toml", extra)
			ctx := context.Background()
			step := func(want int, args ...string) result {
				t.Helper()
				return e.step(t, cfgPath, want, args...)
			}
			step(cli.ExitOK, "migrate", "up")
			step(cli.ExitOK, "setup")
			if _, err := db.Pool.Exec(ctx, `INSERT INTO outbox (entity, erp_id, payload) VALUES ('customer', 'C-1', $1)`, payload); err != nil {
				t.Fatal(err)
			}
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
				step(cli.ExitRowsFailed, "run", "--once")
				var state, lastErr string
				if err := db.Pool.QueryRow(ctx, `SELECT state, last_error FROM outbox WHERE id = 1`).Scan(&state, &lastErr); err != nil {
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

			r := step(cli.ExitOK, "run", "--once", "--json")
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

			r = step(cli.ExitOK, "status", "--json")
			var st struct {
				Counts struct{ Done, Failed, Warned int }
				Warned []struct {
					ID       int64
					State    string
					Warnings []string
				}
			}
			if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
				t.Fatalf("status --json: %v\n%s", err, r.stdout)
			}
			if st.Counts.Done != 1 || st.Counts.Failed != 0 || st.Counts.Warned != 1 || len(st.Warned) != 1 ||
				st.Warned[0].ID != 1 || st.Warned[0].State != "done" || len(st.Warned[0].Warnings) != 1 || st.Warned[0].Warnings[0] != warning {
				t.Errorf("status --json: %+v\nwant row 1 done with the warning %q", st, warning)
			}
			r = step(cli.ExitOK, "status")
			if !regexp.MustCompile(`(?m)^ROWS DONE WITH WARNINGS: newest 1 of 1$`).MatchString(r.stdout) ||
				!regexp.MustCompile(`(?m)^1 +customer +C-1 +`+regexp.QuoteMeta(warning)+`$`).MatchString(r.stdout) {
				t.Errorf("status does not list the warning:\n%s", r.stdout)
			}
		})
	}
}
