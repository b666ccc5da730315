// Package setup prepares a HubSpot account for syncd, terraform-style: Plan
// reads the account and computes the changes as plain data, Render prints
// them for a human, and Apply makes them.
//
// Setup only ever creates. A property or pipeline that exists with a
// definition syncd cannot use (an ERP-ID property that is not unique, a
// tax-ID property that is a number) is reported as a Problem for the admin to
// resolve; setup never changes or deletes what it finds. Running Plan after a
// successful Apply yields an empty plan.
package setup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/hubspot"
)

// GroupName is the property group that holds syncd's properties on every
// object type.
const GroupName = "syncd"

// GroupLabel is the label of GroupName as HubSpot shows it.
const GroupLabel = "syncd"

// Default property names, used when the configuration leaves them empty.
const (
	DefaultERPIDProperty  = "syncd_erp_id"
	DefaultTaxIDProperty  = "syncd_tax_id"
	DefaultBranchProperty = "syncd_branch"
)

// Default pipelines, used when the configuration leaves them empty.
const (
	DefaultDealPipeline   = "default"
	DefaultTicketPipeline = "0"
)

// ObjectTypes are the HubSpot object types that get an ERP-ID property, in
// the order setup plans them.
var ObjectTypes = []string{
	hubspot.Contacts, hubspot.Companies, hubspot.Deals,
	hubspot.Tickets, hubspot.Products, hubspot.LineItems,
}

// Kind names what a Change does.
type Kind string

// The kinds of change setup makes. Setup only creates.
const (
	CreatePropertyGroup Kind = "create_property_group"
	CreateProperty      Kind = "create_property"
	CreatePipeline      Kind = "create_pipeline"
	CreateStage         Kind = "create_stage"
)

// Change is one thing Apply creates in HubSpot.
type Change struct {
	Kind       Kind   `json:"kind"`
	ObjectType string `json:"object_type"`
	// Name is the property or group name, the pipeline label, or
	// "<pipeline label>/<stage label>" for a stage.
	Name string `json:"name"`
	// Detail is a short human description of what is created.
	Detail string `json:"detail"`

	// Property is the definition sent for CreateProperty.
	Property *hubspot.Property `json:"property,omitempty"`
	// Pipeline is the definition sent for CreatePipeline, stages included.
	Pipeline *hubspot.Pipeline `json:"pipeline,omitempty"`
	// PipelineID and Stage are sent for CreateStage.
	PipelineID string                 `json:"pipeline_id,omitempty"`
	Stage      *hubspot.PipelineStage `json:"stage,omitempty"`
}

// Problem is something setup cannot fix on its own: the admin has to act in
// HubSpot or in the configuration. Fix says what to do.
type Problem struct {
	ObjectType string `json:"object_type"`
	Name       string `json:"name"`
	Detail     string `json:"detail"`
	Fix        string `json:"fix"`
	// Pipeline says the problem is a pipeline's or a stage's; else it is a
	// property's. Not in the JSON of `syncd setup --json`.
	Pipeline bool `json:"-"`
}

func (p Problem) String() string {
	return fmt.Sprintf("%s %s: %s; %s", p.ObjectType, p.Name, p.Detail, p.Fix)
}

// ChangeSet is what setup would change, as plain data. An empty plan (no Changes,
// no Problems) means the account is ready.
type ChangeSet struct {
	PortalID int64     `json:"portal_id"`
	Changes  []Change  `json:"changes"`
	Problems []Problem `json:"problems"`
	// Properties are the property definitions Plan read, by object type,
	// for a caller with more to check of them (syncd doctor).
	Properties map[string][]hubspot.Property `json:"-"`
}

// Empty reports whether the plan neither changes anything nor reports a
// problem.
func (p *ChangeSet) Empty() bool { return len(p.Changes) == 0 && len(p.Problems) == 0 }

// MarshalJSON writes empty lists as [] so that the JSON view is stable.
func (p *ChangeSet) MarshalJSON() ([]byte, error) {
	type plain ChangeSet
	q := plain(*p)
	if q.Changes == nil {
		q.Changes = []Change{}
	}
	if q.Problems == nil {
		q.Problems = []Problem{}
	}
	return json.Marshal(q)
}

