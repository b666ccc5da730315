package emulator

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// MaxBatchInputs is HubSpot's limit of inputs per object batch request.
const MaxBatchInputs = 100

// batchOut is HubSpot's batch response envelope.
type batchOut struct {
	Status      string            `json:"status"`
	Results     any               `json:"results"`
	NumErrors   int               `json:"numErrors,omitempty"`
	Errors      []standardError   `json:"errors,omitempty"`
	StartedAt   string            `json:"startedAt"`
	CompletedAt string            `json:"completedAt"`
	Links       map[string]string `json:"links,omitempty"`
}

func batchEnvelope(start, end time.Time, results any, errs []standardError) batchOut {
	return batchOut{Status: "COMPLETE", Results: results, NumErrors: len(errs), Errors: errs,
		StartedAt: timestamp(start), CompletedAt: timestamp(end)}
}

// batchStatus is the status of a batch answer with nErrs failed inputs:
// 207 in 2026-03 and v3 (and v4), whose specs declare it; 2026-09 declares
// no 207 and reports failures in the body of its usual status.
func batchStatus(ver string, ok, nErrs int) int {
	if nErrs > 0 && ver != "2026-09" {
		return http.StatusMultiStatus
	}
	return ok
}

// createdStatus is the success status of the association, association limit
// and property batch creates: 201, but 200 in 2026-09, whose specs declare
// only 200 for them (its object batch create keeps 201).
func createdStatus(ver string) int {
	if ver == "2026-09" {
		return http.StatusOK
	}
	return http.StatusCreated
}

// checkBatchSize rejects more than MaxBatchInputs inputs.
func checkBatchSize(n int) *apiError {
	if n > MaxBatchInputs {
		e := validationError(fmt.Sprintf("Too many inputs: %d. The maximum number of inputs in a batch request is %d.", n, MaxBatchInputs))
		e.Context = map[string][]string{"maxInputs": {fmt.Sprint(MaxBatchInputs)}}
		return e
	}
	return nil
}

