package hubspot

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

var (
	epListPipelines  = endpoint{method: http.MethodGet, template: "/crm/pipelines/{v}/{objectType}"}
	epCreatePipeline = endpoint{method: http.MethodPost, template: "/crm/pipelines/{v}/{objectType}", write: true}
	epCreateStage    = endpoint{method: http.MethodPost, template: "/crm/pipelines/{v}/{objectType}/{pipelineId}/stages", write: true}
)

type wireStage struct {
	ID           string    `json:"id,omitempty"`
	StageID      string    `json:"stageId,omitempty"`
	Label        string    `json:"label"`
	DisplayOrder int       `json:"displayOrder"`
	Metadata     stringMap `json:"metadata"`
	Archived     bool      `json:"archived,omitempty"`
}

func (w wireStage) stage() PipelineStage {
	return PipelineStage{ID: w.ID, Label: w.Label, DisplayOrder: w.DisplayOrder, Metadata: map[string]string(w.Metadata)}
}

type wirePipeline struct {
	ID           string      `json:"id,omitempty"`
	PipelineID   string      `json:"pipelineId,omitempty"`
	Label        string      `json:"label"`
	DisplayOrder int         `json:"displayOrder"`
	Stages       []wireStage `json:"stages"`
	Archived     bool        `json:"archived,omitempty"`
}

func (w wirePipeline) archived() bool { return w.Archived }

func (w wirePipeline) pipeline() Pipeline {
	p := Pipeline{ID: w.ID, Label: w.Label, DisplayOrder: w.DisplayOrder}
	for _, s := range w.Stages {
		if s.Archived {
			continue
		}
		p.Stages = append(p.Stages, s.stage())
	}
	return p
}

func stageInput(s PipelineStage) wireStage {
	md := s.Metadata
	if md == nil {
		md = map[string]string{}
	}
	return wireStage{StageID: s.ID, Label: s.Label, DisplayOrder: s.DisplayOrder, Metadata: stringMap(md)}
}

// ListPipelines returns the pipelines of objectType (deals or tickets) with
// their stages, archived stages left out. Portals rename and remove
// pipelines, so callers read them rather than assume HubSpot's defaults.
//
// HubSpot operation: GET /crm/pipelines/2026-09/{objectType}
func (c *Client) ListPipelines(ctx context.Context, objectType string) ([]Pipeline, error) {
	return listResults(ctx, c, epListPipelines, c.path(epListPipelines, objectType), wirePipeline.pipeline)
}

// CreatePipeline creates a pipeline with its stages. A non-empty p.ID and
// stage IDs are sent as the IDs to use (stage IDs must be lowercase); deal
// stages need metadata "probability" ("0.0".."1.0"), ticket stages may set
// "ticketState" (OPEN or CLOSED).
//
// HubSpot operation: POST /crm/pipelines/2026-09/{objectType}
func (c *Client) CreatePipeline(ctx context.Context, objectType string, p Pipeline) (*Pipeline, error) {
	body := wirePipeline{PipelineID: p.ID, Label: p.Label, DisplayOrder: p.DisplayOrder, Stages: []wireStage{}}
	for _, s := range p.Stages {
		body.Stages = append(body.Stages, stageInput(s))
	}
	return create(ctx, c, epCreatePipeline, c.path(epCreatePipeline, objectType), body, wirePipeline.pipeline)
}

// CreatePipelineStage adds a stage to an existing pipeline. A non-empty
// s.ID is sent as the stage ID to use.
//
// HubSpot operation: POST /crm/pipelines/2026-09/{objectType}/{pipelineId}/stages
func (c *Client) CreatePipelineStage(ctx context.Context, objectType, pipelineID string, s PipelineStage) (*PipelineStage, error) {
	return create(ctx, c, epCreateStage, c.path(epCreateStage, objectType, pipelineID), stageInput(s), wireStage.stage)
}

// stringMap decodes a JSON object whose values HubSpot declares as strings
// but may send as numbers or booleans (stage metadata such as probability).
type stringMap map[string]string

func (m *stringMap) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(stringMap, len(raw))
	for k, v := range raw {
		if len(v) == 0 || string(v) == "null" {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
		} else {
			out[k] = string(v)
		}
	}
	*m = out
	return nil
}

// FindPipeline finds a pipeline by ID, else by label (case and surrounding
// space ignored). It returns nil when neither matches. `syncd setup` and the
// engine both resolve the configured pipeline with it, so that what setup
// finds is what the sync uses.
func FindPipeline(pipelines []Pipeline, ref string) *Pipeline {
	ref = strings.TrimSpace(ref)
	for i := range pipelines {
		if pipelines[i].ID == ref {
			return &pipelines[i]
		}
	}
	for i := range pipelines {
		if strings.EqualFold(strings.TrimSpace(pipelines[i].Label), ref) {
			return &pipelines[i]
		}
	}
	return nil
}

// FindStage finds a stage of p by ID, else by label (case and surrounding
// space ignored). It returns nil when neither matches. Like FindPipeline, it
// is the one rule setup and the engine share.
func FindStage(p *Pipeline, ref string) *PipelineStage {
	ref = strings.TrimSpace(ref)
	for i := range p.Stages {
		if p.Stages[i].ID == ref {
			return &p.Stages[i]
		}
	}
	for i := range p.Stages {
		if strings.EqualFold(strings.TrimSpace(p.Stages[i].Label), ref) {
			return &p.Stages[i]
		}
	}
	return nil
}
