package emulator

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// pipeline is a deal or ticket pipeline as the pipelines API returns it.
type pipeline struct {
	ID           string   `json:"id"`
	Label        string   `json:"label"`
	DisplayOrder int      `json:"displayOrder"`
	Stages       []*stage `json:"stages"`
	Archived     bool     `json:"archived"`
	ArchivedAt   string   `json:"archivedAt,omitempty"`
	CreatedAt    string   `json:"createdAt"`
	UpdatedAt    string   `json:"updatedAt"`
}

// stage is a pipeline stage. Metadata values are strings on the wire.
type stage struct {
	ID               string            `json:"id"`
	Label            string            `json:"label"`
	DisplayOrder     int               `json:"displayOrder"`
	Metadata         map[string]string `json:"metadata"`
	Archived         bool              `json:"archived"`
	ArchivedAt       string            `json:"archivedAt,omitempty"`
	CreatedAt        string            `json:"createdAt"`
	UpdatedAt        string            `json:"updatedAt"`
	WritePermissions string            `json:"writePermissions"`
}

// epoch is the createdAt HubSpot gives default pipelines' stages.
const epoch = "1970-01-01T00:00:00.000Z"

// defaultStage is stage i of a default pipeline.
func defaultStage(i int, id, label string, meta map[string]string) *stage {
	return &stage{ID: id, Label: label, DisplayOrder: i, Metadata: meta,
		CreatedAt: epoch, UpdatedAt: epoch, WritePermissions: "CRM_PERMISSIONS_ENFORCEMENT"}
}

func defaultDealPipeline() *pipeline {
	p := &pipeline{ID: "default", Label: "Sales Pipeline", CreatedAt: epoch, UpdatedAt: epoch}
	for i, s := range []struct{ id, label, prob, closed string }{
		{"appointmentscheduled", "Appointment Scheduled", "0.2", "false"},
		{"qualifiedtobuy", "Qualified To Buy", "0.4", "false"},
		{"presentationscheduled", "Presentation Scheduled", "0.6", "false"},
		{"decisionmakerboughtin", "Decision Maker Bought-In", "0.8", "false"},
		{"contractsent", "Contract Sent", "0.9", "false"},
		{"closedwon", "Closed Won", "1.0", "true"},
		{"closedlost", "Closed Lost", "0.0", "true"},
	} {
		p.Stages = append(p.Stages, defaultStage(i, s.id, s.label, map[string]string{"isClosed": s.closed, "probability": s.prob}))
	}
	return p
}

func defaultTicketPipeline() *pipeline {
	p := &pipeline{ID: "0", Label: "Support Pipeline", CreatedAt: epoch, UpdatedAt: epoch}
	for i, s := range []struct{ id, label, state string }{
		{"1", "New", "OPEN"}, {"2", "Waiting on contact", "OPEN"}, {"3", "Waiting on us", "OPEN"}, {"4", "Closed", "CLOSED"},
	} {
		p.Stages = append(p.Stages, defaultStage(i, s.id, s.label, map[string]string{"ticketState": s.state}))
	}
	return p
}

// pipeline returns the live pipeline id of object type typ.
func (st *state) pipeline(typ, id string) *pipeline {
	for _, p := range st.pipelines[typ] {
		if p.ID == id && !p.Archived {
			return p
		}
	}
	return nil
}

// stage returns the live stage id.
func (p *pipeline) stage(id string) *stage {
	for _, s := range p.Stages {
		if s.ID == id && !s.Archived {
			return s
		}
	}
	return nil
}

// view returns p with its archived stages left out, sorted for display.
func (p *pipeline) view() pipeline {
	v := *p
	v.Stages = p.liveStages()
	return v
}

func (p *pipeline) liveStages() []*stage {
	out := []*stage{}
	for _, s := range p.Stages {
		if !s.Archived {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].DisplayOrder != out[j].DisplayOrder {
			return out[i].DisplayOrder < out[j].DisplayOrder
		}
		return out[i].Label < out[j].Label
	})
	return out
}

// stageIO is PipelineStageInput / PipelineStageReplace / PipelineStagePatch.
type stageIO struct {
	StageID      string             `json:"stageId"`
	Label        *string            `json:"label"`
	DisplayOrder *int               `json:"displayOrder"`
	Metadata     map[string]inValue `json:"metadata"`
	Archived     *bool              `json:"archived"`
}

