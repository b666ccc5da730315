package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ruleTypes are the property validation rule types HubSpot defines.
var ruleTypes = map[string]bool{
	"AFTER_DATETIME_DURATION": true, "AFTER_DURATION": true, "ALPHANUMERIC": true, "BEFORE_DATETIME_DURATION": true,
	"BEFORE_DURATION": true, "DAYS_OF_WEEK": true, "DECIMAL": true, "DOMAIN": true, "EMAIL": true,
	"EMAIL_ALLOWED_DOMAINS": true, "EMAIL_BLOCKED_DOMAINS": true, "END_DATE": true, "END_DATETIME": true, "FORMAT": true,
	"MAX_LENGTH": true, "MAX_NUMBER": true, "MIN_LENGTH": true, "MIN_NUMBER": true,
	"PHONE_NUMBER_WITH_EXPLICIT_COUNTRY_CODE": true, "REGEX": true, "SPECIAL_CHARACTERS": true, "START_DATE": true,
	"START_DATETIME": true, "URL": true, "URL_ALLOWED_DOMAINS": true, "URL_BLOCKED_DOMAINS": true, "WHITESPACE": true,
}

// ruleIO is PublicPropertyValidationRule.
type ruleIO struct {
	RuleType                 string   `json:"ruleType"`
	RuleArguments            []string `json:"ruleArguments"`
	ShouldApplyNormalization *bool    `json:"shouldApplyNormalization,omitempty"`
	re                       *regexp.Regexp
}

// rulesFor returns the rules of one property, by rule type.
func (st *state) rulesFor(typ, prop string) map[string]*ruleIO {
	return st.rules[typ][prop]
}

// checkRules applies admin-configured validation rules to the values of a
// write. HubSpot enforces them from the 2026-09 version on, so older
// versions skip them.
func (st *state) checkRules(os *objectStore, ver string, changes map[string]string) []propertyProblem {
	if ver != "2026-09" || len(st.rules[os.t.name]) == 0 {
		return nil
	}
	var probs []propertyProblem
	for _, name := range sortedKeys(changes) {
		v := changes[name]
		if v == "" {
			continue
		}
		rules := st.rulesFor(os.t.name, name)
		for _, rt := range sortedKeys(rules) {
			if r := rules[rt]; !r.allows(v) {
				probs = append(probs, propertyProblem{Name: name, Code: "INVALID_PROPERTY_VALUE",
					Message: fmt.Sprintf("%s does not satisfy the %s validation rule [%s] of property %s", v, r.RuleType, strings.Join(r.RuleArguments, ", "), name)})
			}
		}
	}
	return probs
}

// allows reports whether v satisfies the rule. Rule types the emulator does
// not evaluate (dates, durations, days of week, formats, phone numbers,
// special characters, whitespace) allow everything.
func (r *ruleIO) allows(v string) bool {
	arg := func(i int) string {
		if i < len(r.RuleArguments) {
			return r.RuleArguments[i]
		}
		return ""
	}
	num := func(s string) (float64, bool) {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return f, err == nil
	}
	switch r.RuleType {
	case "MIN_LENGTH", "MAX_LENGTH":
		n, err := strconv.Atoi(arg(0))
		if err != nil {
			return true
		}
		l := utf8.RuneCountInString(v)
		return (r.RuleType == "MIN_LENGTH" && l >= n) || (r.RuleType == "MAX_LENGTH" && l <= n)
	case "MIN_NUMBER", "MAX_NUMBER":
		limit, ok1 := num(arg(0))
		x, ok2 := num(v)
		if !ok1 {
			return true
		}
		return ok2 && ((r.RuleType == "MIN_NUMBER" && x >= limit) || (r.RuleType == "MAX_NUMBER" && x <= limit))
	case "DECIMAL":
		if _, ok := num(v); !ok {
			return false
		}
		places, err := strconv.Atoi(arg(0))
		if i := strings.IndexByte(v, '.'); err == nil && i >= 0 {
			return len(v)-i-1 <= places
		}
		return true
	case "ALPHANUMERIC":
		for _, c := range v {
			if !unicode.IsLetter(c) && !unicode.IsDigit(c) {
				return false
			}
		}
		return true
	case "REGEX":
		return r.re == nil || r.re.MatchString(v)
	case "EMAIL":
		return emailRe.MatchString(strings.TrimSpace(v))
	case "EMAIL_ALLOWED_DOMAINS", "EMAIL_BLOCKED_DOMAINS":
		at := strings.LastIndexByte(v, '@')
		domain := strings.ToLower(v[at+1:])
		listed := false
		for _, d := range r.RuleArguments {
			listed = listed || strings.EqualFold(d, domain)
		}
		return listed == (r.RuleType == "EMAIL_ALLOWED_DOMAINS")
	case "URL", "DOMAIN":
		if r.RuleType == "DOMAIN" {
			return !strings.ContainsAny(v, "/:@ ") && strings.Contains(v, ".")
		}
		u, err := url.Parse(v)
		return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
	}
	return true
}

