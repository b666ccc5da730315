// Package config holds syncd's configuration: the TOML schema, defaults,
// loading with errors that name the file, line and key, environment
// overrides, and validation. The HubSpot token is never read from the TOML
// file itself: only from the environment or from a file named in it.
package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Config is the whole configuration file.
type Config struct {
	Database Database `toml:"database"`
	HubSpot  HubSpot  `toml:"hubspot"`
	Sync     Sync     `toml:"sync"`
	Log      Log      `toml:"log"`
	// Deals and Tickets say which pipeline records go to and how ERP statuses
	// map to stages.
	Deals   PipelineMapping `toml:"deals"`
	Tickets PipelineMapping `toml:"tickets"`
	// Setup says what `syncd setup` may create in HubSpot.
	Setup Setup `toml:"setup"`
	// HTTP is the endpoint `syncd run` serves: probes, metrics, the
	// status page.
	HTTP HTTP `toml:"http"`
	// Inbox is the way back: what people change in HubSpot, polled into
	// table inbox for the ERP.
	Inbox Inbox `toml:"inbox"`
	// Conflicts says, per object type (as HubSpot's API paths name it:
	// "deals") and property, who wins when a value syncd wrote was changed
	// in HubSpot before the ERP's next change of it: ConflictERPWins (the
	// default) or ConflictHubSpotWins. See ConflictObjectTypes.
	Conflicts map[string]map[string]string `toml:"conflicts"`
}

// Inbox configures the inbox cycle of `syncd run`: it polls HubSpot's
// search for records modified since the last poll and writes their
// changes to table inbox. See docs/inbox.md.
type Inbox struct {
	// Enabled turns the inbox cycle on; off by default.
	Enabled bool `toml:"enabled"`
	// Schedule is when the cycle runs, a robfig/cron spec, default
	// "@every 1m".
	Schedule string `toml:"schedule"`
	// Objects are the HubSpot object types polled, of contacts, companies,
	// deals and tickets; default all four.
	Objects []string `toml:"objects"`
	// Properties are the properties watched per object type; a changed
	// property not listed is not reported. Each type has a default list
	// (InboxDefaultProperties); setting a type's list replaces it.
	Properties map[string][]string `toml:"properties"`
	// Overlap is how far before the watermark each poll searches again,
	// for changes HubSpot's search index showed late; default 2m.
	Overlap Duration `toml:"overlap"`
	// Retention is how long consumed rows are kept before syncd deletes
	// them, default 720h (30 days); 0 keeps them.
	Retention Duration `toml:"retention"`
	// StartFrom is where an object type's first poll starts:
	// InboxStartHistory (the default: every record's current version, the
	// ones people created coming in as created), InboxStartNow (only what
	// changes from the first poll on), or an RFC 3339 time.
	StartFrom string `toml:"start_from"`
}

// Watched returns the properties the inbox watches on objectType: its
// inbox.properties list, else the type's default.
func (in Inbox) Watched(objectType string) []string {
	if ps, ok := in.Properties[objectType]; ok {
		return ps
	}
	return InboxDefaultProperties()[objectType]
}

// The words of inbox.start_from besides an RFC 3339 time.
const (
	InboxStartHistory = "history"
	InboxStartNow     = "now"
)

// StartTime returns the time of an RFC 3339 start_from, and false for
// "history" and "now" (or an invalid value, which validation refuses).
func (in Inbox) StartTime() (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, in.StartFrom)
	return t, err == nil
}

// InboxObjects are the object types the inbox can poll.
var InboxObjects = []string{"contacts", "companies", "deals", "tickets"}

// InboxDefaultProperties returns the default watched properties per object
// type.
func InboxDefaultProperties() map[string][]string {
	return map[string][]string{
		"contacts":  {"email", "phone", "firstname", "lastname", "mobilephone"},
		"companies": {"name", "phone", "domain"},
		"deals":     {"dealstage", "amount", "closedate", "hubspot_owner_id", "pipeline"},
		"tickets":   {"hs_pipeline_stage", "hs_pipeline", "subject", "hubspot_owner_id"},
	}
}

// The values of a [conflicts.<object type>] property.
const (
	// ConflictERPWins writes the ERP's value over whatever HubSpot holds.
	ConflictERPWins = "erp_wins"
	// ConflictHubSpotWins leaves a value changed in HubSpot since syncd's
	// last write of it, and keeps the ERP's value as a warning on the
	// outbox row.
	ConflictHubSpotWins = "hubspot_wins"
)

// ConflictObjectTypes are the object types a [conflicts] section may name:
// those syncd writes, as HubSpot's API paths name them. The engine checks
// that its table of object types holds the same names.
var ConflictObjectTypes = []string{"companies", "contacts", "products", "deals", "line_items", "tickets"}

// HubSpotWins returns the properties of objectType configured
// hubspot_wins, sorted; none by default.
func (c Config) HubSpotWins(objectType string) []string {
	var out []string
	for _, p := range slices.Sorted(maps.Keys(c.Conflicts[objectType])) {
		if c.Conflicts[objectType][p] == ConflictHubSpotWins {
			out = append(out, p)
		}
	}
	return out
}