// decodeInputs decodes a {"inputs": [...]} body and, when check is not nil,
// refuses more inputs than the endpoint takes. Input types that no spec
// schema names are aliases of unnamed structs (type input = struct{...}):
// invalid-JSON messages quote Go type names, and an unnamed struct keeps
// emulator names out of them.
func decodeInputs[T any](c *call, check func(n int) *apiError) ([]T, *apiError) {
	var in struct {
		Inputs []T `json:"inputs"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(len(in.Inputs)); err != nil {
			return nil, err
		}
	}
	return in.Inputs, nil
}

// duplicateError is HubSpot's 400 for the same ID twice in one batch.
func duplicateError(ids []string) *apiError {
	e := validationError(fmt.Sprintf("Duplicate IDs found in batch input: [%s]. IDs must be unique", strings.Join(ids, ", ")))
	e.Context = map[string][]string{"ids": ids}
	return e
}

// objectBatch decodes the inputs of an object batch, refusing more than
// MaxBatchInputs, then resolves the objectType path parameter.
func objectBatch[T any](c *call) (*objectStore, []T, *apiError) {
	return storeBatch[T](c, checkBatchSize)
}

// storeBatch decodes the inputs of a batch on an object type's store,
// checked by check as decodeInputs does, then resolves the objectType path
// parameter.
func storeBatch[T any](c *call, check func(n int) *apiError) (*objectStore, []T, *apiError) {
	inputs, err := decodeInputs[T](c, check)
	if err != nil {
		return nil, nil, err
	}
	os, err := c.store()
	if err != nil {
		return nil, nil, err
	}
	return os, inputs, nil
}

// tracedInput is an input of an object batch write, which may carry an
// objectWriteTraceId for its result or error to echo.
type tracedInput interface {
	traceID() string
}

func (x createIO) traceID() string      { return x.ObjectWriteTraceID }
func (x batchUpdateIO) traceID() string { return x.ObjectWriteTraceID }

// objectWrite is an object batch write being served: the store it writes,
// its inputs, when it started, and what it has written and failed so far.
type objectWrite[T tracedInput] struct {
	c       *call
	os      *objectStore
	inputs  []T
	start   time.Time
	results []objectOut
	errs    []standardError
}

// startObjectWrite decodes the inputs of an object batch write, refusing
// more than MaxBatchInputs, and resolves its object type.
func startObjectWrite[T tracedInput](c *call) (*objectWrite[T], *apiError) {
	os, inputs, err := objectBatch[T](c)
	if err != nil {
		return nil, err
	}
	return &objectWrite[T]{c: c, os: os, inputs: inputs, start: c.s.now(), results: []objectOut{}}, nil
}

// allTraced reports whether every input carries an objectWriteTraceId,
// which opts a batch create or upsert into partial success.
func (w *objectWrite[T]) allTraced() bool {
	for _, x := range w.inputs {
		if x.traceID() == "" {
			return false
		}
	}
	return len(w.inputs) > 0
}

// wrote adds rec, written for input x, to the results, and returns its
// result.
func (w *objectWrite[T]) wrote(rec *record, x T) *objectOut {
	out := w.c.renderWrite(w.os, rec)
	out.ObjectWriteTraceID = x.traceID()
	w.results = append(w.results, out)
	return &w.results[len(w.results)-1]
}

// failed reports err for input x.
func (w *objectWrite[T]) failed(err *apiError, x T) {
	w.errs = append(w.errs, err.asItem(x.traceID()))
}

// answer is the batch answer of what was written and what failed.
func (w *objectWrite[T]) answer(ok int) (int, any) {
	return w.c.batchAnswer(ok, w.start, w.results, w.errs)
}

// batchAnswer answers a batch that started at start: ok, or 207 where the
// version declares it and some inputs failed, with the results and errors
// in the batch envelope.
func (c *call) batchAnswer(ok int, start time.Time, results any, errs []standardError) (int, any) {
	return batchStatus(c.ver, ok, len(errs)), batchEnvelope(start, c.s.now(), results, errs)
}

// eachInput runs do on every input of a batch, in order, and gathers the
// results and the item errors of the inputs that failed.
func eachInput[In, Out any](inputs []In, do func(In) (Out, *standardError)) ([]Out, []standardError) {
	res := []Out{}
	var errs []standardError
	for _, x := range inputs {
		out, ierr := do(x)
		if ierr != nil {
			errs = append(errs, *ierr)
			continue
		}
		res = append(res, out)
	}
	return res, errs
}

// itemError is err as the item error of a batch input, with context key
// naming the input.
func itemError(err *apiError, key, value string) *standardError {
	item := err.asItem("")
	item.Context[key] = []string{value}
	return &item
}

// idPropertyKey is an input's lookup key: its ID property and folded value,
// so that one value under two ID properties is no duplicate.
func idPropertyKey(prop, id string) string { return prop + "\x00" + fold(id) }

// duplicateKeysError is the duplicate-IDs 400 naming the values of the
// idPropertyKey keys that repeat, or nil when none does.
func duplicateKeysError(keys []string) *apiError {
	d := duplicates(keys)
	if len(d) == 0 {
		return nil
	}
	for i := range d {
		d[i] = d[i][strings.IndexByte(d[i], 0)+1:]
	}
	return duplicateError(d)
}

// duplicates returns the keys that occur more than once, in first-seen order.
func duplicates(keys []string) []string {
	seen := map[string]int{}
	var out []string
	for _, k := range keys {
		seen[k]++
		if seen[k] == 2 {
			out = append(out, k)
		}
	}
	return out
}

// claimUnique checks that the unique values an input writes are not claimed
// by an earlier input of the same batch.
func claimUnique(os *objectStore, claimed map[string]string, self string, changes map[string]string) *apiError {
	for _, u := range os.uniqueProps() {
		v := changes[u]
		if v == "" {
			continue
		}
		k := u + "\x00" + fold(v)
		if owner, ok := claimed[k]; ok && owner != self {
			return duplicateError([]string{v})
		}
		claimed[k] = self
	}
	return nil
}

func handleBatchCreate(c *call) (int, any) {
	w, err := startObjectWrite[createIO](c)
	if err != nil {
		return 0, err
	}
	s, os, inputs := c.s, w.os, w.inputs
	partial := w.allTraced()
	// Two inputs with the same unique value (email, external ID) reject the
	// whole request, as duplicate IDs do in the other batch endpoints.
	for _, u := range os.uniqueProps() {
		var keys []string
		for _, x := range inputs {
			if v := x.Properties[u]; !v.null && v.s != "" {
				keys = append(keys, fold(v.s))
			}
		}
		if d := duplicates(keys); len(d) > 0 {
			return 0, duplicateError(d)
		}
	}
	prepared := make([]map[string]string, len(inputs))
	for i, x := range inputs {
		changes, err := s.prepareCreate(s.st, os, c.ver, x.Properties, x.Associations)
		if err != nil {
			if !partial {
				return 0, err
			}
			w.failed(err, x)
			continue
		}
		prepared[i] = changes
	}
	now := s.now()
	for i, x := range inputs {
		if prepared[i] != nil {
			w.wrote(s.create(s.st, os, prepared[i], x.Associations, now), x)
		}
	}
	return w.answer(http.StatusCreated)
}

func handleBatchRead(c *call) (int, any) {
	var in struct {
		Inputs []struct {
			ID flexString `json:"id"`
		} `json:"inputs"`
		Properties            []string `json:"properties"`
		PropertiesWithHistory []string `json:"propertiesWithHistory"`
		IDProperty            string   `json:"idProperty"`
	}
	if err := c.decode(&in); err != nil {
		return 0, err
	}
	if err := checkBatchSize(len(in.Inputs)); err != nil {
		return 0, err
	}
	archived := c.r.URL.Query().Get("archived") == "true"
	s := c.s
	os, err := c.store()
	if err != nil {
		return 0, err
	}
	start := s.now()
	keys := make([]string, len(in.Inputs))
	for i, x := range in.Inputs {
		keys[i] = string(x.ID)
		if in.IDProperty != "" && in.IDProperty != "hs_object_id" {
			keys[i] = fold(keys[i])
		}
	}
	if d := duplicates(keys); len(d) > 0 {
		return 0, duplicateError(d)
	}
	results := []objectOut{}
	var missing []string
	for _, x := range in.Inputs {
		rec, err := s.resolveID(os, string(x.ID), in.IDProperty, archived)
		if err != nil {
			return 0, err
		}
		if rec == nil {
			missing = append(missing, string(x.ID))
			continue
		}
		out := c.renderRead(os, rec, rec.props, in.Properties)
		withHistory(&out, rec, in.PropertiesWithHistory)
		results = append(results, out)
	}
	var errs []standardError
	if len(missing) > 0 {
		e := newError(http.StatusNotFound, "OBJECT_NOT_FOUND",
			fmt.Sprintf("Could not get some %s objects, they may be deleted or not exist. Check that ids are valid.", os.t.upper))
		e.Context = map[string][]string{"ids": missing}
		errs = append(errs, e.asItem(""))
	}
	return c.batchAnswer(http.StatusOK, start, results, errs)
}

// checkIDKeys runs check on every input of a batch update or upsert, in
// order, then refuses two inputs with the same ID under one ID property.
func checkIDKeys(inputs []batchUpdateIO, check func(x batchUpdateIO) *apiError) *apiError {
	keys := make([]string, len(inputs))
	for i, x := range inputs {
		if err := check(x); err != nil {
			return err
		}
		keys[i] = idPropertyKey(x.IDProperty, string(x.ID))
	}
	return duplicateKeysError(keys)
}

// batchUpdateIO is SimplePublicObjectBatchInput and, with a required id,
// SimplePublicObjectBatchInputUpsert.
type batchUpdateIO struct {
	ID                 flexString         `json:"id"`
	IDProperty         string             `json:"idProperty"`
	Properties         map[string]inValue `json:"properties"`
	ObjectWriteTraceID string             `json:"objectWriteTraceId"`
}

// handleBatchUpdate updates by record ID or unique property. Failed inputs
// are reported per input whether or not trace IDs are sent, as HubSpot's
// batch update answers 207 when some inputs fail.
func handleBatchUpdate(c *call) (int, any) {
	w, err := startObjectWrite[batchUpdateIO](c)
	if err != nil {
		return 0, err
	}
	s, os, inputs := c.s, w.os, w.inputs
	err = checkIDKeys(inputs, func(x batchUpdateIO) *apiError {
		switch {
		case x.IDProperty == "":
		case x.IDProperty == "email" && os.t.name == "contacts", !os.isUnique(x.IDProperty):
			// Contacts are updated in batches by record ID only.
			return nonUniqueError(s, os, x.IDProperty)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	// Resolve first: two inputs naming the same record by different keys
	// are duplicates too.
	recs := make([]*record, len(inputs))
	var resolved []string
	for i, x := range inputs {
		recs[i], _ = s.resolveID(os, string(x.ID), x.IDProperty, false)
		if recs[i] != nil {
			resolved = append(resolved, recs[i].id)
		}
	}
	if d := duplicates(resolved); len(d) > 0 {
		return 0, duplicateError(d)
	}
	now := s.now()
	for i, x := range inputs {
		rec := recs[i]
		if rec == nil {
			e := newError(http.StatusNotFound, "OBJECT_NOT_FOUND", fmt.Sprintf("Could not update %s %s: it does not exist or is archived.", os.t.singular, string(x.ID)))
			e.Context = map[string][]string{"ids": {string(x.ID)}}
			w.failed(e, x)
			continue
		}
		changes, err := s.prepareUpdate(s.st, os, c.ver, rec, x.Properties)
		if err != nil {
			w.failed(err, x)
			continue
		}
		s.commit(s.st, os, rec, changes, false, now)
		w.wrote(rec, x)
	}
	return w.answer(http.StatusOK)
}

// handleBatchUpsert creates or updates by a unique property. Partial success
// needs a trace ID on every input and is not available for email upserts.
func handleBatchUpsert(c *call) (int, any) {
	w, err := startObjectWrite[batchUpdateIO](c)
	if err != nil {
		return 0, err
	}
	s, os, inputs := c.s, w.os, w.inputs
	byEmail := false
	err = checkIDKeys(inputs, func(x batchUpdateIO) *apiError {
		if !os.isUnique(x.IDProperty) {
			p := x.IDProperty
			if p == "" {
				p = "hs_object_id"
			}
			return nonUniqueError(s, os, p)
		}
		if string(x.ID) == "" {
			return validationError("Each upsert input needs an id: the value of its idProperty")
		}
		byEmail = byEmail || x.IDProperty == "email"
		return nil
	})
	if err != nil {
		return 0, err
	}
	partial := w.allTraced() && !byEmail
	type plan struct {
		rec     *record
		changes map[string]string
	}
	plans := make([]*plan, len(inputs))
	claimed := map[string]string{}
	seenRec := map[string]bool{}
	for _, x := range inputs {
		if rec := os.byUnique(x.IDProperty, string(x.ID)); rec != nil {
			if seenRec[rec.id] {
				// Two keys naming one record are duplicates too.
				return 0, duplicateError([]string{rec.id})
			}
			seenRec[rec.id] = true
		}
	}
	for i, x := range inputs {
		rec := os.byUnique(x.IDProperty, string(x.ID))
		var changes map[string]string
		var err *apiError
		if rec != nil {
			changes, err = s.prepareUpdate(s.st, os, c.ver, rec, x.Properties)
		} else {
			props := make(map[string]inValue, len(x.Properties)+1)
			for k, v := range x.Properties {
				props[k] = v
			}
			if v, ok := props[x.IDProperty]; !ok || v.null || v.s == "" {
				props[x.IDProperty] = inValue{s: string(x.ID)}
			}
			changes, err = s.prepareCreate(s.st, os, c.ver, props, nil)
		}
		if err == nil {
			self := fmt.Sprint("input", i)
			if rec != nil {
				self = rec.id
			}
			err = claimUnique(os, claimed, self, changes)
		}
		if err != nil {
			if !partial {
				return 0, err
			}
			w.failed(err, x)
			continue
		}
		plans[i] = &plan{rec: rec, changes: changes}
	}
	now := s.now()
	for i, x := range inputs {
		p := plans[i]
		if p == nil {
			continue
		}
		isNew := p.rec == nil
		rec := p.rec
		if isNew {
			rec = s.create(s.st, os, p.changes, nil, now)
		} else {
			s.commit(s.st, os, rec, p.changes, false, now)
		}
		w.wrote(rec, x).New = &isNew
	}
	return w.answer(http.StatusOK)
}

func handleBatchArchive(c *call) (int, any) {
	type input = struct {
		ID flexString `json:"id"`
	}
	inputs, err := decodeInputs[input](c, checkBatchSize)
	if err != nil {
		return 0, err
	}
	keys := make([]string, len(inputs))
	for i, x := range inputs {
		keys[i] = string(x.ID)
	}
	if d := duplicates(keys); len(d) > 0 {
		return 0, duplicateError(d)
	}
	s := c.s
	os, err := c.store()
	if err != nil {
		return 0, err
	}
	now := s.now()
	for _, k := range keys {
		if rec := os.live(k); rec != nil {
			s.archive(s.st, os, rec, now)
		}
	}
	return http.StatusNoContent, nil
}

// flexString is an ID sent as a JSON string or number.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var v inValue
	if err := v.UnmarshalJSON(b); err != nil {
		return err
	}
	*f = flexString(v.s)
	return nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
