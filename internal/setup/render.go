package setup

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Render prints the plan for a human: one line per change (+) and per
// problem (!), then a summary line. It is derived from the same data as the
// plan's JSON form.
func (p *ChangeSet) Render(w io.Writer) error {
	if p.Empty() {
		_, err := fmt.Fprintf(w, "No changes. HubSpot portal %d is set up for syncd.\n", p.PortalID)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(p.Changes) > 0 {
		fmt.Fprintf(tw, "syncd setup will create in HubSpot portal %d:\n\n", p.PortalID)
		for _, c := range p.Changes {
			fmt.Fprintf(tw, "  +\t%s\t%s\t%s\t%s\n", kindNoun(c.Kind), c.ObjectType, c.Name, c.Detail)
		}
		fmt.Fprintln(tw)
	}
	if len(p.Problems) > 0 {
		fmt.Fprintf(tw, "Needs an admin (setup changes nothing that exists):\n\n")
		for _, pr := range p.Problems {
			fmt.Fprintf(tw, "  !\t%s\t%s\t%s\n", pr.ObjectType, pr.Name, pr.Detail)
			fmt.Fprintf(tw, "   \t\t\tfix: %s\n", pr.Fix)
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintf(tw, "Plan: %d to create, %d problem(s).\n", len(p.Changes), len(p.Problems))
	return tw.Flush()
}

// Render prints what Apply did.
func (r Result) Render(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range r.Created {
		fmt.Fprintf(tw, "  created\t%s\t%s\t%s\n", kindNoun(c.Kind), c.ObjectType, c.Name)
	}
	for _, c := range r.AlreadyPresent {
		fmt.Fprintf(tw, "  present\t%s\t%s\t%s\n", kindNoun(c.Kind), c.ObjectType, c.Name)
	}
	fmt.Fprintf(tw, "Applied: %d created, %d already present.\n", len(r.Created), len(r.AlreadyPresent))
	return tw.Flush()
}

func kindNoun(k Kind) string {
	switch k {
	case CreatePropertyGroup:
		return "property group"
	case CreateProperty:
		return "property"
	case CreatePipeline:
		return "pipeline"
	case CreateStage:
		return "stage"
	}
	return string(k)
}
