package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// mergeable are the object types with a merge endpoint.
var mergeable = map[string]bool{"contacts": true, "companies": true, "deals": true, "tickets": true}

// survivor follows merges: it returns the ID that id was merged into, or id.
func (os *objectStore) survivor(id string) string {
	for i := 0; i < 100; i++ {
		next, ok := os.merged[id]
		if !ok {
			return id
		}
		id = next
	}
	return id
}

// remove takes rec out of the store for good (merge, GDPR delete).
func (s *Server) remove(st *state, os *objectStore, rec *record) {
	os.unindex(rec)
	me := recKey{os.t.name, rec.id}
	for other := range st.assoc[me] {
		st.unlinkAll(me, other)
	}
	delete(os.recs, rec.id)
	for i, r := range os.order {
		if r == rec {
			os.order = append(os.order[:i:i], os.order[i+1:]...)
			break
		}
	}
}

// merge combines primary and other into a record with a new ID, as HubSpot
// does by default: the primary's values win, the other's fill the gaps; the
// other contact's email becomes an additional email; associations of both
// move to the new record; both old IDs then resolve to it.
func (s *Server) merge(st *state, os *objectStore, primary, other *record, now time.Time) *record {
	props := cloneProps(other.props)
	for k, v := range primary.props {
		props[k] = v
	}
	var mergedIDs []string
	for _, r := range []*record{primary, other} {
		if m := r.props["hs_merged_object_ids"]; m != "" {
			mergedIDs = append(mergedIDs, strings.Split(m, ";")...)
		}
		mergedIDs = append(mergedIDs, r.id)
	}
	props["hs_merged_object_ids"] = strings.Join(mergedIDs, ";")
	if os.t.name == "contacts" {
		var extra []string
		for _, r := range []*record{primary, other} {
			if a := r.props["hs_additional_emails"]; a != "" {
				extra = append(extra, strings.Split(a, ";")...)
			}
		}
		if e := other.props["email"]; e != "" && e != primary.props["email"] {
			extra = append(extra, e)
		}
		if len(extra) > 0 {
			props["hs_additional_emails"] = strings.Join(extra, ";")
		}
	}
	type link struct {
		to    recKey
		types []int
	}
	var links []link
	for _, r := range []*record{primary, other} {
		me := recKey{os.t.name, r.id}
		for k := range st.assoc[me] {
			if k.typ == os.t.name && (k.id == primary.id || k.id == other.id) {
				continue
			}
			links = append(links, link{k, st.typesBetween(me, k)})
		}
	}
	s.remove(st, os, primary)
	s.remove(st, os, other)
	delete(props, "hs_object_id")
	delete(props, os.t.lastMod)
	rec := os.newRecord(now)
	rec.created = primary.created
	s.commit(st, os, rec, props, true, now)
	for _, l := range links {
		for _, t := range l.types {
			s.link(st, recKey{os.t.name, rec.id}, l.to, t, now)
		}
	}
	os.merged[primary.id] = rec.id
	os.merged[other.id] = rec.id
	return rec
}

func handleMerge(c *call) (int, any) {
	var in struct {
		PrimaryObjectID flexString `json:"primaryObjectId"`
		ObjectIDToMerge flexString `json:"objectIdToMerge"`
	}
	s := c.s
	os, err := c.decodeStore(&in)
	if err != nil {
		return 0, err
	}
	if !mergeable[os.t.name] {
		return 0, validationError(fmt.Sprintf("Merging is not supported for %s", os.t.name))
	}
	if in.PrimaryObjectID == "" || in.ObjectIDToMerge == "" {
		return 0, validationError("primaryObjectId and objectIdToMerge are required")
	}
	p, o := os.live(os.survivor(string(in.PrimaryObjectID))), os.live(os.survivor(string(in.ObjectIDToMerge)))
	if p == nil {
		return 0, notFoundError(string(in.PrimaryObjectID))
	}
	if o == nil {
		return 0, notFoundError(string(in.ObjectIDToMerge))
	}
	if p == o {
		return 0, validationError("A record cannot be merged with itself")
	}
	if os.t.name == "deals" && p.props["pipeline"] != o.props["pipeline"] {
		return 0, validationError("Only deals of the same pipeline can be merged")
	}
	rec := s.merge(s.st, os, p, o, s.now())
	return http.StatusOK, c.renderWrite(os, rec)
}

// handleGDPRDelete deletes a contact for good; an unknown contact is still
// answered 204 (HubSpot blocklists the email).
func handleGDPRDelete(c *call) (int, any) {
	var in struct {
		ObjectID   flexString `json:"objectId"`
		IDProperty string     `json:"idProperty"`
	}
	s := c.s
	os, err := c.decodeStore(&in)
	if err != nil {
		return 0, err
	}
	if os.t.name != "contacts" {
		return 0, validationError("GDPR delete is only available for contacts")
	}
	rec, err := s.resolveID(os, string(in.ObjectID), in.IDProperty, false)
	if err != nil {
		return 0, err
	}
	if rec != nil {
		s.remove(s.st, os, rec)
	}
	return http.StatusNoContent, nil
}
