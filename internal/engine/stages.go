package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/store"
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
// (deals or tickets). The pipelines it reads from HubSpot are kept in the
// database (table pipelines, per portal and object type), where every
// process of the schema finds them: a read younger than the refresh age
// (sync.pipeline_refresh) is used instead of calling HubSpot, so that a
// long drain, several processes, and a newly started `syncd run --once`
// read the pipelines once between them rather than in every cycle. A kept
// read that lacks a configured pipeline or stage is not trusted: the
// admin may have added it in HubSpot since, so HubSpot is read again at
// once. Invalidate drops a good read when HubSpot refused a stage taken
// from it (a stage deleted or changed since).
//
// The mapper works cycle by cycle: Reset starts a cycle, the first
// Resolve of the cycle loads the pipelines (from the database or HubSpot)
// and the rest of the cycle uses that load, failures included, so that a
// cycle reads HubSpot's pipelines at most once.
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
	st      pipelineKeeper

	mu       sync.Mutex
	portal   int64 // the cycle's HubSpot account
	loaded   bool  // the cycle has loaded the pipelines
	resolved *resolvedPipeline
	err      error     // the failure of the cycle's load
	readAt   time.Time // when the pipelines resolved came from were read
	stale    bool      // HubSpot refused a stage: the next load reads HubSpot
}

// NewDealStages returns the stage mapper for orders → deals, which keeps
// its reads in st for refresh (measured on now).
func NewDealStages(cfg config.Config, refresh time.Duration, now func() time.Time, st *store.Store) *StageMapper {
	return newDealStages(cfg, refresh, now, st)
}

func newDealStages(cfg config.Config, refresh time.Duration, now func() time.Time, st pipelineKeeper) *StageMapper {
	return &StageMapper{objectType: hubspot.Deals, entity: "order", section: "deals", mapping: cfg.Deals, fallback: "default",
		props: [2]string{"pipeline", "dealstage"}, refresh: refresh, now: now, st: st}
}

// NewTicketStages returns the stage mapper for tickets, which keeps its
// reads in st for refresh (measured on now).
func NewTicketStages(cfg config.Config, refresh time.Duration, now func() time.Time, st *store.Store) *StageMapper {
	return newTicketStages(cfg, refresh, now, st)
}

func newTicketStages(cfg config.Config, refresh time.Duration, now func() time.Time, st pipelineKeeper) *StageMapper {
	return &StageMapper{objectType: hubspot.Tickets, entity: "ticket", section: "tickets", mapping: cfg.Tickets, fallback: "0",
		props: [2]string{"hs_pipeline", "hs_pipeline_stage"}, refresh: refresh, now: now, st: st}
}

// Reset starts a cycle for the HubSpot account portal: the next Resolve
// loads the pipelines again, from the database while a kept read is
// younger than the refresh age, else from HubSpot.
func (m *StageMapper) Reset(portal int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.portal, m.loaded, m.resolved, m.err = portal, false, nil, nil
}

// Invalidate makes the next load read the pipelines from HubSpot, and
// deletes the kept read this cycle used so that every other process does
// too. The error is the database's; the next load of this mapper reads
// HubSpot whatever it is.
func (m *StageMapper) Invalidate(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stale = true
	if m.readAt.IsZero() {
		return nil
	}
	_, err := m.st.DropPipelines(ctx, m.portal, m.objectType, m.readAt)
	return err
}

// Refuses reports whether names hold the pipeline or stage property of the
// mapper's object type.
func (m *StageMapper) Refuses(names map[string]bool) bool {
	return names[m.props[0]] || names[m.props[1]]
}

// pipelineStoreError is a failure of the database that keeps the
// pipelines; like every database failure it stops the cycle.
type pipelineStoreError struct{ err error }

func (e *pipelineStoreError) Error() string { return e.err.Error() }

func (e *pipelineStoreError) Unwrap() error { return e.err }