// pipelineIO is PipelineInput / PipelineReplaceInput / PipelinePatchInput.
type pipelineIO struct {
	PipelineID   string    `json:"pipelineId"`
	Label        *string   `json:"label"`
	DisplayOrder *int      `json:"displayOrder"`
	Stages       []stageIO `json:"stages"`
	Archived     *bool     `json:"archived"`
}

// checkComplete requires what a create or a replace must send.
func (in *pipelineIO) checkComplete() *apiError {
	if in.Label == nil || *in.Label == "" || in.DisplayOrder == nil || len(in.Stages) == 0 {
		return validationError("A pipeline needs a label, a displayOrder and at least one stage")
	}
	return nil
}

// pipelineType resolves the objectType parameter to deals or tickets.
func (c *call) pipelineType() (string, *apiError) {
	t := lookupType(c.param("objectType"))
	if t == nil {
		return "", unknownType(c.param("objectType"))
	}
	if t.name != "deals" && t.name != "tickets" {
		return "", validationError(fmt.Sprintf("Pipelines are not supported for object type %s", t.name))
	}
	return t.name, nil
}

// pipelineInput resolves the pipeline object type, then decodes the body.
func pipelineInput[T pipelineIO | stageIO](c *call) (string, T, *apiError) {
	var in T
	typ, err := c.pipelineType()
	if err != nil {
		return "", in, err
	}
	if err := c.decode(&in); err != nil {
		return "", in, err
	}
	return typ, in, nil
}

// completePipelineInput is pipelineInput for a create or a replace, which
// must send a whole pipeline.
func completePipelineInput(c *call) (string, pipelineIO, *apiError) {
	typ, in, err := pipelineInput[pipelineIO](c)
	if err == nil {
		err = in.checkComplete()
	}
	return typ, in, err
}

func pipelineNotFound(id string) *apiError {
	e := newError(http.StatusNotFound, "OBJECT_NOT_FOUND", fmt.Sprintf("Unable to find pipeline %s", id))
	e.Context = map[string][]string{"pipelineId": {id}}
	return e
}

func stageNotFound(pid, sid string) *apiError {
	e := newError(http.StatusNotFound, "OBJECT_NOT_FOUND", fmt.Sprintf("Unable to find stage %s in pipeline %s", sid, pid))
	e.Context = map[string][]string{"stageId": {sid}}
	return e
}

// buildStage validates one stage input for pipeline p of type typ.
func (s *Server) buildStage(st *state, typ string, p *pipeline, in stageIO, now time.Time) (*stage, *apiError) {
	if in.Label == nil || *in.Label == "" || in.DisplayOrder == nil {
		return nil, validationError("A stage needs a label, a displayOrder and metadata")
	}
	meta, err := stageMetadata(typ, in.Metadata)
	if err != nil {
		return nil, err
	}
	id := in.StageID
	if id == "" {
		id = strconv.FormatInt(st.nextStage, 10)
		st.nextStage++
	} else if id != strings.ToLower(id) || strings.ContainsAny(id, " /") {
		return nil, validationError(fmt.Sprintf("Stage ID %q is invalid: stage IDs must be lowercase without spaces or slashes", id))
	}
	for _, o := range p.Stages {
		if o.Archived {
			continue
		}
		if o.ID == id {
			return nil, newError(http.StatusConflict, "CONFLICT", fmt.Sprintf("A stage with ID %s already exists in pipeline %s", id, p.ID))
		}
		if strings.EqualFold(o.Label, *in.Label) {
			return nil, validationError(fmt.Sprintf("Stage label %q must be unique within pipeline %s", *in.Label, p.ID))
		}
	}
	ts := timestamp(now)
	return &stage{ID: id, Label: *in.Label, DisplayOrder: *in.DisplayOrder, Metadata: meta, CreatedAt: ts, UpdatedAt: ts,
		WritePermissions: "CRM_PERMISSIONS_ENFORCEMENT"}, nil
}

// buildStages validates the stage inputs in order and appends them to p, so
// each is checked against those before it.
func (s *Server) buildStages(typ string, p *pipeline, in []stageIO, now time.Time) *apiError {
	for _, si := range in {
		stg, err := s.buildStage(s.st, typ, p, si, now)
		if err != nil {
			return err
		}
		p.Stages = append(p.Stages, stg)
	}
	return nil
}