// HTTP configures the endpoint of `syncd run`: /healthz, /readyz,
// /metrics and the status page. It is off while Addr is empty.
type HTTP struct {
	// Addr is the host:port to listen on, such as "127.0.0.1:9464"; ""
	// (the default) serves nothing. `syncd run --http` overrides it.
	Addr string `toml:"addr"`
	// TokenFile names a file holding the access token alone on one line;
	// SYNCD_HTTP_TOKEN overrides it. Requests from beyond loopback need the
	// token; without one they are refused.
	TokenFile string `toml:"token_file"`

	// Token is filled from SYNCD_HTTP_TOKEN or TokenFile; never from TOML,
	// never logged or shown.
	Token Secret `toml:"-"`
	// TokenSource says where Token came from: "SYNCD_HTTP_TOKEN", the
	// token file's path, or "" when none is configured.
	TokenSource string `toml:"-"`
}

// Database is the PostgreSQL connection and the schema syncd owns.
type Database struct {
	URL    string `toml:"url"`    // overridden by SYNCD_DATABASE_URL
	Schema string `toml:"schema"` // default "syncd"
}

// HubSpot is how syncd reaches HubSpot.
type HubSpot struct {
	// BaseURL defaults to https://api.hubapi.com; SYNCD_HUBSPOT_BASE_URL overrides.
	BaseURL string `toml:"base_url"`
	// TokenFile names a file holding the private-app token. HUBSPOT_TOKEN
	// overrides it. With neither, syncd targets the built-in emulator.
	TokenFile string `toml:"token_file"`
	// Version is the date-versioned API, default "2026-09".
	Version string `toml:"version"`
	// Tier sets the burst budget: free, starter, professional, enterprise, limit_pack.
	Tier string `toml:"tier"`
	// DailyReserve is the share of the daily allowance left for the account's
	// other integrations (0..1), default 0.2.
	DailyReserve float64 `toml:"daily_reserve"`
	// Timeout for one HTTP request.
	Timeout Duration `toml:"timeout"`
	// Concurrency is how many HubSpot requests one process has in flight
	// at most (1 to 16), default 8: enough that the rate limits, not each
	// call's latency, set the pace.
	Concurrency int `toml:"concurrency"`

	// Token is filled from HUBSPOT_TOKEN or TokenFile; never from TOML, never logged.
	Token Secret `toml:"-"`
	// TokenSource says where Token came from: "HUBSPOT_TOKEN", the token
	// file's path, or "" when no token is configured.
	TokenSource string `toml:"-"`
}

// Sync tunes the cycle.
type Sync struct {
	Schedule    string   `toml:"schedule"`     // robfig/cron spec, default "@every 10s"
	BatchSize   int      `toml:"batch_size"`   // outbox rows claimed per cycle, default 1000
	Lease       Duration `toml:"lease"`        // claim lease, default 5m
	MaxAttempts int      `toml:"max_attempts"` // then dead, default 10
	BackoffBase Duration `toml:"backoff_base"` // first retry delay, default 30s
	BackoffMax  Duration `toml:"backoff_max"`  // default 1h
	// OnDelete is "archive" (default) or "ignore".
	OnDelete string `toml:"on_delete"`
	// DefaultRegion for phone numbers without a country code, default "TH".
	DefaultRegion string `toml:"default_region"`
	// ERPIDProperty is the unique-value HubSpot property holding the ERP key
	// on every object, default "syncd_erp_id".
	ERPIDProperty string `toml:"erp_id_property"`
	// TaxIDProperty is the company property holding the 13-digit tax ID,
	// default "syncd_tax_id".
	TaxIDProperty string `toml:"tax_id_property"`
	// InvalidField says what a value syncd refuses does to its record:
	// "fail" (default) fails the row; "skip" writes the record without the
	// refused fields and keeps each as a warning on the row. Fields that
	// identify the record or that HubSpot requires always fail the row.
	InvalidField string `toml:"invalid_field"`

	// PipelineRefresh is how long the deal and ticket pipelines read from
	// HubSpot are used before they are read again, default 10m; the read
	// is kept in the database for every process of the schema, and a
	// configured stage missing from it reads them again at once. 0 reads
	// them every cycle.
	PipelineRefresh Duration `toml:"pipeline_refresh"`
}

// The values of sync.invalid_field.
const (
	InvalidFieldFail = "fail"
	InvalidFieldSkip = "skip"
)

// PipelineMapping maps ERP statuses to a pipeline's stages.
type PipelineMapping struct {
	// Pipeline is a pipeline ID or label; default "default" for deals, "0" for tickets.
	Pipeline string `toml:"pipeline"`
	// Stages maps an ERP status to a stage label or ID.
	Stages map[string]string `toml:"stages"`
}

// Setup says what `syncd setup` may create.
type Setup struct {
	// CreatePipelines lets setup create the pipelines and stages named in
	// [deals] and [tickets] when they are missing.
	CreatePipelines bool `toml:"create_pipelines"`
}

// Log configures logrus.
type Log struct {
	Level  string `toml:"level"`  // default "info"
	Format string `toml:"format"` // "json", "text", or "auto" (text on a terminal)
}

// Duration is a time.Duration written as "30s" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"30s\", \"5m\" or \"1h\"", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes a Go duration string without zero units: "5m", not
// "5m0s".
func (d Duration) MarshalText() ([]byte, error) {
	s := d.Duration.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return []byte(s), nil
}

// Secret holds a credential. It prints as "[redacted]" in every format verb,
// so it cannot leak through a log line or an error by accident.
type Secret string

// String redacts the secret.
func (Secret) String() string { return "[redacted]" }

// GoString redacts the secret.
func (Secret) GoString() string { return "[redacted]" }

// Reveal returns the secret for the one place that must send it.
func (s Secret) Reveal() string { return string(s) }