// keptPipeline and keptStage are the JSON of a kept read of pipelines
// (store.PipelinesRead): HubSpot's field names, so that the pipelines
// table reads as HubSpot's answer does.
type keptPipeline struct {
	ID           string      `json:"id"`
	Label        string      `json:"label"`
	DisplayOrder int         `json:"displayOrder"`
	Stages       []keptStage `json:"stages"`
}

type keptStage struct {
	ID           string            `json:"id"`
	Label        string            `json:"label"`
	DisplayOrder int               `json:"displayOrder"`
	Metadata     map[string]string `json:"metadata"`
}

// encodePipelines returns ps as the JSON the pipelines table keeps.
func encodePipelines(ps []hubspot.Pipeline) []byte {
	out := make([]keptPipeline, len(ps))
	for i, p := range ps {
		kp := keptPipeline{ID: p.ID, Label: p.Label, DisplayOrder: p.DisplayOrder, Stages: make([]keptStage, len(p.Stages))}
		for j, st := range p.Stages {
			kp.Stages[j] = keptStage(st)
		}
		out[i] = kp
	}
	raw, err := json.Marshal(out)
	if err != nil { // strings, ints and string maps always marshal
		panic(fmt.Sprintf("engine: encode pipelines: %v", err))
	}
	return raw
}

// decodePipelines reads what encodePipelines wrote.
func decodePipelines(raw []byte) ([]hubspot.Pipeline, error) {
	var ps []keptPipeline
	if err := json.Unmarshal(raw, &ps); err != nil {
		return nil, err
	}
	out := make([]hubspot.Pipeline, len(ps))
	for i, p := range ps {
		hp := hubspot.Pipeline{ID: p.ID, Label: p.Label, DisplayOrder: p.DisplayOrder}
		for _, st := range p.Stages {
			hp.Stages = append(hp.Stages, hubspot.PipelineStage(st))
		}
		out[i] = hp
	}
	return out, nil
}

func (m *StageMapper) load(ctx context.Context, api pipelineLister) (*resolvedPipeline, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.loaded {
		m.resolved, m.err = m.fetch(ctx, api)
		m.loaded = true
	}
	return m.resolved, m.err
}

// fetch resolves the configured mapping against a kept read younger than
// the refresh age, or against HubSpot's pipelines, which it then keeps.
// m.mu must be held.
func (m *StageMapper) fetch(ctx context.Context, api pipelineLister) (*resolvedPipeline, error) {
	now := m.now()
	if !m.stale && m.refresh > 0 {
		kept, ok, err := m.st.Pipelines(ctx, m.portal, m.objectType)
		if err != nil {
			return nil, &pipelineStoreError{err}
		}
		if ok && now.Sub(kept.ReadAt) < m.refresh {
			pipelines, err := decodePipelines(kept.JSON)
			if err != nil {
				return nil, &pipelineStoreError{fmt.Errorf("read kept %s pipelines: %w", m.objectType, err)}
			}
			r, err := m.resolve(pipelines)
			var se *StageSetupError
			if !errors.As(err, &se) {
				m.readAt = kept.ReadAt
				return r, err
			}
			// Missing from the kept read, perhaps added in HubSpot
			// since: read HubSpot now rather than after the age.
		}
	}
	pipelines, err := api.ListPipelines(ctx, m.objectType)
	if err != nil {
		return nil, err
	}
	kept, err := m.st.SavePipelines(ctx, m.portal, m.objectType, encodePipelines(pipelines), now)
	if err != nil {
		return nil, &pipelineStoreError{err}
	}
	m.readAt, m.stale = kept.ReadAt, false
	return m.resolve(pipelines)
}

// resolve resolves the configured mapping against pipelines.
func (m *StageMapper) resolve(pipelines []hubspot.Pipeline) (*resolvedPipeline, error) {
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
// *StageSetupError; a failure to read pipelines is the client's error, and
// the database's a *pipelineStoreError.
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
