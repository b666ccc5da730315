package emulator

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Association limits per request. HubSpot documents 1,000 for batch read;
// 2,000 for the write endpoints is third-party-reported.
const (
	maxAssocReadInputs  = 1000
	maxAssocWriteInputs = 2000
	assocPageSize       = 500
)

// assocTypes resolves the from and to object types of a batch route.
func (c *call) assocTypes() (*objType, *objType, *apiError) {
	fp, tp := "fromObjectType", "toObjectType"
	if c.param(fp) == "" {
		fp = "objectType"
	}
	f, t := lookupType(c.param(fp)), lookupType(c.param(tp))
	if f == nil {
		return nil, nil, unknownType(c.param(fp))
	}
	if t == nil {
		return nil, nil, unknownType(c.param(tp))
	}
	return f, t, nil
}

type objectIDIO struct {
	ID flexString `json:"id"`
}

// labelsPair is LabelsBetweenObjectPair.
type labelsPair struct {
	FromObjectTypeID string   `json:"fromObjectTypeId"`
	FromObjectID     string   `json:"fromObjectId"`
	ToObjectTypeID   string   `json:"toObjectTypeId"`
	ToObjectID       string   `json:"toObjectId"`
	Labels           []string `json:"labels"`
}

func (st *state) labelsPair(from, to recKey) labelsPair {
	out := labelsPair{FromObjectTypeID: lookupType(from.typ).id, FromObjectID: from.id, ToObjectTypeID: lookupType(to.typ).id, ToObjectID: to.id, Labels: []string{}}
	for _, id := range st.typesBetween(from, to) {
		if l := st.def(id).Label; l != "" {
			out.Labels = append(out.Labels, l)
		}
	}
	return out
}

// defaultResult is PublicDefaultAssociation.
type defaultResult struct {
	pairIO
	AssociationSpc assocSpecIO `json:"associationSpec"`
}

func handleAssocPutDefault(c *call) (int, any) {
	f, t, err := c.assocTypes()
	if err != nil {
		return 0, err
	}
	s := c.s
	d, err := defaultDefBetween(f, t)
	if err != nil {
		return 0, err
	}
	from, to := recKey{f.name, c.param("fromObjectId")}, recKey{t.name, c.param("toObjectId")}
	start := s.now()
	if err := s.linkTypes(from, to, start, d.ID); err != nil {
		return 0, err
	}
	there, back := pairIO{objectIDIO{flexString(from.id)}, objectIDIO{flexString(to.id)}}, pairIO{objectIDIO{flexString(to.id)}, objectIDIO{flexString(from.id)}}
	res := []defaultResult{
		{pairIO: there, AssociationSpc: assocSpecIO{d.Category, d.ID}},
		{pairIO: back, AssociationSpc: assocSpecIO{d.Category, d.Inverse}},
	}
	return http.StatusOK, batchEnvelope(start, s.now(), res, nil)
}

func handleAssocPutLabeled(c *call) (int, any) {
	var specs []assocSpecIO
	f, t, err := c.decodeAssoc(&specs)
	if err != nil {
		return 0, err
	}
	if len(specs) == 0 {
		return 0, validationError("Send at least one association type")
	}
	s := c.s
	from, to := recKey{f.name, c.param("objectId")}, recKey{t.name, c.param("toObjectId")}
	for _, sp := range specs {
		if _, err := s.st.validLink(from, to, sp.AssociationTypeID); err != nil {
			return 0, err
		}
	}
	now := s.now() // read only once the request is known to succeed
	for _, sp := range specs {
		s.link(s.st, from, to, sp.AssociationTypeID, now)
	}
	return http.StatusCreated, s.st.labelsPair(from, to)
}

func handleAssocDeletePair(c *call) (int, any) {
	f, t, err := c.assocTypes()
	if err != nil {
		return 0, err
	}
	s := c.s
	from, to := recKey{f.name, c.param("objectId")}, recKey{t.name, c.param("toObjectId")}
	s.st.unlinkAll(from, to)
	if li, deal := lineItemDeal(from, to); li.id != "" {
		s.recomputeDeal(s.st, deal.id, s.now()) // the clock is read only when a deal changes
	}
	return http.StatusNoContent, nil
}

// multiAssociated is MultiAssociatedObjectWithLabel.
type multiAssociated struct {
	ToObjectID       string          `json:"toObjectId"`
	AssociationTypes []specWithLabel `json:"associationTypes"`
}