// stageMetadata checks a stage's metadata: deals need a probability between
// 0.0 and 1.0; tickets take an optional ticketState of OPEN or CLOSED.
func stageMetadata(typ string, in map[string]inValue) (map[string]string, *apiError) {
	meta := map[string]string{}
	for k, v := range in {
		meta[k] = v.s
	}
	if typ == "deals" {
		pv, ok := meta["probability"]
		f, err := strconv.ParseFloat(pv, 64)
		if !ok || err != nil || f < 0 || f > 1 {
			return nil, validationError("Deal stages need metadata.probability between 0.0 and 1.0")
		}
		meta["probability"] = strconv.FormatFloat(f, 'f', 1, 64)
		if _, ok := meta["isClosed"]; !ok {
			meta["isClosed"] = strconv.FormatBool(f == 0 || f == 1)
		}
		if meta["isClosed"] != "true" && meta["isClosed"] != "false" {
			return nil, validationError("metadata.isClosed must be true or false")
		}
	} else {
		switch meta["ticketState"] {
		case "":
			meta["ticketState"] = "OPEN"
		case "OPEN", "CLOSED":
		default:
			return nil, validationError("metadata.ticketState must be OPEN or CLOSED")
		}
	}
	return meta, nil
}

func handlePipelineList(c *call) (int, any) {
	typ, err := c.pipelineType()
	if err != nil {
		return 0, err
	}
	s := c.s
	out := []pipeline{}
	for _, p := range s.st.pipelines[typ] {
		if !p.Archived {
			out = append(out, p.view())
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].DisplayOrder < out[j].DisplayOrder })
	return http.StatusOK, map[string]any{"results": out}
}

func handlePipelineCreate(c *call) (int, any) {
	typ, in, err := completePipelineInput(c)
	if err != nil {
		return 0, err
	}
	s := c.s
	st := s.st
	for _, o := range st.pipelines[typ] {
		if o.Archived {
			continue
		}
		if strings.EqualFold(o.Label, *in.Label) {
			return 0, newError(http.StatusConflict, "CONFLICT", fmt.Sprintf("A pipeline with label '%s' already exists", *in.Label))
		}
		if in.PipelineID != "" && o.ID == in.PipelineID {
			return 0, newError(http.StatusConflict, "CONFLICT", fmt.Sprintf("A pipeline with ID %s already exists", in.PipelineID))
		}
	}
	now := s.now()
	id := in.PipelineID
	if id == "" {
		id = strconv.FormatInt(st.nextPipe, 10)
		st.nextPipe++
	}
	p := &pipeline{ID: id, Label: *in.Label, DisplayOrder: *in.DisplayOrder, CreatedAt: timestamp(now), UpdatedAt: timestamp(now), Stages: []*stage{}}
	if err := s.buildStages(typ, p, in.Stages, now); err != nil {
		return 0, err
	}
	st.pipelines[typ] = append(st.pipelines[typ], p)
	return http.StatusCreated, p.view()
}

func handlePipelineGet(c *call) (int, any) {
	_, p, err := c.pipelineParam()
	if err != nil {
		return 0, err
	}
	return http.StatusOK, p.view()
}

func handlePipelineReplace(c *call) (int, any) {
	typ, in, err := completePipelineInput(c)
	if err != nil {
		return 0, err
	}
	s := c.s
	p, err := c.findPipeline(typ)
	if err != nil {
		return 0, err
	}
	now := s.now()
	fresh := &pipeline{ID: p.ID}
	if err := s.buildStages(typ, fresh, in.Stages, now); err != nil {
		return 0, err
	}
	for _, stg := range fresh.Stages {
		if old := p.stage(stg.ID); old != nil {
			stg.CreatedAt = old.CreatedAt
		}
	}
	p.Label, p.DisplayOrder, p.Stages, p.UpdatedAt = *in.Label, *in.DisplayOrder, fresh.Stages, timestamp(now)
	return http.StatusOK, p.view()
}

func handlePipelineUpdate(c *call) (int, any) {
	typ, in, err := pipelineInput[pipelineIO](c)
	if err != nil {
		return 0, err
	}
	s := c.s
	id := c.param("pipelineId")
	var p *pipeline
	for _, o := range s.st.pipelines[typ] {
		if o.ID == id {
			p = o
		}
	}
	if p == nil {
		return 0, pipelineNotFound(id)
	}
	if in.Archived != nil {
		if *in.Archived || !p.Archived {
			return 0, validationError("archived may only be sent as false, to restore an archived pipeline")
		}
		p.Archived, p.ArchivedAt = false, ""
	} else if p.Archived {
		return 0, pipelineNotFound(id)
	}
	patch(&p.Label, in.Label)
	patch(&p.DisplayOrder, in.DisplayOrder)
	p.UpdatedAt = timestamp(s.now())
	return http.StatusOK, p.view()
}

