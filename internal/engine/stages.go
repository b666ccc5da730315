package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
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
// (deals or tickets). It reads the pipelines API once and keeps the result
// for the refresh age given to it (sync.pipeline_refresh), so that a long
// drain reads pipelines once rather than in every cycle. A failed read, or
// a configured pipeline or stage missing in HubSpot, is kept for the
// mapper's current use only (Reset drops it): the engine resets its
// mappers at the start of every cycle, so that an admin's fix is seen at
// the next cycle without waiting for the age; Invalidate drops a good
// result too, when HubSpot refused a stage it gave (a stage deleted or
// changed since the read).
type StageMapper struct {
	objectType string // hubspot.Deals or hubspot.Tickets
	entity     string // order or ticket
	section    string // deals or tickets
	mapping    config.PipelineMapping
	fallback   string
	// props are the HubSpot properties holding the pipeline and stage.
	props [2]string
	// refresh is how long a read is used; 0 means for one cycle.
	refresh time.Duration
	now     func() time.Time

	mu       sync.Mutex
	resolved *resolvedPipeline
	loadedAt time.Time
	stale    bool  // the next load reads again
	err      error // the cached failure of the last load
}

// NewDealStages returns the stage mapper for orders → deals, which keeps a
// read for refresh (measured on now).
func NewDealStages(cfg config.Config, refresh time.Duration, now func() time.Time) *StageMapper {
	return &StageMapper{objectType: hubspot.Deals, entity: "order", section: "deals", mapping: cfg.Deals, fallback: "default",
		props: [2]string{"pipeline", "dealstage"}, refresh: refresh, now: now}
}

// NewTicketStages returns the stage mapper for tickets, which keeps a read
// for refresh (measured on now).
func NewTicketStages(cfg config.Config, refresh time.Duration, now func() time.Time) *StageMapper {
	return &StageMapper{objectType: hubspot.Tickets, entity: "ticket", section: "tickets", mapping: cfg.Tickets, fallback: "0",
		props: [2]string{"hs_pipeline", "hs_pipeline_stage"}, refresh: refresh, now: now}
}

// Reset starts a new cycle: a cached failure is dropped, and so is a read
// older than the refresh age or one that is stale.
func (m *StageMapper) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.err = nil
	if m.resolved != nil && (m.stale || m.now().Sub(m.loadedAt) >= m.refresh) {
		m.resolved = nil
	}
}

// Invalidate makes the next cycle read the pipelines again.
func (m *StageMapper) Invalidate() {
	m.mu.Lock()
	m.stale = true
	m.mu.Unlock()
}

// Refuses reports whether names hold the pipeline or stage property of the
// mapper's object type.
func (m *StageMapper) Refuses(names map[string]bool) bool {
	return names[m.props[0]] || names[m.props[1]]
}

func (m *StageMapper) load(ctx context.Context, api pipelineLister) (*resolvedPipeline, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.resolved != nil || m.err != nil {
		return m.resolved, m.err
	}
	r, err := m.resolve(ctx, api)
	m.resolved, m.err = r, err
	if err == nil {
		m.loadedAt, m.stale = m.now(), false
	}
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
	p := hubspot.FindPipeline(pipelines, ref)
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
		st := hubspot.FindStage(p, stageRef)
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
