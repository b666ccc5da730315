package cli

import (
	"fmt"
	"io"

	"github.com/syncd/syncd/internal/engine"
)

// countsJSON is what a sync summary and a recorded run both count; its keys
// are a contract for scripts, in `syncd run --json` and `syncd status --json`
// alike.
type countsJSON struct {
	Rows         int   `json:"rows"`
	Created      int   `json:"created"`
	Updated      int   `json:"updated"`
	Unchanged    int   `json:"unchanged"`
	Deleted      int   `json:"deleted"`
	Failed       int   `json:"failed"`
	Dead         int   `json:"dead"`
	Superseded   int   `json:"superseded"`
	Waiting      int   `json:"waiting"`
	Warned       int   `json:"warned"`
	HubSpotCalls int64 `json:"hubspot_calls"`
}

func toCountsJSON(s engine.Summary) countsJSON {
	return countsJSON{
		Rows: s.Rows, Created: s.Created, Updated: s.Updated, Unchanged: s.Unchanged,
		Deleted: s.Deleted, Failed: s.Failed, Dead: s.Dead, Superseded: s.Superseded,
		Waiting: s.Waiting, Warned: s.Warned, HubSpotCalls: s.Calls,
	}
}

// summaryJSON is the JSON form of a sync summary; its keys are a contract
// for scripts.
type summaryJSON struct {
	countsJSON
	WriteCalls int64   `json:"hubspot_write_calls"`
	Seconds    float64 `json:"seconds"`
}

func toSummaryJSON(s engine.Summary) summaryJSON {
	return summaryJSON{countsJSON: toCountsJSON(s), WriteCalls: s.WriteCalls, Seconds: s.Duration.Seconds()}
}

// writeSummary prints a sync summary, as a two-column table or as JSON.
func writeSummary(w io.Writer, s engine.Summary, asJSON bool) error {
	if asJSON {
		return writeJSON(w, toSummaryJSON(s))
	}
	tw := newTable(w)
	for _, l := range []struct {
		k string
		v any
	}{
		{"rows", s.Rows}, {"created", s.Created}, {"updated", s.Updated}, {"unchanged", s.Unchanged},
		{"deleted", s.Deleted}, {"failed", s.Failed}, {"dead", s.Dead}, {"superseded", s.Superseded},
		{"waiting", s.Waiting}, {"warned", s.Warned},
		{"hubspot calls", s.Calls}, {"hubspot write calls", s.WriteCalls},
		{"took", s.Duration.Round(1e6).String()},
	} {
		fmt.Fprintf(tw, "%s\t%v\n", l.k, l.v)
	}
	return tw.Flush()
}

// rowsFailed returns a *RowsFailedError when the summary has failed or dead
// rows, nil otherwise.
func rowsFailed(s engine.Summary) error {
	if s.Failed > 0 || s.Dead > 0 {
		return &RowsFailedError{Failed: s.Failed, Dead: s.Dead}
	}
	return nil
}
