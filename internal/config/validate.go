package config

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/robfig/cron/v3"
	"github.com/sirupsen/logrus"
)

// Tiers are the HubSpot subscription tiers the rate governor knows.
var Tiers = []string{"free", "starter", "professional", "enterprise", "limit_pack"}

var (
	identRe    = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)
	propertyRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,99}$`)
	versionRe  = regexp.MustCompile(`^(20[0-9]{2}-(0[1-9]|1[0-2])|v[34])$`)
	regionRe   = regexp.MustCompile(`^[A-Z]{2}$`)
)

// CronParser parses sync.schedule: five standard fields or a descriptor
// such as "@every 10s" or "@hourly", as robfig/cron's default.
var CronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func bad(key, format string, args ...any) error {
	return &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// validate checks every value and returns one error per bad key, in the
// order of the file's sections.
func (c *Config) validate() []error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	if c.Database.URL != "" {
		if _, err := pgconn.ParseConfig(c.Database.URL); err != nil {
			// The parser's message may quote the URL; the password is not ours to print.
			add(bad("database.url", "not a PostgreSQL connection string (want postgres://user@host:5432/dbname)"))
		}
	}
	if !identRe.MatchString(c.Database.Schema) {
		add(bad("database.schema", "%q is not a safe identifier: use lower-case letters, digits and _, starting with a letter or _, at most 63 characters", c.Database.Schema))
	}

	h := c.HubSpot
	if u, err := url.Parse(h.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		add(bad("hubspot.base_url", "must be an http or https URL without credentials, such as %s", DefaultBaseURL))
	} else if u.Scheme == "http" && h.Token != "" && !IsLoopback(u.Hostname()) {
		add(bad("hubspot.base_url", "is plain http to another host, which would send the HubSpot token unencrypted; use https"))
	}
	if !versionRe.MatchString(h.Version) {
		add(bad("hubspot.version", "%q is not a HubSpot API version such as 2026-09", h.Version))
	}
	if !slices.Contains(Tiers, h.Tier) {
		add(bad("hubspot.tier", "%q is not one of %s", h.Tier, strings.Join(Tiers, ", ")))
	}
	if h.DailyReserve < 0 || h.DailyReserve >= 1 {
		add(bad("hubspot.daily_reserve", "must be at least 0 and less than 1"))
	}
	if h.Timeout.Duration <= 0 {
		add(bad("hubspot.timeout", "must be positive"))
	}
	if h.Concurrency < 1 || h.Concurrency > 16 {
		add(bad("hubspot.concurrency", "must be between 1 and 16"))
	}

	s := c.Sync
	if s.Schedule == "" {
		add(bad("sync.schedule", "must not be empty; the default is \"@every 10s\""))
	} else if _, err := CronParser.Parse(s.Schedule); err != nil {
		add(bad("sync.schedule", "%q is not a cron schedule: %v", s.Schedule, err))
	}
	if s.BatchSize < 1 || s.BatchSize > 10000 {
		add(bad("sync.batch_size", "must be between 1 and 10000"))
	}
	if s.Lease.Duration < 10*time.Second {
		add(bad("sync.lease", "must be at least 10s"))
	} else if s.Lease.Duration <= h.Timeout.Duration {
		add(bad("sync.lease", "must be longer than hubspot.timeout (%s), or a claim could expire during one request", h.Timeout.Duration))
	}
	if s.MaxAttempts < 1 || s.MaxAttempts > 1000 {
		add(bad("sync.max_attempts", "must be between 1 and 1000"))
	}
	if s.BackoffBase.Duration <= 0 {
		add(bad("sync.backoff_base", "must be positive"))
	}
	if s.BackoffMax.Duration < s.BackoffBase.Duration {
		add(bad("sync.backoff_max", "must be at least sync.backoff_base (%s)", s.BackoffBase.Duration))
	}
	if s.PipelineRefresh.Duration < 0 {
		add(bad("sync.pipeline_refresh", "must not be negative"))
	}
	if s.OnDelete != "archive" && s.OnDelete != "ignore" {
		add(bad("sync.on_delete", "%q is not archive or ignore", s.OnDelete))
	}
	if s.InvalidField != InvalidFieldFail && s.InvalidField != InvalidFieldSkip {
		add(bad("sync.invalid_field", "%q is not fail or skip", s.InvalidField))
	}
	if !regionRe.MatchString(s.DefaultRegion) {
		add(bad("sync.default_region", "%q is not a two-letter upper-case region code such as TH", s.DefaultRegion))
	}
	if !propertyRe.MatchString(s.ERPIDProperty) {
		add(bad("sync.erp_id_property", "%q is not a HubSpot property name: lower-case letters, digits and _, starting with a letter", s.ERPIDProperty))
	}
	if !propertyRe.MatchString(s.TaxIDProperty) {
		add(bad("sync.tax_id_property", "%q is not a HubSpot property name: lower-case letters, digits and _, starting with a letter", s.TaxIDProperty))
	} else if s.TaxIDProperty == s.ERPIDProperty {
		add(bad("sync.tax_id_property", "must differ from sync.erp_id_property"))
	}

	if _, err := logrus.ParseLevel(c.Log.Level); err != nil {
		add(bad("log.level", "%q is not one of trace, debug, info, warn, error", c.Log.Level))
	}
	if f := c.Log.Format; f != "auto" && f != "json" && f != "text" {
		add(bad("log.format", "%q is not auto, json or text", f))
	}

	if a := c.HTTP.Addr; a != "" {
		add(ValidListenAddr("http.addr", a))
	}
	if tok := c.HTTP.Token.Reveal(); tok != "" && len(tok) < MinHTTPTokenLen {
		// Anyone who reaches the port may guess it: a short one is refused.
		err := bad("http.token_file", "the access token must be at least %d characters; make one with: openssl rand -hex 32", MinHTTPTokenLen)
		if c.HTTP.TokenSource == EnvHTTPToken {
			err.(*Error).File, err.(*Error).Key = EnvHTTPToken, ""
		}
		add(err)
	}

	errs = append(errs, c.Inbox.validate()...)
	errs = append(errs, c.Deals.validate("deals")...)
	errs = append(errs, c.Tickets.validate("tickets")...)
	errs = append(errs, c.validateConflicts()...)
	return errs
}

// validateConflicts checks the [conflicts.<object type>] sections: known
// object types, property names, and erp_wins or hubspot_wins.
func (c *Config) validateConflicts() []error {
	var errs []error
	for _, ot := range slices.Sorted(maps.Keys(c.Conflicts)) {
		if !slices.Contains(ConflictObjectTypes, ot) {
			errs = append(errs, bad("conflicts."+ot, "%q is not an object type syncd writes: use one of %s", ot, strings.Join(ConflictObjectTypes, ", ")))
			continue
		}
		props := c.Conflicts[ot]
		for _, p := range slices.Sorted(maps.Keys(props)) {
			key := "conflicts." + ot + "." + p
			switch v := props[p]; {
			case !propertyRe.MatchString(p):
				errs = append(errs, bad(key, "%q is not a HubSpot property name: lower-case letters, digits and _, starting with a letter", p))
			case p == c.Sync.ERPIDProperty:
				errs = append(errs, bad(key, "the ERP-ID property (sync.erp_id_property) identifies the record; syncd always writes it"))
			case v != ConflictERPWins && v != ConflictHubSpotWins:
				errs = append(errs, bad(key, "%q is not %s or %s", v, ConflictERPWins, ConflictHubSpotWins))
			}
		}
	}
	return errs
}

func (m PipelineMapping) validate(section string) []error {
	var errs []error
	if strings.TrimSpace(m.Pipeline) == "" {
		errs = append(errs, bad(section+".pipeline", "must name a pipeline by ID or label"))
	}
	for _, status := range slices.Sorted(maps.Keys(m.Stages)) {
		if strings.TrimSpace(status) == "" {
			errs = append(errs, bad(section+".stages", "an ERP status must not be empty"))
		}
		if strings.TrimSpace(m.Stages[status]) == "" {
			errs = append(errs, bad(section+".stages."+status, "must name a stage by ID or label"))
		}
	}
	return errs
}

// Stage returns the stage (ID or label) an ERP status maps to: the exact
// status first, then the status compared without regard to case and
// surrounding space.
func (m PipelineMapping) Stage(status string) (string, bool) {
	if v, ok := m.Stages[status]; ok {
		return v, true
	}
	s := strings.TrimSpace(status)
	for _, k := range slices.Sorted(maps.Keys(m.Stages)) {
		if strings.EqualFold(strings.TrimSpace(k), s) {
			return m.Stages[k], true
		}
	}
	return "", false
}

// RequireDatabase reports whether database.url is set, with an error that
// says how to set it.
func (c *Config) RequireDatabase() error {
	if c.Database.URL == "" {
		return &Error{Key: "database.url", Msg: "is not set: set it in the config file or " + EnvDatabaseURL}
	}
	return nil
}

// MinHTTPTokenLen is the shortest access token the HTTP endpoint accepts.
const MinHTTPTokenLen = 16

// ValidListenAddr checks that addr is a host:port to listen on, such as
// "127.0.0.1:9464" or ":9464" (every interface); key names it in the error.
func ValidListenAddr(key, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return bad(key, "%q is not host:port, such as 127.0.0.1:9464", addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return bad(key, "%q: the port must be a number from 0 to 65535", addr)
	}
	if host != "" && host != "localhost" && net.ParseIP(host) == nil {
		return bad(key, "%q: the host must be an IP address, localhost or empty (every interface)", addr)
	}
	return nil
}

// IsLoopback reports whether host is localhost or a loopback IP address.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (in Inbox) validate() []error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	if in.Schedule == "" {
		add(bad("inbox.schedule", "must not be empty; the default is \"@every 1m\""))
	} else if _, err := CronParser.Parse(in.Schedule); err != nil {
		add(bad("inbox.schedule", "%q is not a cron schedule: %v", in.Schedule, err))
	}
	seen := map[string]bool{}
	for _, o := range in.Objects {
		switch {
		case !slices.Contains(InboxObjects, o):
			add(bad("inbox.objects", "%q is not one of %s", o, strings.Join(InboxObjects, ", ")))
		case seen[o]:
			add(bad("inbox.objects", "%q is listed twice", o))
		}
		seen[o] = true
	}
	if in.Enabled && len(in.Objects) == 0 {
		add(bad("inbox.objects", "must name at least one object type while inbox.enabled is true"))
	}
	for _, k := range slices.Sorted(maps.Keys(in.Properties)) {
		key := "inbox.properties." + k
		if !slices.Contains(InboxObjects, k) {
			add(bad(key, "%q is not one of %s", k, strings.Join(InboxObjects, ", ")))
			continue
		}
		if len(in.Properties[k]) == 0 && seen[k] {
			add(bad(key, "must name at least one property"))
		}
		for _, p := range in.Properties[k] {
			if !propertyRe.MatchString(p) {
				add(bad(key, "%q is not a HubSpot property name: lower-case letters, digits and _, starting with a letter", p))
			}
		}
	}
	if in.Overlap.Duration < 0 {
		add(bad("inbox.overlap", "must not be negative"))
	}
	if _, ok := in.StartTime(); !ok && in.StartFrom != InboxStartHistory && in.StartFrom != InboxStartNow {
		add(bad("inbox.start_from", "%q is not %q, %q or an RFC 3339 time such as \"2026-12-01T00:00:00+07:00\"", in.StartFrom, InboxStartHistory, InboxStartNow))
	}
	if in.Retention.Duration < 0 {
		add(bad("inbox.retention", "must not be negative; 0 keeps consumed rows"))
	}
	return errs
}