func handlePipelineDelete(c *call) (int, any) {
	typ, p, err := c.pipelineParam()
	if err != nil {
		return 0, err
	}
	s := c.s
	live := 0
	for _, o := range s.st.pipelines[typ] {
		if !o.Archived {
			live++
		}
	}
	if live == 1 {
		return 0, validationError("The last pipeline of an object type cannot be deleted")
	}
	p.Archived, p.ArchivedAt = true, timestamp(s.now())
	return http.StatusNoContent, nil
}

func handleStageList(c *call) (int, any) {
	_, p, err := c.pipelineParam()
	if err != nil {
		return 0, err
	}
	return http.StatusOK, map[string]any{"results": p.liveStages()}
}

func handleStageCreate(c *call) (int, any) {
	typ, in, err := pipelineInput[stageIO](c)
	if err != nil {
		return 0, err
	}
	s := c.s
	p, err := c.findPipeline(typ)
	if err != nil {
		return 0, err
	}
	stg, err := s.buildStage(s.st, typ, p, in, s.now())
	if err != nil {
		return 0, err
	}
	p.Stages = append(p.Stages, stg)
	p.UpdatedAt = stg.CreatedAt
	return http.StatusCreated, stg
}

// findPipeline resolves the pipelineId parameter to a live pipeline.
func (c *call) findPipeline(typ string) (*pipeline, *apiError) {
	p := c.s.st.pipeline(typ, c.param("pipelineId"))
	if p == nil {
		return nil, pipelineNotFound(c.param("pipelineId"))
	}
	return p, nil
}

// pipelineParam resolves the objectType and pipelineId path parameters.
func (c *call) pipelineParam() (string, *pipeline, *apiError) {
	typ, err := c.pipelineType()
	if err != nil {
		return "", nil, err
	}
	p, err := c.findPipeline(typ)
	return typ, p, err
}

// stageParam resolves the objectType, pipelineId and stageId path
// parameters.
func (c *call) stageParam() (string, *pipeline, *stage, *apiError) {
	typ, err := c.pipelineType()
	if err != nil {
		return "", nil, nil, err
	}
	p, stg, err := c.findStage(typ)
	return typ, p, stg, err
}

// findStage resolves the pipelineId and stageId parameters.
func (c *call) findStage(typ string) (*pipeline, *stage, *apiError) {
	p, err := c.findPipeline(typ)
	if err != nil {
		return nil, nil, err
	}
	stg := p.stage(c.param("stageId"))
	if stg == nil {
		return nil, nil, stageNotFound(p.ID, c.param("stageId"))
	}
	return p, stg, nil
}

func handleStageGet(c *call) (int, any) {
	_, _, stg, err := c.stageParam()
	if err != nil {
		return 0, err
	}
	return http.StatusOK, stg
}

func handleStageReplace(c *call) (int, any) { return stageWrite(c, true) }
func handleStageUpdate(c *call) (int, any)  { return stageWrite(c, false) }

// stageWrite serves PUT (replace: label, displayOrder and metadata required)
// and PATCH (metadata required, the rest optional) of a stage.
func stageWrite(c *call, replace bool) (int, any) {
	typ, in, err := pipelineInput[stageIO](c)
	if err != nil {
		return 0, err
	}
	if in.Metadata == nil || (replace && (in.Label == nil || in.DisplayOrder == nil)) {
		return 0, validationError("A stage update needs metadata (and, to replace, a label and a displayOrder)")
	}
	s := c.s
	p, stg, err := c.findStage(typ)
	if err != nil {
		return 0, err
	}
	meta, err := stageMetadata(typ, in.Metadata)
	if err != nil {
		return 0, err
	}
	if in.Label != nil {
		for _, o := range p.Stages {
			if o != stg && !o.Archived && strings.EqualFold(o.Label, *in.Label) {
				return 0, validationError(fmt.Sprintf("Stage label %q must be unique within pipeline %s", *in.Label, p.ID))
			}
		}
		stg.Label = *in.Label
	}
	patch(&stg.DisplayOrder, in.DisplayOrder)
	stg.Metadata = meta
	stg.UpdatedAt = timestamp(s.now())
	return http.StatusOK, stg
}

func handleStageDelete(c *call) (int, any) {
	_, p, stg, err := c.stageParam()
	if err != nil {
		return 0, err
	}
	s := c.s
	if len(p.liveStages()) == 1 {
		return 0, validationError("The last stage of a pipeline cannot be deleted")
	}
	stg.Archived, stg.ArchivedAt = true, timestamp(s.now())
	return http.StatusNoContent, nil
}
