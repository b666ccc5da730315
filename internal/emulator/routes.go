package emulator

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// route is one HubSpot operation: a method and a path template whose
// {segments} are parameters. template is also the key in statistics.
type route struct {
	method   string
	template string
	segs     []string
	version  string
	search   bool // exempt from the burst limit, limited to 5 per second
	handler  handlerFunc
	scopes   func(c *call) *scopeReq
}

// scopeReq is the scopes an operation needs: any one of anyOf, or every one
// of allOf.
type scopeReq struct {
	anyOf []string
	allOf []string
}

func (q *scopeReq) satisfiedBy(granted map[string]bool) bool {
	if len(q.allOf) > 0 {
		for _, s := range q.allOf {
			if !granted[s] {
				return false
			}
		}
		return true
	}
	for _, s := range q.anyOf {
		if granted[s] {
			return true
		}
	}
	return len(q.anyOf) == 0
}

func (q *scopeReq) list() []string {
	if len(q.allOf) > 0 {
		return q.allOf
	}
	return q.anyOf
}

var routes = buildRoutes()

// prefix is where an API lives in one version.
type prefix struct{ path, ver string }

// apiPrefixes lists an API's prefixes: /crm/{api}/2026-09, /crm/{api}/2026-03
// and /crm/{legacy}/{api} for each legacy version (v3, v4).
func apiPrefixes(api string, legacy ...string) []prefix {
	out := []prefix{{"/crm/" + api + "/2026-09", "2026-09"}, {"/crm/" + api + "/2026-03", "2026-03"}}
	for _, v := range legacy {
		out = append(out, prefix{"/crm/" + v + "/" + api, v})
	}
	return out
}

// access is what an operation does with what it addresses, which decides
// the scopes it needs.
type access int

const (
	reads    access = iota
	writes          // needs the write scope
	searches        // reads, limited as a search (5 per second, no burst)
	unscoped        // needs no scope, whatever its API needs
)

// scopesFor makes the scope requirement of an operation from whether it
// writes.
type scopesFor func(write bool) func(*call) *scopeReq

// api is a group of operations: the prefixes it lives under, one a version,
// and the scopes its operations need (nil: none).
type api struct {
	prefixes []prefix
	scopes   scopesFor
}

var (
	objectsAPI     = &api{apiPrefixes("objects", "v3"), objectAccess}
	recordAssocAPI = &api{apiPrefixes("objects", "v4"), assocScopes}
	batchAssocAPI  = &api{apiPrefixes("associations", "v4"), assocScopes}
	// Labels and limits live under the date versions, the v4 spec's
	// spelling and the Node client's spelling.
	labelsAPI     = &api{append(apiPrefixes("associations"), prefix{"/crm/associations/v4", "v4"}, prefix{"/crm/v4/associations", "v4"}), assocScopes}
	v3AssocAPI    = &api{[]prefix{{"/crm/v3/associations", "v3"}}, assocScopes}
	propertiesAPI = &api{apiPrefixes("properties", "v3"), schemaScopes}
	pipelinesAPI  = &api{apiPrefixes("pipelines", "v3"), schemaScopes}
	rulesAPI      = &api{apiPrefixes("property-validations", "v3"), nil}
	accountAPI    = &api{[]prefix{{"/account-info/2026-09", "2026-09"}, {"/account-info/2026-03", "2026-03"}, {"/account-info/v3", "v3"}}, oauthScopes}

	// apis is the order in which routes are matched: every operation of an
	// API under each of its prefixes, then the next API.
	apis = []*api{objectsAPI, recordAssocAPI, batchAssocAPI, labelsAPI, v3AssocAPI, propertiesAPI, pipelinesAPI, rulesAPI, accountAPI}
)

// op is one operation of an API: its method and its path below the API's
// prefix.
type op struct {
	api          *api
	method, path string
	handler      handlerFunc
	access       access
}