// page returns up to assocPageSize associations of from to toType after
// the cursor, and the next cursor.
func (c *call) page(from recKey, toType, after string, limit int) ([]multiAssociated, string) {
	st := c.s.st
	out := []multiAssociated{}
	for _, k := range st.targets(from, toType) {
		if after != "" && !idLess(after, k.id) && after != k.id {
			continue
		}
		if len(out) == limit {
			return out, k.id
		}
		m := multiAssociated{ToObjectID: k.id}
		for _, id := range st.typesBetween(from, k) {
			m.AssociationTypes = append(m.AssociationTypes, c.specLabel(st.def(id)))
		}
		out = append(out, m)
	}
	return out, ""
}

func handleAssocList(c *call) (int, any) {
	f, t, err := c.assocTypes()
	if err != nil {
		return 0, err
	}
	q := c.r.URL.Query()
	limit := assocPageSize
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > assocPageSize {
			return 0, validationError(fmt.Sprintf("limit must be between 1 and %d", assocPageSize))
		}
		limit = n
	}
	s := c.s
	from := recKey{f.name, c.param("objectId")}
	if s.st.objects[f.name].live(from.id) == nil {
		return 0, notFoundError(from.id)
	}
	res, next := c.page(from, t.name, q.Get("after"), limit)
	body := map[string]any{"results": res}
	if next != "" {
		body["paging"] = map[string]any{"next": map[string]string{"after": next}}
	}
	return http.StatusOK, body
}

func assocBatchSize(n, max int) *apiError {
	if n > max {
		return validationError(fmt.Sprintf("Too many inputs: %d. The maximum number of inputs in this batch request is %d.", n, max))
	}
	return nil
}

// decodeAssoc resolves the object types of an association route, then
// decodes the body into v.
func (c *call) decodeAssoc(v any) (from, to *objType, err *apiError) {
	if from, to, err = c.assocTypes(); err != nil {
		return nil, nil, err
	}
	if err := c.decode(v); err != nil {
		return nil, nil, err
	}
	return from, to, nil
}

// assocInputs is the request of an association batch route.
type assocInputs[T any] struct {
	from, to *objType
	inputs   []T
	// start is when the request was taken, on the server's clock.
	start time.Time
}

// assocBatch resolves the object types of an association batch route, then
// decodes its inputs, refusing more than max (0: no limit).
func assocBatch[T any](c *call, max int) (assocInputs[T], *apiError) {
	var in struct {
		Inputs []T `json:"inputs"`
	}
	from, to, err := c.decodeAssoc(&in)
	if err != nil {
		return assocInputs[T]{}, err
	}
	if max > 0 {
		if err := assocBatchSize(len(in.Inputs), max); err != nil {
			return assocInputs[T]{}, err
		}
	}
	return assocInputs[T]{from: from, to: to, inputs: in.Inputs, start: c.s.now()}, nil
}

// assocEach serves an association batch whose inputs succeed or fail one
// by one: it decodes inputs of In (at most max, 0: no limit), runs do on
// each and answers ok, or 207 where the version declares it, with the
// results and the item errors.
func assocEach[In, Out any](c *call, max, ok int, do func(b assocInputs[In], x In) (Out, *standardError)) (int, any) {
	b, err := assocBatch[In](c, max)
	if err != nil {
		return 0, err
	}
	res, errs := eachInput(b.inputs, func(x In) (Out, *standardError) { return do(b, x) })
	return c.batchAnswer(ok, b.start, res, errs)
}

// assocItemError turns a failed association input into a batch item error
// naming the pair; nil for no error.
func assocItemError(err *apiError, from, to recKey) *standardError {
	if err == nil {
		return nil
	}
	item := err.asItem("")
	if _, ok := item.Context["fromObjectId"]; !ok && from.id != "" {
		item.Context["fromObjectId"] = []string{from.id}
	}
	if _, ok := item.Context["toObjectId"]; !ok && to.id != "" {
		item.Context["toObjectId"] = []string{to.id}
	}
	return &item
}

// noAssociationsError is the item error of a batch read input that has no
// associations to the target type.
func noAssociationsError(f, t *objType, fromID string) *standardError {
	e := newError(http.StatusNotFound, "OBJECT_NOT_FOUND", fmt.Sprintf("No %s is associated with %s %s.", t.singular, f.singular, fromID))
	e.Context = map[string][]string{"fromObjectId": {fromID}}
	item := e.asItem("")
	return &item
}

// pairIO names the two records of an association input.
type pairIO struct {
	From objectIDIO `json:"from"`
	To   objectIDIO `json:"to"`
}

