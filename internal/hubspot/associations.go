package hubspot

import (
	"context"
	"fmt"
	"net/http"
)

var (
	epAssocCreate  = endpoint{method: http.MethodPost, template: "/crm/associations/{v}/{fromObjectType}/{toObjectType}/batch/create", write: true}
	epAssocDefault = endpoint{method: http.MethodPost, template: "/crm/associations/{v}/{fromObjectType}/{toObjectType}/batch/associate/default", write: true}
	epAssocRead    = endpoint{method: http.MethodPost, template: "/crm/associations/{v}/{fromObjectType}/{toObjectType}/batch/read"}
	epAssocArchive = endpoint{method: http.MethodPost, template: "/crm/associations/{v}/{fromObjectType}/{toObjectType}/batch/archive", write: true}
)

// maxAssociationPages bounds ReadAssociations' paging (500 associations a
// page) so that a server repeating a cursor cannot loop it forever.
const maxAssociationPages = 1000

// Association type categories.
const (
	HubSpotDefined    = "HUBSPOT_DEFINED"
	UserDefined       = "USER_DEFINED"
	IntegratorDefined = "INTEGRATOR_DEFINED"
)

// wireBatchErrors is the envelope of a batch answer whose results callers
// do not need (associations, archives): only its errors matter.
type wireBatchErrors struct {
	Status    string      `json:"status"`
	NumErrors int         `json:"numErrors"`
	Errors    []wireError `json:"errors"`
}

func (w wireBatchErrors) itemErrors() []ItemError {
	errs := items(w.Errors)
	if w.NumErrors > len(errs) {
		errs = append(errs, ItemError{Category: "UNKNOWN", Message: "HubSpot reported more errors than it detailed"})
	}
	return errs
}

type wirePair struct {
	From  wireID                `json:"from"`
	To    wireID                `json:"to"`
	Types []wireAssociationSpec `json:"types,omitempty"`
}

// CreateAssociations associates up to MaxBatchInputs pairs of records with
// the given association types (labels). Creating an association that
// exists is a no-op. Per-pair failures (a record that does not exist, a type
// that does not fit the pair) are returned as ItemErrors; a whole-request
// failure as an *Error. No inputs: no call.
//
// HubSpot operation: POST /crm/associations/2026-09/{fromObjectType}/{toObjectType}/batch/create
func (c *Client) CreateAssociations(ctx context.Context, from, to string, inputs []AssociationInput) ([]ItemError, error) {
	pairs := make([]wirePair, len(inputs))
	for i, in := range inputs {
		pairs[i] = wirePair{From: wireID{ID: in.FromID}, To: wireID{ID: in.ToID}, Types: specs(in.Types)}
		if pairs[i].Types == nil {
			pairs[i].Types = []wireAssociationSpec{}
		}
	}
	return c.associate(ctx, epAssocCreate, from, to, pairs)
}

// CreateDefaultAssociations associates up to MaxBatchInputs pairs with the
// default (unlabeled) association type of the two object types. Per-pair
// failures are returned as ItemErrors. No inputs: no call.
//
// HubSpot operation: POST /crm/associations/2026-09/{fromObjectType}/{toObjectType}/batch/associate/default
func (c *Client) CreateDefaultAssociations(ctx context.Context, from, to string, pairs []AssociationPair) ([]ItemError, error) {
	inputs := make([]wirePair, len(pairs))
	for i, p := range pairs {
		inputs[i] = wirePair{From: wireID{ID: p.FromID}, To: wireID{ID: p.ToID}}
	}
	return c.associate(ctx, epAssocDefault, from, to, inputs)
}

// associate sends pairs (records of type from, each with one of type to)
// to e, one of the calls that create associations, and returns the
// per-pair failures. No pairs: no call.
func (c *Client) associate(ctx context.Context, e endpoint, from, to string, pairs []wirePair) ([]ItemError, error) {
	if err := CheckInputs(len(pairs)); err != nil {
		return nil, err
	}
	if len(pairs) == 0 {
		return nil, nil
	}
	var out wireBatchErrors
	if _, err := c.do(ctx, e, c.path(e, from, to), nil, wireInputs[wirePair]{pairs}, &out); err != nil {
		return nil, err
	}
	return out.itemErrors(), nil
}

