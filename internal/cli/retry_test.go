package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/cli"
)

// retryRows are the rows every retry test starts from.
type retryRows struct {
	failedC1, deadC2, deadCO1, oldDeadC3, newC3, supersededC4, done int64
}

// newRetryDB is an adminDB holding the retry tests' rows.
func newRetryDB(t *testing.T) (adminDB, retryRows) {
	t.Helper()
	a := newAdminDB(t, true)
	return a, retryRows{
		failedC1:     a.seed(t, "customer", "C-1", "failed", 3, "bad phone"),
		deadC2:       a.seed(t, "customer", "C-2", "dead", 10, "bad email"),
		deadCO1:      a.seed(t, "company", "CO-1", "dead", 10, "bad tax id"),
		oldDeadC3:    a.seed(t, "customer", "C-3", "dead", 10, "old"),
		newC3:        a.seed(t, "customer", "C-3", "pending", 0, ""),
		supersededC4: a.seed(t, "customer", "C-4", "superseded", 2, "older"),
		done:         a.seed(t, "customer", "C-5", "done", 0, ""),
	}
}

// states returns every outbox row's state and attempts, by id.
func (a adminDB) states(t *testing.T) map[int64]string {
	t.Helper()
	r, err := a.Pool.Query(context.Background(), `SELECT id, state || '/' || attempts FROM outbox`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for r.Next() {
		var id int64
		var s string
		if err := r.Scan(&id, &s); err != nil {
			t.Fatal(err)
		}
		out[id] = s
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkStates fails the test unless every outbox row has the state and
// attempts want gives it; what names the change the rows went through.
func (a adminDB) checkStates(t *testing.T, want map[int64]string, what string) {
	t.Helper()
	if got := a.states(t); !maps.Equal(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     func(s retryRows) []string
		requeued func(s retryRows) []int64
		stderr   string
	}{
		{
			name:     "by id",
			args:     func(s retryRows) []string { return []string{"--id", fmt.Sprint(s.deadC2), "--id", fmt.Sprint(s.done)} },
			requeued: func(s retryRows) []int64 { return []int64{s.deadC2} },
		},
		{
			name:     "by comma-separated ids",
			args:     func(s retryRows) []string { return []string{"--id", fmt.Sprintf("%d,%d", s.failedC1, s.deadCO1)} },
			requeued: func(s retryRows) []int64 { return []int64{s.failedC1, s.deadCO1} },
		},
		{
			name:     "by entity",
			args:     func(s retryRows) []string { return []string{"--entity", "company"} },
			requeued: func(s retryRows) []int64 { return []int64{s.deadCO1} },
		},
		{
			name:     "by erp id",
			args:     func(s retryRows) []string { return []string{"--erp-id", "C-1"} },
			requeued: func(s retryRows) []int64 { return []int64{s.failedC1} },
		},
		{
			name:     "by entity and state",
			args:     func(s retryRows) []string { return []string{"--entity", "customer", "--state", "failed"} },
			requeued: func(s retryRows) []int64 { return []int64{s.failedC1} },
		},
		{
			name:     "all dead",
			args:     func(s retryRows) []string { return []string{"--all-dead"} },
			requeued: func(s retryRows) []int64 { return []int64{s.deadC2, s.deadCO1} },
			stderr:   "Left 1 row(s) alone that a newer row of the same entity and ERP key replaces: 4",
		},
		{
			name:     "replaced and superseded rows by id",
			args:     func(s retryRows) []string { return []string{"--id", fmt.Sprintf("%d,%d", s.oldDeadC3, s.supersededC4)} },
			requeued: func(s retryRows) []int64 { return nil },
			stderr:   "Left 1 row(s) alone that a newer row of the same entity and ERP key replaces: 4",
		},
		{
			name:     "no match",
			args:     func(s retryRows) []string { return []string{"--erp-id", "C-999"} },
			requeued: func(s retryRows) []int64 { return nil },
			stderr:   "No failed or dead row matches",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, s := newRetryDB(t)
			before := a.states(t)
			r := a.run(t, append([]string{"retry"}, tt.args(s)...)...)
			want := tt.requeued(s)
			if r.code != cli.ExitOK || r.stdout != fmt.Sprintf("requeued %d row(s)\n", len(want)) || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 0, %d rows, stderr with %q", r.code, r.stdout, r.stderr, len(want), tt.stderr)
			}
			wantStates := maps.Clone(before)
			for _, id := range want {
				wantStates[id] = "pending/0"
			}
			a.checkStates(t, wantStates, "states after retry")
		})
	}
}

func TestRetryDryRun(t *testing.T) {
	t.Parallel()
	a, s := newRetryDB(t)
	before := a.states(t)
	r := a.run(t, "retry", "--all-dead", "--dry-run")
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"would requeue 2 row(s)\n",
		fmt.Sprintf("\n%d   customer  C-2     upsert  dead   10        bad email\n", s.deadC2),
		fmt.Sprintf("\n%d   company   CO-1    upsert  dead   10        bad tax id\n", s.deadCO1),
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	a.checkStates(t, before, "dry run changed rows")
}

func TestRetryJSON(t *testing.T) {
	t.Parallel()
	a, s := newRetryDB(t)
	r := a.run(t, "retry", "--entity", "customer", "--json")
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got struct {
		DryRun   bool             `json:"dry_run"`
		Requeued int              `json:"requeued"`
		Rows     []map[string]any `json:"rows"`
		Replaced []int64          `json:"replaced"`
		InProg   []int64          `json:"in_progress"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("stdout: %v\n%s", err, r.stdout)
	}
	if got.DryRun || got.Requeued != 2 || len(got.Rows) != 2 || fmt.Sprint(got.Replaced) != fmt.Sprint([]int64{s.oldDeadC3}) ||
		got.InProg == nil || len(got.InProg) != 0 {
		t.Errorf("retry JSON = %+v", got)
	}
	// Rows are as they were before the requeue.
	if row := got.Rows[1]; row["id"] != float64(s.deadC2) || row["state"] != "dead" || row["attempts"] != float64(10) ||
		row["last_error"] != "bad email" || row["erp_id"] != "C-2" || row["entity"] != "customer" {
		t.Errorf("row = %v", row)
	}
}

func TestRetryUsage(t *testing.T) {
	t.Parallel()
	a, _ := newRetryDB(t)
	before := a.states(t)
	for _, args := range [][]string{
		{"retry"},
		{"retry", "--state", "dead"},
		{"retry", "--dry-run"},
		{"retry", "--all-dead", "--state", "failed"},
		{"retry", "--id", "1", "--state", "done"},
		{"retry", "--id", "0"},
		{"retry", "--id", "x"},
	} {
		r := a.run(t, args...)
		if r.code != cli.ExitUsage || r.stdout != "" || r.stderr == "" {
			t.Errorf("syncd %v: exit %d, stdout %q, stderr %q; want exit 2 and a message", args, r.code, r.stdout, r.stderr)
		}
	}
	if r := a.run(t, "retry"); !strings.Contains(r.stderr, "--id, --entity, --erp-id or --all-dead") {
		t.Errorf("no selector: stderr %q does not name the selectors", r.stderr)
	}
	a.checkStates(t, before, "a refused retry changed rows")
}
