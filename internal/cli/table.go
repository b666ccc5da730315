package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// newTable returns a writer that lines up tab-separated columns two spaces
// apart, as every table syncd prints does.
func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// writeTable prints a table: header, then the rows fill writes, columns
// separated by tabs.
func writeTable(w io.Writer, header string, fill func(tw io.Writer)) error {
	tw := newTable(w)
	fmt.Fprintln(tw, header)
	fill(tw)
	return tw.Flush()
}

// writeJSON prints v as every --json flag prints its output: one JSON
// value, indented two spaces, and a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// oneLineOrDash is s on one line, or "-" for a table cell when s is empty.
func oneLineOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return oneLine(s)
}