// ProblemsError is returned by Plan and Apply when the account needs an
// admin's attention before syncd can use it. The plan returned beside it is
// still complete and can be rendered.
type ProblemsError struct {
	Problems []Problem
}

func (e *ProblemsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HubSpot needs %d fix(es) before syncd can use it:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Result is what Apply did.
type Result struct {
	// Created lists the changes made, in the order they were made.
	Created []Change `json:"created"`
	// AlreadyPresent lists planned changes HubSpot already had by the time
	// Apply ran (another setup raced this one); they are not errors.
	AlreadyPresent []Change `json:"already_present"`
}

// names are the property names and pipelines setup works with, defaults
// filled in.
type names struct {
	erpID, taxID, branch string
}

func namesOf(cfg config.Config) names {
	n := names{erpID: cfg.Sync.ERPIDProperty, taxID: cfg.Sync.TaxIDProperty, branch: DefaultBranchProperty}
	if n.erpID == "" {
		n.erpID = DefaultERPIDProperty
	}
	if n.taxID == "" {
		n.taxID = DefaultTaxIDProperty
	}
	return n
}

// wantedProperty is a property syncd needs, with the parts of its definition
// that matter for syncd to work.
type wantedProperty struct {
	def hubspot.Property
	// why is shown to the admin when the property exists but is unusable.
	why string
}

func wantedProperties(objectType string, n names) []wantedProperty {
	w := []wantedProperty{{
		def: hubspot.Property{
			Name: n.erpID, Label: "ERP ID", Type: "string", FieldType: "text", GroupName: GroupName,
			Description:    "The record's key in the ERP, written by syncd. Unique: syncd matches and upserts by it.",
			HasUniqueValue: true,
		},
		why: "syncd matches and upserts records by it",
	}}
	if objectType == hubspot.Companies {
		w = append(w,
			wantedProperty{
				def: hubspot.Property{
					Name: n.taxID, Label: "Tax ID", Type: "string", FieldType: "text", GroupName: GroupName,
					Description: "The company's 13-digit tax ID, written by syncd. Not unique: branches share it.",
				},
				why: "syncd writes the 13-digit tax ID as text (leading zeros matter)",
			},
			wantedProperty{
				def: hubspot.Property{
					Name: n.branch, Label: "Branch", Type: "string", FieldType: "text", GroupName: GroupName,
					Description: "The company's 5-digit branch code (00000 for the head office), written by syncd.",
				},
				why: "syncd writes the 5-digit branch code as text (leading zeros matter)",
			},
		)
	}
	return w
}

// checkProperty compares an existing property with what syncd needs and
// returns the problem, or "" when it is usable.
func checkProperty(have hubspot.Property, want hubspot.Property) string {
	var bad []string
	if have.Type != want.Type {
		bad = append(bad, fmt.Sprintf("type is %q, syncd needs %q", have.Type, want.Type))
	}
	if want.HasUniqueValue && !have.HasUniqueValue {
		bad = append(bad, "it does not require unique values")
	}
	return strings.Join(bad, " and ")
}

// Plan reads the account's properties and pipelines and computes what Apply
// must create. It changes nothing. When something needs an admin (a property
// with the wrong definition, a missing pipeline or stage while
// [setup] create_pipelines is false), Plan returns the complete plan together
// with a *ProblemsError. Any other error means the account could not be read.
func Plan(ctx context.Context, client *hubspot.Client, cfg config.Config) (*ChangeSet, error) {
	acct, err := client.AccountDetails(ctx)
	if err != nil {
		return nil, fmt.Errorf("setup: reading the HubSpot account: %w", err)
	}
	plan := &ChangeSet{PortalID: acct.PortalID, Properties: map[string][]hubspot.Property{}}
	n := namesOf(cfg)

	for _, ot := range ObjectTypes {
		props, err := client.ListProperties(ctx, ot)
		if err != nil {
			return nil, fmt.Errorf("setup: listing %s properties: %w", ot, err)
		}
		plan.Properties[ot] = props
		have := make(map[string]hubspot.Property, len(props))
		for _, p := range props {
			have[p.Name] = p
		}
		groups, err := client.ListPropertyGroups(ctx, ot)
		if err != nil {
			return nil, fmt.Errorf("setup: listing %s property groups: %w", ot, err)
		}
		groupExists := slices.ContainsFunc(groups, func(g hubspot.PropertyGroup) bool { return g.Name == GroupName })
		var creates []Change
		for _, w := range wantedProperties(ot, n) {
			p, ok := have[w.def.Name]
			if !ok {
				def := w.def
				detail := fmt.Sprintf("%s/%s in group %q", def.Type, def.FieldType, def.GroupName)
				if def.HasUniqueValue {
					detail += ", unique values"
				}
				creates = append(creates, Change{
					Kind: CreateProperty, ObjectType: ot, Name: def.Name, Detail: detail, Property: &def,
				})
				continue
			}
			if bad := checkProperty(p, w.def); bad != "" {
				plan.Problems = append(plan.Problems, Problem{
					ObjectType: ot, Name: w.def.Name,
					Detail: fmt.Sprintf("property exists but %s (%s)", bad, w.why),
					Fix: fmt.Sprintf("HubSpot cannot change this in place: archive the property %q on %s in HubSpot, "+
						"or name another one in the config (%s), then run syncd setup again",
						w.def.Name, ot, configKeyFor(w.def.Name, n)),
				})
			}
		}
		if len(creates) > 0 && !groupExists {
			plan.Changes = append(plan.Changes, Change{
				Kind: CreatePropertyGroup, ObjectType: ot, Name: GroupName,
				Detail: fmt.Sprintf("property group %q", GroupLabel),
			})
		}
		plan.Changes = append(plan.Changes, creates...)
	}

	for _, pm := range []struct {
		objectType, section, fallback string
		m                             config.PipelineMapping
	}{
		{hubspot.Deals, "deals", DefaultDealPipeline, cfg.Deals},
		{hubspot.Tickets, "tickets", DefaultTicketPipeline, cfg.Tickets},
	} {
		if err := planPipeline(ctx, client, cfg.Setup.CreatePipelines, pm.objectType, pm.section, pm.fallback, pm.m, plan); err != nil {
			return nil, err
		}
	}

	if len(plan.Problems) > 0 {
		return plan, &ProblemsError{Problems: plan.Problems}
	}
	return plan, nil
}

func configKeyFor(name string, n names) string {
	switch name {
	case n.erpID:
		return "[sync] erp_id_property"
	case n.taxID:
		return "[sync] tax_id_property"
	}
	return "a different property name"
}

// stageLabels returns the distinct stage values of a mapping in a stable
// order: sorted by the ERP status that first names them.
func stageLabels(stages map[string]string) []string {
	statuses := make([]string, 0, len(stages))
	for s := range stages {
		statuses = append(statuses, s)
	}
	slices.Sort(statuses)
	var out []string
	seen := map[string]bool{}
	for _, s := range statuses {
		v := strings.TrimSpace(stages[s])
		k := strings.ToLower(v)
		if v == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, v)
	}
	return out
}

