package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/setup"
)

// pipelineLister is the part of the HubSpot client stage mapping needs.
type pipelineLister interface {
	ListPipelines(ctx context.Context, objectType string) ([]hubspot.Pipeline, error)
}

// stageError is the data error of an ERP status with no stage mapping: the
// row fails with it and is retried later, when the admin may have added the
// mapping. It reads, for example:
//
//	order SO-1001: field "status": ERP status "shipped" has no stage mapping in pipeline "default" (Sales Pipeline); add it under [deals.stages] in the config
func stageError(entity, erpID, status, section string, r *resolvedPipeline) *outbox.FieldError {
	return &outbox.FieldError{
		Entity: entity, ERPID: erpID, Field: "status",
		Reason: fmt.Sprintf("ERP status %q has no stage mapping in pipeline %q (%s)", status, r.id, r.label),
		Hint:   fmt.Sprintf("add it under [%s.stages] in the config", section),
	}
}

// StageSetupError says the configured pipeline or a configured stage does not
// exist in HubSpot. Nothing of that object type can sync until the admin
// fixes it, so it is a setup error, not a row's.
type StageSetupError struct {
	Section string
	Detail  string
}

func (e *StageSetupError) Error() string {
	return fmt.Sprintf("[%s]: %s; run syncd setup (with create_pipelines = true under [setup] to let it create them) or fix the config", e.Section, e.Detail)
}

// resolvedPipeline is one pipeline with the config's mapping resolved to
// stage IDs.
type resolvedPipeline struct {
	id, label string
	// byStatus maps a lower-cased ERP status to a stage ID.
	byStatus map[string]string
	// exact maps the ERP status exactly as configured to a stage ID; it wins
	// over byStatus so that statuses differing only in case can map apart.
	exact map[string]string
}

// StageMapper maps ERP statuses to the stages of one configured pipeline
// (deals or tickets). It reads the pipelines API once and caches the result,
// or the error, for its lifetime, so that a missing pipeline or stage costs one
// call however many records need it; the engine makes a new StageMapper
// every cycle so that a pipeline edited in HubSpot is seen at the next
// cycle.
type StageMapper struct {
	objectType string // hubspot.Deals or hubspot.Tickets
	entity     string // order or ticket
	section    string // deals or tickets
	mapping    config.PipelineMapping
	fallback   string

	mu       sync.Mutex
	resolved *resolvedPipeline
	err      error // the cached failure of the last load
}

// NewDealStages returns the stage mapper for orders → deals.
func NewDealStages(cfg config.Config) *StageMapper {
	return &StageMapper{objectType: hubspot.Deals, entity: "order", section: "deals", mapping: cfg.Deals, fallback: "default"}
}

// NewTicketStages returns the stage mapper for tickets.
func NewTicketStages(cfg config.Config) *StageMapper {
	return &StageMapper{objectType: hubspot.Tickets, entity: "ticket", section: "tickets", mapping: cfg.Tickets, fallback: "0"}
}

func (m *StageMapper) load(ctx context.Context, api pipelineLister) (*resolvedPipeline, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.resolved != nil || m.err != nil {
		return m.resolved, m.err
	}
	r, err := m.resolve(ctx, api)
	m.resolved, m.err = r, err
	return r, err
}

func (m *StageMapper) resolve(ctx context.Context, api pipelineLister) (*resolvedPipeline, error) {
	pipelines, err := api.ListPipelines(ctx, m.objectType)
	if err != nil {
		return nil, err
	}
	ref := strings.TrimSpace(m.mapping.Pipeline)
	if ref == "" {
		ref = m.fallback
	}
	p := setup.FindPipeline(pipelines, ref)
	if p == nil {
		return nil, &StageSetupError{Section: m.section, Detail: fmt.Sprintf("pipeline %q does not exist in HubSpot (have %s)", ref, pipelineNames(pipelines))}
	}
	r := &resolvedPipeline{id: p.ID, label: p.Label, byStatus: map[string]string{}, exact: map[string]string{}}
	statuses := make([]string, 0, len(m.mapping.Stages))
	for s := range m.mapping.Stages {
		statuses = append(statuses, s)
	}
	slices.Sort(statuses)
	for _, status := range statuses {
		stageRef := m.mapping.Stages[status]
		st := setup.FindStage(p, stageRef)
		if st == nil {
			return nil, &StageSetupError{Section: m.section, Detail: fmt.Sprintf("stage %q (for ERP status %q) does not exist in pipeline %q (%s)", stageRef, status, p.ID, p.Label)}
		}
		r.exact[status] = st.ID
		k := strings.ToLower(strings.TrimSpace(status))
		if _, dup := r.byStatus[k]; !dup {
			r.byStatus[k] = st.ID
		}
	}
	return r, nil
}

// Resolve returns the pipeline ID and stage ID for the ERP status of the
// record erpID. Statuses match exactly, else ignoring case and surrounding
// space. An unmapped status is an *outbox.FieldError; a pipeline or stage missing in HubSpot is a
// *StageSetupError; a failure to read pipelines is the client's error.
func (m *StageMapper) Resolve(ctx context.Context, api pipelineLister, erpID, status string) (pipelineID, stageID string, err error) {
	r, err := m.load(ctx, api)
	if err != nil {
		return "", "", err
	}
	if id, ok := r.exact[status]; ok {
		return r.id, id, nil
	}
	if id, ok := r.byStatus[strings.ToLower(strings.TrimSpace(status))]; ok {
		return r.id, id, nil
	}
	return r.id, "", stageError(m.entity, erpID, status, m.section, r)
}

func pipelineNames(ps []hubspot.Pipeline) string {
	if len(ps) == 0 {
		return "none"
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprintf("%q (%s)", p.ID, p.Label)
	}
	return strings.Join(s, ", ")
}