// operations lists every operation. Within an API they are matched in this
// order, so a literal segment comes before a parameter that would also
// match it.
var operations = []op{
	// Records.
	{objectsAPI, "POST", "/{objectType}/batch/create", handleBatchCreate, writes},
	{objectsAPI, "POST", "/{objectType}/batch/read", handleBatchRead, reads},
	{objectsAPI, "POST", "/{objectType}/batch/update", handleBatchUpdate, writes},
	{objectsAPI, "POST", "/{objectType}/batch/upsert", handleBatchUpsert, writes},
	{objectsAPI, "POST", "/{objectType}/batch/archive", handleBatchArchive, writes},
	{objectsAPI, "POST", "/{objectType}/search", handleSearch, searches},
	{objectsAPI, "POST", "/{objectType}/merge", handleMerge, writes},
	{objectsAPI, "POST", "/{objectType}/gdpr-delete", handleGDPRDelete, writes},
	{objectsAPI, "GET", "/{objectType}", handleList, reads},
	{objectsAPI, "POST", "/{objectType}", handleCreate, writes},
	{objectsAPI, "GET", "/{objectType}/{objectId}", handleGet, reads},
	{objectsAPI, "PATCH", "/{objectType}/{objectId}", handleUpdate, writes},
	{objectsAPI, "DELETE", "/{objectType}/{objectId}", handleArchive, writes},
	// Record-level associations.
	{recordAssocAPI, "PUT", "/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}", handleAssocPutDefault, writes},
	{recordAssocAPI, "PUT", "/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}", handleAssocPutLabeled, writes},
	{recordAssocAPI, "DELETE", "/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}", handleAssocDeletePair, writes},
	{recordAssocAPI, "GET", "/{objectType}/{objectId}/associations/{toObjectType}", handleAssocList, reads},
	// Batch associations.
	{batchAssocAPI, "POST", "/{fromObjectType}/{toObjectType}/batch/associate/default", handleAssocBatchDefault, writes},
	{batchAssocAPI, "POST", "/{fromObjectType}/{toObjectType}/batch/create", handleAssocBatchCreate, writes},
	{batchAssocAPI, "POST", "/{fromObjectType}/{toObjectType}/batch/read", handleAssocBatchRead, reads},
	{batchAssocAPI, "POST", "/{fromObjectType}/{toObjectType}/batch/archive", handleAssocBatchArchive, writes},
	{batchAssocAPI, "POST", "/{fromObjectType}/{toObjectType}/batch/labels/archive", handleAssocBatchLabelsArchive, writes},
	// Association labels and limit configurations.
	{labelsAPI, "GET", "/{fromObjectType}/{toObjectType}/labels", handleLabelsList, reads},
	{labelsAPI, "POST", "/{fromObjectType}/{toObjectType}/labels", handleLabelsCreate, writes},
	{labelsAPI, "PUT", "/{fromObjectType}/{toObjectType}/labels", handleLabelsUpdate, writes},
	{labelsAPI, "DELETE", "/{fromObjectType}/{toObjectType}/labels/{associationTypeId}", handleLabelsDelete, writes},
	{labelsAPI, "GET", "/definitions/configurations/all", handleLimitsAll, unscoped},
	{labelsAPI, "GET", "/definitions/configurations/{fromObjectType}/{toObjectType}", handleLimitsPair, reads},
	{labelsAPI, "POST", "/definitions/configurations/{fromObjectType}/{toObjectType}/batch/create", handleLimitsCreate, writes},
	{labelsAPI, "POST", "/definitions/configurations/{fromObjectType}/{toObjectType}/batch/update", handleLimitsUpdate, writes},
	{labelsAPI, "POST", "/definitions/configurations/{fromObjectType}/{toObjectType}/batch/purge", handleLimitsPurge, writes},
	// v3 associations, as HubSpot's official Node client calls them.
	{v3AssocAPI, "POST", "/{fromObjectType}/{toObjectType}/batch/create", handleV3AssocBatchCreate, writes},
	{v3AssocAPI, "POST", "/{fromObjectType}/{toObjectType}/batch/read", handleV3AssocBatchRead, reads},
	{v3AssocAPI, "POST", "/{fromObjectType}/{toObjectType}/batch/archive", handleV3AssocBatchArchive, writes},
	{v3AssocAPI, "GET", "/{fromObjectType}/{toObjectType}/types", handleV3AssocTypes, reads},
	// Properties and property groups.
	{propertiesAPI, "POST", "/{objectType}/batch/create", handlePropertyBatchCreate, writes},
	{propertiesAPI, "POST", "/{objectType}/batch/read", handlePropertyBatchRead, reads},
	{propertiesAPI, "POST", "/{objectType}/batch/archive", handlePropertyBatchArchive, writes},
	{propertiesAPI, "GET", "/{objectType}/groups", handleGroupList, reads},
	{propertiesAPI, "POST", "/{objectType}/groups", handleGroupCreate, writes},
	{propertiesAPI, "GET", "/{objectType}/groups/{groupName}", handleGroupGet, reads},
	{propertiesAPI, "PATCH", "/{objectType}/groups/{groupName}", handleGroupUpdate, writes},
	{propertiesAPI, "DELETE", "/{objectType}/groups/{groupName}", handleGroupDelete, writes},
	{propertiesAPI, "GET", "/{objectType}", handlePropertyList, reads},
	{propertiesAPI, "POST", "/{objectType}", handlePropertyCreate, writes},
	{propertiesAPI, "GET", "/{objectType}/{propertyName}", handlePropertyGet, reads},
	{propertiesAPI, "PATCH", "/{objectType}/{propertyName}", handlePropertyUpdate, writes},
	{propertiesAPI, "DELETE", "/{objectType}/{propertyName}", handlePropertyDelete, writes},
	// Pipelines and stages.
	{pipelinesAPI, "GET", "/{objectType}", handlePipelineList, reads},
	{pipelinesAPI, "POST", "/{objectType}", handlePipelineCreate, writes},
	{pipelinesAPI, "GET", "/{objectType}/{pipelineId}/stages", handleStageList, reads},
	{pipelinesAPI, "POST", "/{objectType}/{pipelineId}/stages", handleStageCreate, writes},
	{pipelinesAPI, "GET", "/{objectType}/{pipelineId}/stages/{stageId}", handleStageGet, reads},
	{pipelinesAPI, "PUT", "/{objectType}/{pipelineId}/stages/{stageId}", handleStageReplace, writes},
	{pipelinesAPI, "PATCH", "/{objectType}/{pipelineId}/stages/{stageId}", handleStageUpdate, writes},
	{pipelinesAPI, "DELETE", "/{objectType}/{pipelineId}/stages/{stageId}", handleStageDelete, writes},
	{pipelinesAPI, "GET", "/{objectType}/{pipelineId}", handlePipelineGet, reads},
	{pipelinesAPI, "PUT", "/{objectType}/{pipelineId}", handlePipelineReplace, writes},
	{pipelinesAPI, "PATCH", "/{objectType}/{pipelineId}", handlePipelineUpdate, writes},
	{pipelinesAPI, "DELETE", "/{objectType}/{pipelineId}", handlePipelineDelete, writes},
	// Property validation rules (no scopes).
	{rulesAPI, "GET", "/{objectTypeId}", handleRulesForType, reads},
	{rulesAPI, "GET", "/{objectTypeId}/{propertyName}", handleRulesForProperty, reads},
	{rulesAPI, "GET", "/{objectTypeId}/{propertyName}/rule-type/{ruleType}", handleRuleGet, reads},
	{rulesAPI, "PUT", "/{objectTypeId}/{propertyName}/rule-type/{ruleType}", handleRulePut, writes},
	// Account information.
	{accountAPI, "GET", "/details", handleAccountDetails, reads},
	{accountAPI, "GET", "/api-usage/daily/private-apps", handleDailyUsage, reads},
}