func planPipeline(ctx context.Context, client *hubspot.Client, mayCreate bool, objectType, section, fallback string, m config.PipelineMapping, plan *ChangeSet) error {
	ref := strings.TrimSpace(m.Pipeline)
	if ref == "" {
		ref = fallback
	}
	pipelines, err := client.ListPipelines(ctx, objectType)
	if err != nil {
		return fmt.Errorf("setup: listing %s pipelines: %w", objectType, err)
	}
	stages := stageLabels(m.Stages)
	p := hubspot.FindPipeline(pipelines, ref)
	if p == nil {
		if !mayCreate {
			fix := fmt.Sprintf("create a %s pipeline labelled %q", strings.TrimSuffix(section, "s"), ref)
			if len(stages) > 0 {
				fix += fmt.Sprintf(" with stages %s", quoteList(stages))
			}
			fix += fmt.Sprintf(" in HubSpot, or set create_pipelines = true under [setup] so that syncd setup creates it, or name an existing pipeline in [%s] pipeline", section)
			plan.Problems = append(plan.Problems, Problem{
				ObjectType: objectType, Name: ref,
				Detail:   fmt.Sprintf("pipeline %q named in [%s] does not exist", ref, section),
				Fix:      fix,
				Pipeline: true,
			})
			return nil
		}
		np := &hubspot.Pipeline{Label: ref, DisplayOrder: len(pipelines)}
		for i, s := range stages {
			np.Stages = append(np.Stages, newStage(objectType, s, i))
		}
		if len(np.Stages) == 0 {
			// HubSpot refuses a pipeline without stages.
			np.Stages = append(np.Stages, newStage(objectType, "New", 0))
		}
		plan.Changes = append(plan.Changes, Change{
			Kind: CreatePipeline, ObjectType: objectType, Name: ref,
			Detail:   fmt.Sprintf("pipeline %q with stages %s", ref, quoteList(stageLabelsOf(np.Stages))),
			Pipeline: np,
		})
		return nil
	}
	next := len(p.Stages)
	for _, s := range stages {
		if hubspot.FindStage(p, s) != nil {
			continue
		}
		if !mayCreate {
			plan.Problems = append(plan.Problems, Problem{
				ObjectType: objectType, Name: p.Label + "/" + s,
				Detail: fmt.Sprintf("stage %q named in [%s.stages] does not exist in pipeline %q (%s)", s, section, p.ID, p.Label),
				Fix: fmt.Sprintf("add a stage labelled %q to that pipeline in HubSpot, or set create_pipelines = true under [setup] "+
					"so that syncd setup adds it, or map the status to an existing stage (%s)", s, quoteList(stageLabelsOf(p.Stages))),
				Pipeline: true,
			})
			continue
		}
		st := newStage(objectType, s, next)
		next++
		plan.Changes = append(plan.Changes, Change{
			Kind: CreateStage, ObjectType: objectType, Name: p.Label + "/" + s,
			Detail:     fmt.Sprintf("stage %q in pipeline %q (%s)", s, p.ID, p.Label),
			PipelineID: p.ID, Stage: &st,
		})
	}
	return nil
}

