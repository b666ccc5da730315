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

func buildRoutes() []*route {
	var rs []*route
	add := func(method, tmpl, ver string, h handlerFunc, sc func(*call) *scopeReq) *route {
		r := &route{method: method, template: tmpl, segs: strings.Split(strings.Trim(tmpl, "/"), "/"), version: ver, handler: h, scopes: sc}
		rs = append(rs, r)
		return r
	}
	objRead := func(c *call) *scopeReq { return objectScopes(c, "objectType", false) }
	objWrite := func(c *call) *scopeReq { return objectScopes(c, "objectType", true) }

	for _, p := range apiPrefixes("objects", "v3") {
		pre, v := p.path, p.ver
		add("POST", pre+"/{objectType}/batch/create", v, handleBatchCreate, objWrite)
		add("POST", pre+"/{objectType}/batch/read", v, handleBatchRead, objRead)
		add("POST", pre+"/{objectType}/batch/update", v, handleBatchUpdate, objWrite)
		add("POST", pre+"/{objectType}/batch/upsert", v, handleBatchUpsert, objWrite)
		add("POST", pre+"/{objectType}/batch/archive", v, handleBatchArchive, objWrite)
		add("POST", pre+"/{objectType}/search", v, handleSearch, objRead).search = true
		add("POST", pre+"/{objectType}/merge", v, handleMerge, objWrite)
		add("POST", pre+"/{objectType}/gdpr-delete", v, handleGDPRDelete, objWrite)
		add("GET", pre+"/{objectType}", v, handleList, objRead)
		add("POST", pre+"/{objectType}", v, handleCreate, objWrite)
		add("GET", pre+"/{objectType}/{objectId}", v, handleGet, objRead)
		add("PATCH", pre+"/{objectType}/{objectId}", v, handleUpdate, objWrite)
		add("DELETE", pre+"/{objectType}/{objectId}", v, handleArchive, objWrite)
	}

	// Record-level association routes: 2026-09, 2026-03 and v4.
	for _, p := range apiPrefixes("objects", "v4") {
		pre, v := p.path, p.ver
		add("PUT", pre+"/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}", v, handleAssocPutDefault, assocScopes(true))
		add("PUT", pre+"/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}", v, handleAssocPutLabeled, assocScopes(true))
		add("DELETE", pre+"/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}", v, handleAssocDeletePair, assocScopes(true))
		add("GET", pre+"/{objectType}/{objectId}/associations/{toObjectType}", v, handleAssocList, assocScopes(false))
	}
	// Batch association routes.
	for _, p := range apiPrefixes("associations", "v4") {
		pre, v := p.path, p.ver
		add("POST", pre+"/{fromObjectType}/{toObjectType}/batch/associate/default", v, handleAssocBatchDefault, assocScopes(true))
		add("POST", pre+"/{fromObjectType}/{toObjectType}/batch/create", v, handleAssocBatchCreate, assocScopes(true))
		add("POST", pre+"/{fromObjectType}/{toObjectType}/batch/read", v, handleAssocBatchRead, assocScopes(false))
		add("POST", pre+"/{fromObjectType}/{toObjectType}/batch/archive", v, handleAssocBatchArchive, assocScopes(true))
		add("POST", pre+"/{fromObjectType}/{toObjectType}/batch/labels/archive", v, handleAssocBatchLabelsArchive, assocScopes(true))
	}
	// Association labels and limits: the date versions, the v4 spec spelling
	// and the Node client's spelling.
	labelPrefixes := append(apiPrefixes("associations"), prefix{"/crm/associations/v4", "v4"}, prefix{"/crm/v4/associations", "v4"})
	for _, p := range labelPrefixes {
		pre, v := p.path, p.ver
		add("GET", pre+"/{fromObjectType}/{toObjectType}/labels", v, handleLabelsList, assocScopes(false))
		add("POST", pre+"/{fromObjectType}/{toObjectType}/labels", v, handleLabelsCreate, assocScopes(true))
		add("PUT", pre+"/{fromObjectType}/{toObjectType}/labels", v, handleLabelsUpdate, assocScopes(true))
		add("DELETE", pre+"/{fromObjectType}/{toObjectType}/labels/{associationTypeId}", v, handleLabelsDelete, assocScopes(true))
	}
	// Association limit configurations.
	for _, p := range labelPrefixes {
		pre, v := p.path+"/definitions/configurations", p.ver
		add("GET", pre+"/all", v, handleLimitsAll, nil)
		add("GET", pre+"/{fromObjectType}/{toObjectType}", v, handleLimitsPair, assocScopes(false))
		add("POST", pre+"/{fromObjectType}/{toObjectType}/batch/create", v, handleLimitsCreate, assocScopes(true))
		add("POST", pre+"/{fromObjectType}/{toObjectType}/batch/update", v, handleLimitsUpdate, assocScopes(true))
		add("POST", pre+"/{fromObjectType}/{toObjectType}/batch/purge", v, handleLimitsPurge, assocScopes(true))
	}
	// v3 associations, as HubSpot's official Node client calls them.
	add("POST", "/crm/v3/associations/{fromObjectType}/{toObjectType}/batch/create", "v3", handleV3AssocBatchCreate, assocScopes(true))
	add("POST", "/crm/v3/associations/{fromObjectType}/{toObjectType}/batch/read", "v3", handleV3AssocBatchRead, assocScopes(false))
	add("POST", "/crm/v3/associations/{fromObjectType}/{toObjectType}/batch/archive", "v3", handleV3AssocBatchArchive, assocScopes(true))
	add("GET", "/crm/v3/associations/{fromObjectType}/{toObjectType}/types", "v3", handleV3AssocTypes, assocScopes(false))

	// Properties.
	for _, p := range apiPrefixes("properties", "v3") {
		pre, v := p.path, p.ver
		add("POST", pre+"/{objectType}/batch/create", v, handlePropertyBatchCreate, schemaScopes(true))
		add("POST", pre+"/{objectType}/batch/read", v, handlePropertyBatchRead, schemaScopes(false))
		add("POST", pre+"/{objectType}/batch/archive", v, handlePropertyBatchArchive, schemaScopes(true))
		add("GET", pre+"/{objectType}/groups", v, handleGroupList, schemaScopes(false))
		add("POST", pre+"/{objectType}/groups", v, handleGroupCreate, schemaScopes(true))
		add("GET", pre+"/{objectType}/groups/{groupName}", v, handleGroupGet, schemaScopes(false))
		add("PATCH", pre+"/{objectType}/groups/{groupName}", v, handleGroupUpdate, schemaScopes(true))
		add("DELETE", pre+"/{objectType}/groups/{groupName}", v, handleGroupDelete, schemaScopes(true))
		add("GET", pre+"/{objectType}", v, handlePropertyList, schemaScopes(false))
		add("POST", pre+"/{objectType}", v, handlePropertyCreate, schemaScopes(true))
		add("GET", pre+"/{objectType}/{propertyName}", v, handlePropertyGet, schemaScopes(false))
		add("PATCH", pre+"/{objectType}/{propertyName}", v, handlePropertyUpdate, schemaScopes(true))
		add("DELETE", pre+"/{objectType}/{propertyName}", v, handlePropertyDelete, schemaScopes(true))
	}

	// Pipelines.
	for _, p := range apiPrefixes("pipelines", "v3") {
		pre, v := p.path, p.ver
		add("GET", pre+"/{objectType}", v, handlePipelineList, schemaScopes(false))
		add("POST", pre+"/{objectType}", v, handlePipelineCreate, schemaScopes(true))
		add("GET", pre+"/{objectType}/{pipelineId}/stages", v, handleStageList, schemaScopes(false))
		add("POST", pre+"/{objectType}/{pipelineId}/stages", v, handleStageCreate, schemaScopes(true))
		add("GET", pre+"/{objectType}/{pipelineId}/stages/{stageId}", v, handleStageGet, schemaScopes(false))
		add("PUT", pre+"/{objectType}/{pipelineId}/stages/{stageId}", v, handleStageReplace, schemaScopes(true))
		add("PATCH", pre+"/{objectType}/{pipelineId}/stages/{stageId}", v, handleStageUpdate, schemaScopes(true))
		add("DELETE", pre+"/{objectType}/{pipelineId}/stages/{stageId}", v, handleStageDelete, schemaScopes(true))
		add("GET", pre+"/{objectType}/{pipelineId}", v, handlePipelineGet, schemaScopes(false))
		add("PUT", pre+"/{objectType}/{pipelineId}", v, handlePipelineReplace, schemaScopes(true))
		add("PATCH", pre+"/{objectType}/{pipelineId}", v, handlePipelineUpdate, schemaScopes(true))
		add("DELETE", pre+"/{objectType}/{pipelineId}", v, handlePipelineDelete, schemaScopes(true))
	}

	// Property validation rules.
	for _, p := range apiPrefixes("property-validations", "v3") {
		pre, v := p.path, p.ver
		add("GET", pre+"/{objectTypeId}", v, handleRulesForType, nil)
		add("GET", pre+"/{objectTypeId}/{propertyName}", v, handleRulesForProperty, nil)
		add("GET", pre+"/{objectTypeId}/{propertyName}/rule-type/{ruleType}", v, handleRuleGet, nil)
		add("PUT", pre+"/{objectTypeId}/{propertyName}/rule-type/{ruleType}", v, handleRulePut, nil)
	}

	// Account information.
	oauth := func(*call) *scopeReq { return &scopeReq{anyOf: []string{"oauth"}} }
	for _, v := range []string{"2026-09", "2026-03", "v3"} {
		add("GET", "/account-info/"+v+"/details", v, handleAccountDetails, oauth)
		add("GET", "/account-info/"+v+"/api-usage/daily/private-apps", v, handleDailyUsage, oauth)
	}
	return rs
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