func buildRoutes() []*route {
	var rs []*route
	for _, a := range apis {
		for _, p := range a.prefixes {
			for _, o := range operations {
				if o.api != a {
					continue
				}
				tmpl := p.path + o.path
				r := &route{method: o.method, template: tmpl, segs: strings.Split(strings.Trim(tmpl, "/"), "/"),
					version: p.ver, search: o.access == searches, handler: o.handler}
				if a.scopes != nil && o.access != unscoped {
					r.scopes = a.scopes(o.access == writes)
				}
				rs = append(rs, r)
			}
		}
	}
	return rs
}

// objectAccess is the requirement for records.
func objectAccess(write bool) func(*call) *scopeReq {
	return func(c *call) *scopeReq { return objectScopes(c, "objectType", write) }
}

// oauthScopes is the requirement for account information, read or write.
func oauthScopes(bool) func(*call) *scopeReq {
	return func(*call) *scopeReq { return &scopeReq{anyOf: []string{"oauth"}} }
}

// Routes lists every HubSpot operation the emulator serves as "METHOD
// /template", sorted; conformance tests check them against the specs.
func Routes() []string {
	out := make([]string, 0, len(routes))
	for _, r := range routes {
		out = append(out, r.method+" "+r.template)
	}
	sort.Strings(out)
	return out
}