// newStage builds a stage definition. HubSpot requires a probability on deal
// stages and accepts a ticket state on ticket stages; both are guessed from
// the label and can be changed in HubSpot afterwards.
func newStage(objectType, label string, order int) hubspot.PipelineStage {
	l := strings.ToLower(label)
	closedWon := strings.Contains(l, "won") || strings.Contains(l, "complete") || strings.Contains(l, "deliver") || strings.Contains(l, "paid")
	closedLost := strings.Contains(l, "lost") || strings.Contains(l, "cancel") || strings.Contains(l, "void")
	st := hubspot.PipelineStage{Label: label, DisplayOrder: order, Metadata: map[string]string{}}
	if objectType == hubspot.Tickets {
		state := "OPEN"
		if closedWon || closedLost || strings.Contains(l, "closed") || strings.Contains(l, "resolved") {
			state = "CLOSED"
		}
		st.Metadata["ticketState"] = state
		return st
	}
	switch {
	case closedWon:
		st.Metadata["probability"] = "1.0"
		st.Metadata["isClosed"] = "true"
	case closedLost:
		st.Metadata["probability"] = "0.0"
		st.Metadata["isClosed"] = "true"
	default:
		st.Metadata["probability"] = "0.5"
		st.Metadata["isClosed"] = "false"
	}
	return st
}

func stageLabelsOf(stages []hubspot.PipelineStage) []string {
	out := make([]string, len(stages))
	for i, s := range stages {
		out[i] = s.Label
	}
	return out
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// errAlreadyExists reports whether err is HubSpot's answer to creating
// something that exists (HTTP 409).
func errAlreadyExists(err error) bool {
	var he *hubspot.Error
	return errors.As(err, &he) && he.StatusCode == 409
}
