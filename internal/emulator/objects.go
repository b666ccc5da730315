package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// objectOut is SimplePublicObject / SimplePublicObjectWithAssociations /
// SimplePublicUpsertObject on the wire.
type objectOut struct {
	ID                    string                      `json:"id"`
	Properties            map[string]*string          `json:"properties"`
	PropertiesWithHistory map[string][]historyIO      `json:"propertiesWithHistory,omitempty"`
	CreatedAt             string                      `json:"createdAt"`
	UpdatedAt             string                      `json:"updatedAt"`
	Archived              bool                        `json:"archived"`
	ArchivedAt            string                      `json:"archivedAt,omitempty"`
	Associations          map[string]*assocCollection `json:"associations,omitempty"`
	New                   *bool                       `json:"new,omitempty"`
	ObjectWriteTraceID    string                      `json:"objectWriteTraceId,omitempty"`
}

// historyIO is one ValueWithTimestamp.
type historyIO struct {
	Value      string `json:"value"`
	Timestamp  string `json:"timestamp"`
	SourceType string `json:"sourceType"`
	// UpdatedByUserID is the user of a change made as a user (UserHeader).
	UpdatedByUserID *int64 `json:"updatedByUserId,omitempty"`
}

type assocCollection struct {
	Results []associatedID `json:"results"`
}

type associatedID struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// createIO is SimplePublicObjectInputForCreate and one batch create input.
type createIO struct {
	Properties         map[string]inValue `json:"properties"`
	Associations       []inlineAssocIO    `json:"associations"`
	ObjectWriteTraceID string             `json:"objectWriteTraceId"`
}

// renderWrite renders rec after a write: every property that has a value.
func (c *call) renderWrite(os *objectStore, rec *record) objectOut {
	props := make(map[string]*string, len(rec.props))
	for k, v := range rec.props {
		v := v
		props[k] = &v
	}
	return c.envelope(rec, props)
}

// renderRead renders props (rec's current or search view) with the
// requested properties, or the object's defaults when none are requested.
func (c *call) renderRead(os *objectStore, rec *record, view map[string]string, requested []string) objectOut {
	return c.envelope(rec, c.pickProps(os, view, requested))
}

func (c *call) pickProps(os *objectStore, view map[string]string, requested []string) map[string]*string {
	names := requested
	if len(names) == 0 {
		names = os.t.defaults
	} else {
		names = append(append([]string{}, names...), "createdate", os.t.lastMod, "hs_object_id")
	}
	out := make(map[string]*string, len(names))
	for _, n := range names {
		if p := os.props[n]; p == nil || p.Archived {
			continue // HubSpot ignores unknown requested properties
		}
		if v, ok := view[n]; ok {
			v := v
			out[n] = &v
		} else if c.ver == "2026-09" {
			out[n] = nil // 2026-09 declares values nullable; older specs do not
		}
	}
	return out
}

func (c *call) envelope(rec *record, props map[string]*string) objectOut {
	o := objectOut{ID: rec.id, Properties: props, CreatedAt: timestamp(rec.created), UpdatedAt: timestamp(rec.updated), Archived: rec.archived}
	if rec.archived {
		o.ArchivedAt = timestamp(rec.archivedAt)
	}
	return o
}

// withHistory adds propertiesWithHistory for the named properties.
func withHistory(o *objectOut, rec *record, names []string) {
	if len(names) == 0 {
		return
	}
	o.PropertiesWithHistory = map[string][]historyIO{}
	for _, n := range names {
		var h []historyIO
		for i := len(rec.history[n]) - 1; i >= 0; i-- {
			h = append(h, rec.history[n][i]) // newest first, as HubSpot lists them
		}
		if len(h) == 0 {
			if v, ok := rec.props[n]; ok {
				// Computed properties are not written through commit's changes.
				h = []historyIO{{Value: v, Timestamp: timestamp(rec.updated), SourceType: "CALCULATED"}}
			}
		}
		if h == nil {
			h = []historyIO{}
		}
		o.PropertiesWithHistory[n] = h
	}
}