// ReadAssociations returns, for up to MaxBatchInputs records of type from,
// the records of type to they are associated with, following HubSpot's
// paging until every record's list is complete. A record with no
// associations (or that does not exist) maps to nothing.
//
// HubSpot operation: POST /crm/associations/2026-09/{fromObjectType}/{toObjectType}/batch/read
func (c *Client) ReadAssociations(ctx context.Context, from, to string, fromIDs []string) (map[string][]Associated, error) {
	if err := CheckInputs(len(fromIDs)); err != nil {
		return nil, err
	}
	out := make(map[string][]Associated, len(fromIDs))
	type input struct {
		ID    string `json:"id"`
		After string `json:"after,omitempty"`
	}
	pending := make([]input, 0, len(fromIDs))
	for _, id := range fromIDs {
		pending = append(pending, input{ID: id})
	}
	path := c.path(epAssocRead, from, to)
	for page := 0; len(pending) > 0; page++ {
		if page == maxAssociationPages {
			return nil, fmt.Errorf("hubspot: %s: still paging after %d pages", c.key(epAssocRead), page)
		}
		body := wireInputs[input]{pending}
		var resp struct {
			Results []struct {
				From struct {
					ID jsonID `json:"id"`
				} `json:"from"`
				To []struct {
					ToObjectID       jsonID `json:"toObjectId"`
					AssociationTypes []struct {
						Category string  `json:"category"`
						TypeID   int     `json:"typeId"`
						Label    *string `json:"label"`
					} `json:"associationTypes"`
				} `json:"to"`
				Paging *wirePaging `json:"paging"`
			} `json:"results"`
			Errors []wireError `json:"errors"`
		}
		if _, err := c.do(ctx, epAssocRead, path, nil, body, &resp); err != nil {
			return nil, err
		}
		if len(resp.Errors) > 0 {
			// HubSpot reports records without associations, or unknown
			// records, as per-input errors; they simply have none.
			c.log.WithField("call", c.key(epAssocRead)).WithField("errors", len(resp.Errors)).Debug("association read reported records without associations")
		}
		next := pending[:0:0]
		for _, r := range resp.Results {
			for _, t := range r.To {
				a := Associated{ToID: string(t.ToObjectID)}
				for _, at := range t.AssociationTypes {
					a.Types = append(a.Types, AssociationType{Category: at.Category, TypeID: at.TypeID})
				}
				out[string(r.From.ID)] = append(out[string(r.From.ID)], a)
			}
			if after := r.Paging.after(); after != "" {
				next = append(next, input{ID: string(r.From.ID), After: after})
			}
		}
		pending = next
	}
	return out, nil
}

// ArchiveAssociations removes every association (all types) between each
// pair. Removing an association that does not exist is a no-op. Per-pair
// failures come back as an *Error with Items. No pairs: no call.
//
// HubSpot operation: POST /crm/associations/2026-09/{fromObjectType}/{toObjectType}/batch/archive
func (c *Client) ArchiveAssociations(ctx context.Context, from, to string, pairs []AssociationPair) error {
	type input struct {
		From wireID   `json:"from"`
		To   []wireID `json:"to"`
	}
	var inputs []input
	index := map[string]int{}
	for _, p := range pairs {
		i, ok := index[p.FromID]
		if !ok {
			i = len(inputs)
			index[p.FromID] = i
			inputs = append(inputs, input{From: wireID{ID: p.FromID}})
		}
		inputs[i].To = append(inputs[i].To, wireID{ID: p.ToID})
	}
	if err := CheckInputs(len(inputs)); err != nil {
		return err
	}
	if len(inputs) == 0 {
		return nil
	}
	return c.archive(ctx, epAssocArchive, c.path(epAssocArchive, from, to), wireInputs[input]{inputs})
}