// keys returns the records p names, from of type f and to of type t.
func (p pairIO) keys(f, t *objType) (recKey, recKey) {
	return recKey{f.name, string(p.From.ID)}, recKey{t.name, string(p.To.ID)}
}

func handleAssocBatchDefault(c *call) (int, any) {
	b, err := assocBatch[pairIO](c, maxAssocWriteInputs)
	if err != nil {
		return 0, err
	}
	s, f, t, start := c.s, b.from, b.to, b.start
	d, err := defaultDefBetween(f, t)
	if err != nil {
		return 0, err
	}
	res, errs := eachInput(b.inputs, func(x pairIO) (defaultResult, *standardError) {
		from, to := x.keys(f, t)
		return defaultResult{pairIO: x, AssociationSpc: assocSpecIO{d.Category, d.ID}}, assocItemError(s.linkTypes(from, to, start, d.ID), from, to)
	})
	// Every version declares only 200 here; failures go in errors[].
	return http.StatusOK, batchEnvelope(start, s.now(), res, errs)
}

// labeledInput is PublicAssociationMultiPost.
type labeledInput struct {
	pairIO
	Types []assocSpecIO `json:"types"`
}

func handleAssocBatchCreate(c *call) (int, any) {
	s := c.s
	return assocEach(c, maxAssocWriteInputs, createdStatus(c.ver), func(b assocInputs[labeledInput], x labeledInput) (labelsPair, *standardError) {
		from, to := x.keys(b.from, b.to)
		if len(x.Types) == 0 {
			return labelsPair{}, assocItemError(validationError("Each input needs at least one association type"), from, to)
		}
		if err := s.linkTypes(from, to, b.start, typeIDs(x.Types)...); err != nil {
			return labelsPair{}, assocItemError(err, from, to)
		}
		return s.st.labelsPair(from, to), nil
	})
}

func handleAssocBatchRead(c *call) (int, any) {
	type input = struct {
		ID    flexString `json:"id"`
		After string     `json:"after"`
	}
	type result struct {
		From   objectIDIO        `json:"from"`
		To     []multiAssociated `json:"to"`
		Paging map[string]any    `json:"paging,omitempty"`
	}
	return assocEach(c, maxAssocReadInputs, http.StatusOK, func(b assocInputs[input], x input) (result, *standardError) {
		from := recKey{b.from.name, string(x.ID)}
		to, next := c.page(from, b.to.name, x.After, assocPageSize)
		if c.s.st.objects[b.from.name].live(from.id) == nil || (len(to) == 0 && x.After == "") {
			return result{}, noAssociationsError(b.from, b.to, from.id)
		}
		r := result{From: objectIDIO{x.ID}, To: to}
		if next != "" {
			r.Paging = map[string]any{"next": map[string]string{"after": next}}
		}
		return r, nil
	})
}

// archiveResponse answers an association batch archive: 200 with a batch
// body in 2026-09 and 2026-03, 204 in v4.
func archiveResponse(c *call, start time.Time, errs []standardError) (int, any) {
	if c.ver == "v4" || c.ver == "v3" {
		return http.StatusNoContent, nil
	}
	return http.StatusOK, batchEnvelope(start, c.s.now(), []any{}, errs)
}

func handleAssocBatchArchive(c *call) (int, any) {
	type input = struct {
		From objectIDIO   `json:"from"`
		To   []objectIDIO `json:"to"`
	}
	b, err := assocBatch[input](c, maxAssocWriteInputs)
	if err != nil {
		return 0, err
	}
	s, f, t, start := c.s, b.from, b.to, b.start
	for _, x := range b.inputs {
		for _, to := range x.To {
			a, b := recKey{f.name, string(x.From.ID)}, recKey{t.name, string(to.ID)}
			s.st.unlinkAll(a, b)
			s.recomputePairDeal(a, b, start)
		}
	}
	return archiveResponse(c, start, nil)
}

func handleAssocBatchLabelsArchive(c *call) (int, any) {
	b, err := assocBatch[labeledInput](c, maxAssocWriteInputs)
	if err != nil {
		return 0, err
	}
	s, f, t, start := c.s, b.from, b.to, b.start
	for _, x := range b.inputs {
		a, b := x.keys(f, t)
		for _, sp := range x.Types {
			s.st.unlinkType(a, b, sp.AssociationTypeID)
		}
		s.recomputePairDeal(a, b, start)
	}
	return archiveResponse(c, start, nil)
}