// listParam reads a query parameter given as a comma-separated list,
// repeated, or both.
func listParam(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// prepareCreate validates one create and returns the values to store.
func (s *Server) prepareCreate(st *state, os *objectStore, ver string, in map[string]inValue, assocs []inlineAssocIO) (map[string]string, *apiError) {
	changes, err := s.prepareUpdate(st, os, ver, nil, in)
	if err != nil {
		return nil, err
	}
	if _, err := st.resolveInline(os, "", assocs); err != nil {
		return nil, err
	}
	return changes, nil
}

// prepareUpdate validates one update of rec, or a create when rec is nil,
// and returns the values to store.
func (s *Server) prepareUpdate(st *state, os *objectStore, ver string, rec *record, in map[string]inValue) (map[string]string, *apiError) {
	changes, probs := normalizeValues(os, rec, in)
	probs = append(probs, st.checkRules(os, ver, changes)...)
	if len(probs) > 0 {
		return nil, propertyValuesError(s.portalID, probs)
	}
	if err := s.checkRecord(st, os, rec, changes); err != nil {
		return nil, err
	}
	if err := s.checkUnique(os, rec, changes); err != nil {
		return nil, err
	}
	return changes, nil
}

// create stores a validated create and its inline associations.
func (s *Server) create(st *state, os *objectStore, changes map[string]string, assocs []inlineAssocIO, now time.Time) *record {
	rec := os.newRecord(now)
	s.commit(st, os, rec, changes, true, now)
	links, _ := st.resolveInline(os, rec.id, assocs)
	for _, l := range links {
		s.link(st, l.from, l.to, l.def.ID, now)
	}
	return rec
}

// checkUnique answers 409 when a unique value belongs to another record.
func (s *Server) checkUnique(os *objectStore, rec *record, changes map[string]string) *apiError {
	for _, u := range os.uniqueProps() {
		v := changes[u]
		if v == "" {
			continue
		}
		other := os.byUnique(u, v)
		if other == nil || (rec != nil && other.id == rec.id) {
			continue
		}
		return uniqueConflict(os, u, v, other.id)
	}
	return nil
}

func uniqueConflict(os *objectStore, prop, value, existingID string) *apiError {
	if os.t.name == "contacts" && prop == "email" {
		return conflictError("Contact already exists. Existing ID: " + existingID)
	}
	e := conflictError(fmt.Sprintf("A %s with %s %q already exists. Existing ID: %s", os.t.singular, prop, value, existingID))
	e.Context = map[string][]string{"propertyName": {prop}, "id": {existingID}}
	return e
}

// checkRecord applies object-level rules: required properties on create,
// pipeline and stage membership, and line items' product references. It
// may add defaults to changes (the default pipeline, product name and price).
func (s *Server) checkRecord(st *state, os *objectStore, rec *record, changes map[string]string) *apiError {
	get := func(k string) string {
		if v, ok := changes[k]; ok {
			return v
		}
		if rec != nil {
			return rec.props[k]
		}
		return ""
	}
	var required []string
	switch os.t.name {
	case "deals":
		required = []string{"dealname", "dealstage"}
		if err := s.checkStage(st, os, rec, changes, "pipeline", "dealstage", "default"); err != nil {
			return err
		}
	case "tickets":
		required = []string{"subject", "hs_pipeline_stage"}
		if err := s.checkStage(st, os, rec, changes, "hs_pipeline", "hs_pipeline_stage", "0"); err != nil {
			return err
		}
	case "products":
		required = []string{"name"}
	case "line_items":
		if pid, ok := changes["hs_product_id"]; ok && pid != "" {
			prod := st.objects["products"].live(pid)
			if prod == nil {
				return propertyValuesError(s.portalID, []propertyProblem{{"hs_product_id", "INVALID_OBJECT_ID", fmt.Sprintf("Product with ID %s does not exist", pid)}})
			}
			if rec == nil {
				for _, k := range []string{"name", "price"} {
					if _, given := changes[k]; !given && prod.props[k] != "" {
						changes[k] = prod.props[k]
					}
				}
			}
		}
		if p := get("price"); strings.HasPrefix(p, "-") {
			return propertyValuesError(s.portalID, []propertyProblem{{"price", "INVALID_INTEGER", "Line item price cannot be negative"}})
		}
	}
	if os.t.name == "companies" && rec == nil && changes["name"] == "" && changes["domain"] == "" {
		required = []string{"name"}
	}
	if rec == nil {
		var missing []string
		for _, k := range required {
			if get(k) == "" {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			e := validationError(fmt.Sprintf("Cannot create object with type: %s. The following required properties were missing: [%s]", os.t.upper, strings.Join(missing, ", ")))
			for _, m := range missing {
				e.Errors = append(e.Errors, errorDetail{Message: fmt.Sprintf("A value for %s must be provided", m), Code: "MISSING_REQUIRED_PROPERTY", Context: map[string][]string{"propertyName": {m}}})
			}
			return e
		}
	} else {
		for _, k := range required {
			if v, ok := changes[k]; ok && v == "" {
				return propertyValuesError(s.portalID, []propertyProblem{{k, "MISSING_REQUIRED_PROPERTY", fmt.Sprintf("%s is required and cannot be cleared", k)}})
			}
		}
	}
	return nil
}

// checkStage checks that the record's stage belongs to its pipeline. The
// default pipeline fills in when a create names none.
func (s *Server) checkStage(st *state, os *objectStore, rec *record, changes map[string]string, pipeProp, stageProp, defPipe string) *apiError {
	_, pipeChanged := changes[pipeProp]
	_, stageChanged := changes[stageProp]
	if rec != nil && !pipeChanged && !stageChanged {
		return nil
	}
	pid := changes[pipeProp]
	if !pipeChanged && rec != nil {
		pid = rec.props[pipeProp]
	}
	if pid == "" {
		if rec != nil && pipeChanged {
			return propertyValuesError(s.portalID, []propertyProblem{{pipeProp, "MISSING_REQUIRED_PROPERTY", pipeProp + " cannot be cleared"}})
		}
		pid = defPipe
		changes[pipeProp] = pid
	}
	pipe := st.pipeline(os.t.name, pid)
	if pipe == nil {
		var ids []string
		for _, p := range st.pipelines[os.t.name] {
			if !p.Archived {
				ids = append(ids, p.ID)
			}
		}
		return propertyValuesError(s.portalID, []propertyProblem{{pipeProp, "INVALID_OPTION", fmt.Sprintf("%s was not one of the allowed options: [%s]", pid, strings.Join(ids, ", "))}})
	}
	stage := changes[stageProp]
	if !stageChanged && rec != nil {
		stage = rec.props[stageProp]
	}
	if stage == "" {
		return nil // required-on-create is checked by the caller
	}
	if pipe.stage(stage) == nil {
		var ids []string
		for _, st := range pipe.Stages {
			if !st.Archived {
				ids = append(ids, st.ID)
			}
		}
		return propertyValuesError(s.portalID, []propertyProblem{{stageProp, "INVALID_OPTION",
			fmt.Sprintf("%s is not a valid pipeline stage ID. Valid options are: pipelineId=%s : [%s]", stage, pid, strings.Join(ids, ", "))}})
	}
	return nil
}

// computeProps sets the properties HubSpot calculates.
func (s *Server) computeProps(st *state, os *objectStore, rec *record, now time.Time) {
	switch os.t.name {
	case "contacts":
		if e := rec.props["email"]; e != "" {
			rec.props["hs_email_domain"] = e[strings.LastIndex(e, "@")+1:]
		} else {
			delete(rec.props, "hs_email_domain")
		}
	case "deals":
		if p := st.pipeline("deals", rec.props["pipeline"]); p != nil {
			if stg := p.stage(rec.props["dealstage"]); stg != nil {
				closed := stg.Metadata["isClosed"] == "true"
				rec.props["hs_is_closed"] = strconv.FormatBool(closed)
				rec.props["hs_is_closed_won"] = strconv.FormatBool(closed && stg.Metadata["probability"] == "1.0")
				if pr := stg.Metadata["probability"]; pr != "" {
					rec.props["hs_deal_stage_probability"] = pr
				}
			}
		}
	case "tickets":
		rec.props["hs_ticket_id"] = rec.id
		if p := st.pipeline("tickets", rec.props["hs_pipeline"]); p != nil {
			if stg := p.stage(rec.props["hs_pipeline_stage"]); stg != nil {
				closed := stg.Metadata["ticketState"] == "CLOSED"
				rec.props["hs_is_closed"] = strconv.FormatBool(closed)
				if closed && rec.props["closed_date"] == "" {
					rec.props["closed_date"] = timestamp(now)
					rec.props["time_to_close"] = strconv.FormatInt(now.Sub(rec.created).Milliseconds(), 10)
				} else if !closed {
					delete(rec.props, "closed_date")
					delete(rec.props, "time_to_close")
				}
			}
		}
	case "line_items":
		computeLineItem(rec)
		for other := range st.assoc[recKey{"line_items", rec.id}] {
			if other.typ == "deals" {
				s.recomputeDeal(st, other.id, now)
			}
		}
	}
}

// computeLineItem sets amount = quantity × price − discount, where discount
// is a per-unit amount, or a percentage when hs_discount_percentage is set.
func computeLineItem(rec *record) {
	if rec.props["quantity"] == "" {
		rec.props["quantity"] = "1"
	}
	qty, _ := strconv.ParseFloat(rec.props["quantity"], 64)
	price, _ := strconv.ParseFloat(rec.props["price"], 64)
	pre := qty * price
	var disc float64
	if d := rec.props["discount"]; d != "" {
		v, _ := strconv.ParseFloat(d, 64)
		disc = v * qty
	} else if pct := rec.props["hs_discount_percentage"]; pct != "" {
		v, _ := strconv.ParseFloat(pct, 64)
		disc = pre * v / 100
	}
	rec.props["hs_pre_discount_amount"] = money(pre)
	rec.props["hs_total_discount"] = money(disc)
	rec.props["amount"] = money(pre - disc)
}

func money(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// recomputeDeal sets a deal's hs_tcv from its line items, and its amount
// too when the deal-amount setting is on.
func (s *Server) recomputeDeal(st *state, dealID string, now time.Time) {
	deals := st.objects["deals"]
	deal := deals.live(dealID)
	if deal == nil {
		return
	}
	var sum float64
	n := 0
	for other := range st.assoc[recKey{"deals", dealID}] {
		if other.typ != "line_items" {
			continue
		}
		if li := st.objects["line_items"].live(other.id); li != nil {
			v, _ := strconv.ParseFloat(li.props["amount"], 64)
			sum += v
			n++
		}
	}
	deal.props["hs_tcv"] = money(sum)
	if s.Config().DealAmountFromLineItems && n > 0 {
		deal.props["amount"] = money(sum)
	}
	s.snapshot(deal, now)
}

// resolveID finds a live record by ID, or by a unique property.
func (s *Server) resolveID(os *objectStore, id, idProperty string, archived bool) (*record, *apiError) {
	if idProperty == "" || idProperty == "hs_object_id" {
		// A merged-away ID reads as the record it was merged into.
		r := os.recs[os.survivor(id)]
		if r == nil || r.archived != archived {
			return nil, nil
		}
		return r, nil
	}
	if !os.isUnique(idProperty) {
		return nil, nonUniqueError(s, os, idProperty)
	}
	if archived {
		return nil, nil // archived records leave the unique indexes
	}
	return os.byUnique(idProperty, id), nil
}

func nonUniqueError(s *Server, os *objectStore, prop string) *apiError {
	return validationError(fmt.Sprintf("Unable to perform update/upsert by non-unique %s property %s in portal ID %d", os.t.id, prop, s.portalID))
}

func handleCreate(c *call) (int, any) {
	var in createIO
	s := c.s
	os, err := c.decodeStore(&in)
	if err != nil {
		return 0, err
	}
	changes, err := s.prepareCreate(s.st, os, c.ver, in.Properties, in.Associations)
	if err != nil {
		return 0, err
	}
	rec := s.create(s.st, os, changes, in.Associations, s.now())
	return http.StatusCreated, c.renderWrite(os, rec)
}

func handleGet(c *call) (int, any) {
	s := c.s
	q := c.r.URL.Query()
	os, err := c.store()
	if err != nil {
		return 0, err
	}
	id := c.param("objectId")
	rec, err := s.resolveID(os, id, q.Get("idProperty"), q.Get("archived") == "true")
	if err != nil {
		return 0, err
	}
	if rec == nil {
		return 0, notFoundError(id)
	}
	out := c.renderRead(os, rec, rec.props, listParam(q, "properties"))
	withHistory(&out, rec, listParam(q, "propertiesWithHistory"))
	out.Associations = s.st.inlineAssociations(os.t.name, rec.id, listParam(q, "associations"))
	return http.StatusOK, out
}

func handleList(c *call) (int, any) {
	s := c.s
	q := c.r.URL.Query()
	limit := 10
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, validationError(fmt.Sprintf("limit must be a positive integer, got %q", v))
		}
		if n > 100 {
			return 0, validationError(fmt.Sprintf("limit may be at most 100, got %d", n))
		}
		limit = n
	}
	var after int64
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, validationError(fmt.Sprintf("after must be a paging cursor from a previous page, got %q", v))
		}
		after = n
	}
	archived := q.Get("archived") == "true"
	props := listParam(q, "properties")
	hist := listParam(q, "propertiesWithHistory")
	assocs := listParam(q, "associations")
	os, err := c.store()
	if err != nil {
		return 0, err
	}
	// The cursor is the ID of the next record, as HubSpot documents.
	i := sort.Search(len(os.order), func(i int) bool { return os.order[i].num >= after })
	results := []objectOut{}
	var next string
	for ; i < len(os.order); i++ {
		rec := os.order[i]
		if rec.archived != archived {
			continue
		}
		if len(results) == limit {
			next = rec.id
			break
		}
		out := c.renderRead(os, rec, rec.props, props)
		withHistory(&out, rec, hist)
		out.Associations = s.st.inlineAssociations(os.t.name, rec.id, assocs)
		results = append(results, out)
	}
	body := map[string]any{"results": results}
	if next != "" {
		body["paging"] = map[string]any{"next": map[string]string{"after": next, "link": c.r.URL.Path + "?after=" + next}}
	}
	return http.StatusOK, body
}

func handleUpdate(c *call) (int, any) {
	var in struct {
		Properties map[string]inValue `json:"properties"`
	}
	s := c.s
	os, err := c.decodeStore(&in)
	if err != nil {
		return 0, err
	}
	id := c.param("objectId")
	rec, err := s.resolveID(os, id, c.r.URL.Query().Get("idProperty"), false)
	if err != nil {
		return 0, err
	}
	if rec == nil {
		return 0, notFoundError(id)
	}
	changes, err := s.prepareUpdate(s.st, os, c.ver, rec, in.Properties)
	if err != nil {
		return 0, err
	}
	s.commit(s.st, os, rec, changes, false, s.now())
	return http.StatusOK, c.renderWrite(os, rec)
}

func handleArchive(c *call) (int, any) {
	s := c.s
	os, err := c.store()
	if err != nil {
		return 0, err
	}
	// HubSpot answers 204 for IDs that do not exist too.
	if rec := os.live(c.param("objectId")); rec != nil {
		s.archive(s.st, os, rec, s.now())
	}
	return http.StatusNoContent, nil
}