// propertyRules is PublicPropertyValidationRuleMap.
type propertyRules struct {
	PropertyName            string   `json:"propertyName"`
	PropertyValidationRules []ruleIO `json:"propertyValidationRules"`
}

// validationsTarget resolves objectTypeId and, when present, propertyName.
func (c *call) validationsTarget() (*objectStore, *propDef, *apiError) {
	t := lookupType(c.param("objectTypeId"))
	if t == nil {
		return nil, nil, unknownType(c.param("objectTypeId"))
	}
	os := c.s.st.objects[t.name]
	name := c.param("propertyName")
	if name == "" {
		return os, nil, nil
	}
	p, err := os.property(name, false)
	if err != nil {
		return nil, nil, err
	}
	return os, p, nil
}

func ruleList(rules map[string]*ruleIO) []ruleIO {
	out := []ruleIO{}
	for _, k := range sortedKeys(rules) {
		out = append(out, *rules[k])
	}
	return out
}

func handleRulesForType(c *call) (int, any) {
	s := c.s
	os, _, err := c.validationsTarget()
	if err != nil {
		return 0, err
	}
	out := []propertyRules{}
	byProp := s.st.rules[os.t.name]
	for _, n := range sortedKeys(byProp) {
		if len(byProp[n]) > 0 {
			out = append(out, propertyRules{PropertyName: n, PropertyValidationRules: ruleList(byProp[n])})
		}
	}
	return http.StatusOK, map[string]any{"results": out}
}

func handleRulesForProperty(c *call) (int, any) {
	s := c.s
	os, p, err := c.validationsTarget()
	if err != nil {
		return 0, err
	}
	return http.StatusOK, map[string]any{"results": ruleList(s.st.rulesFor(os.t.name, p.Name))}
}

func handleRuleGet(c *call) (int, any) {
	s := c.s
	os, p, err := c.validationsTarget()
	if err != nil {
		return 0, err
	}
	r := s.st.rulesFor(os.t.name, p.Name)[c.param("ruleType")]
	if r == nil {
		e := newError(http.StatusNotFound, "OBJECT_NOT_FOUND", fmt.Sprintf("No %s rule on property %s", c.param("ruleType"), p.Name))
		e.Context = map[string][]string{"propertyName": {p.Name}, "ruleType": {c.param("ruleType")}}
		return 0, e
	}
	return http.StatusOK, r
}

// handleRulePut sets or replaces a rule. The API has no DELETE; Reset
// clears every rule.
func handleRulePut(c *call) (int, any) {
	var in struct {
		RuleArguments            []string `json:"ruleArguments"`
		ShouldApplyNormalization *bool    `json:"shouldApplyNormalization"`
	}
	if err := c.decode(&in); err != nil {
		return 0, err
	}
	rt := c.param("ruleType")
	if !ruleTypes[rt] {
		return 0, validationError(fmt.Sprintf("Unknown rule type %s", rt))
	}
	r := &ruleIO{RuleType: rt, RuleArguments: in.RuleArguments, ShouldApplyNormalization: in.ShouldApplyNormalization}
	if r.RuleArguments == nil {
		r.RuleArguments = []string{}
	}
	if rt == "REGEX" && len(in.RuleArguments) > 0 {
		re, err := regexp.Compile(in.RuleArguments[0])
		if err != nil {
			return 0, validationError(fmt.Sprintf("Invalid REGEX rule argument: %v", err))
		}
		r.re = re
	}
	s := c.s
	os, p, err := c.validationsTarget()
	if err != nil {
		return 0, err
	}
	if s.st.rules[os.t.name] == nil {
		s.st.rules[os.t.name] = map[string]map[string]*ruleIO{}
	}
	byType := s.st.rules[os.t.name][p.Name]
	if byType == nil {
		byType = map[string]*ruleIO{}
		s.st.rules[os.t.name][p.Name] = byType
	}
	byType[rt] = r
	return http.StatusNoContent, nil
}