// matchRoute finds the first route whose method and segments match path.
func matchRoute(method, path string) (*route, map[string]string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if strings.HasSuffix(path, "/") && path != "/" {
		// HubSpot does not normalise trailing slashes: they are unknown routes.
		return nil, nil
	}
	for _, r := range routes {
		if r.method != method || len(r.segs) != len(segs) {
			continue
		}
		var params map[string]string
		ok := true
		for i, rs := range r.segs {
			if strings.HasPrefix(rs, "{") {
				v, err := url.PathUnescape(segs[i])
				if err != nil || v == "" {
					ok = false
					break
				}
				if params == nil {
					params = map[string]string{}
				}
				params[rs[1:len(rs)-1]] = v
				continue
			}
			if rs != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return r, params
		}
	}
	return nil, nil
}

// objectScopes is the scope requirement of an object operation. 2026-09
// requires both the object scope and e-commerce for products and line items;
// older versions accept either.
func objectScopes(c *call, param string, write bool) *scopeReq {
	t := lookupType(c.param(param))
	if t == nil {
		return nil
	}
	verb := "read"
	if write {
		verb = "write"
	}
	switch t.name {
	case "tickets":
		return &scopeReq{anyOf: []string{"tickets"}}
	case "products", "line_items":
		obj := "crm.objects." + t.name + "." + verb
		if c.ver == "2026-09" {
			return &scopeReq{allOf: []string{obj, "e-commerce"}}
		}
		return &scopeReq{anyOf: []string{obj, "e-commerce"}}
	}
	return &scopeReq{anyOf: []string{"crm.objects." + t.name + "." + verb}}
}

// assocScopes needs access to the from-object type.
func assocScopes(write bool) func(*call) *scopeReq {
	return func(c *call) *scopeReq {
		p := "fromObjectType"
		if c.param(p) == "" {
			p = "objectType"
		}
		return objectScopes(c, p, write)
	}
}

// schemaScopes is the requirement for properties and pipelines.
func schemaScopes(write bool) func(*call) *scopeReq {
	return func(c *call) *scopeReq {
		t := lookupType(c.param("objectType"))
		if t == nil {
			return nil
		}
		switch t.name {
		case "tickets":
			return &scopeReq{anyOf: []string{"tickets"}}
		case "products", "line_items":
			if write {
				return &scopeReq{anyOf: []string{"e-commerce"}}
			}
			return &scopeReq{anyOf: []string{"crm.schemas." + t.name + ".read", "crm.objects." + t.name + ".read", "e-commerce"}}
		}
		if write {
			return &scopeReq{anyOf: []string{"crm.schemas." + t.name + ".write"}}
		}
		return &scopeReq{anyOf: []string{"crm.schemas." + t.name + ".read", "crm.objects." + t.name + ".read"}}
	}
}

// unknownType is the 400 for an object type the emulator does not know.
func unknownType(name string) *apiError {
	e := newError(http.StatusBadRequest, "VALIDATION_ERROR", "Unable to infer object type from: "+name)
	return e
}
