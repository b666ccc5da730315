package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Environment variables that override the file.
const (
	EnvDatabaseURL    = "SYNCD_DATABASE_URL"
	EnvHubSpotToken   = "HUBSPOT_TOKEN"
	EnvHubSpotBaseURL = "SYNCD_HUBSPOT_BASE_URL"
	EnvHTTPToken      = "SYNCD_HTTP_TOKEN"
)

// DefaultBaseURL is HubSpot's API host.
const DefaultBaseURL = "https://api.hubapi.com"

// Default returns the configuration used for every key the file leaves out.
func Default() Config {
	return Config{
		Database: Database{Schema: "syncd"},
		HubSpot: HubSpot{
			BaseURL:      DefaultBaseURL,
			Version:      "2026-09",
			Tier:         "free",
			DailyReserve: 0.2,
			Timeout:      Duration{30 * time.Second},
			Concurrency:  8,
		},
		Sync: Sync{
			Schedule:        "@every 10s",
			BatchSize:       1000,
			Lease:           Duration{5 * time.Minute},
			MaxAttempts:     10,
			BackoffBase:     Duration{30 * time.Second},
			BackoffMax:      Duration{time.Hour},
			OnDelete:        "archive",
			DefaultRegion:   "TH",
			ERPIDProperty:   "syncd_erp_id",
			TaxIDProperty:   "syncd_tax_id",
			PipelineRefresh: Duration{10 * time.Minute},
			InvalidField:    InvalidFieldFail,
		},
		Log: Log{Level: "info", Format: "auto"},
		Inbox: Inbox{
			Schedule:   "@every 1m",
			Objects:    slices.Clone(InboxObjects),
			Properties: InboxDefaultProperties(),
			Overlap:    Duration{2 * time.Minute},
			Retention:  Duration{30 * 24 * time.Hour},
			StartFrom:  InboxStartHistory,
		},
		Deals: PipelineMapping{
			Pipeline: "default",
			Stages:   defaultDealStages(),
		},
		Tickets: PipelineMapping{
			Pipeline: "0",
			Stages:   defaultTicketStages(),
		},
	}
}

// defaultDealStages maps common ERP order statuses to the stage IDs of
// HubSpot's default deal pipeline ("default", "Sales Pipeline").
func defaultDealStages() map[string]string {
	return map[string]string{
		"new":       "appointmentscheduled",
		"qualified": "qualifiedtobuy",
		"quoted":    "presentationscheduled",
		"approved":  "decisionmakerboughtin",
		"contract":  "contractsent",
		"won":       "closedwon",
		"paid":      "closedwon",
		"lost":      "closedlost",
		"cancelled": "closedlost",
	}
}

// defaultTicketStages maps common ERP ticket statuses to the stage IDs of
// HubSpot's default ticket pipeline ("0").
func defaultTicketStages() map[string]string {
	return map[string]string{
		"new":                "1",
		"open":               "1",
		"waiting_on_contact": "2",
		"in_progress":        "3",
		"closed":             "4",
		"resolved":           "4",
	}
}

// Error is a configuration problem. It names the file and line when the key
// is in the file, and the environment variable when the value came from one.
type Error struct {
	File string // path of the config file, or an environment variable name
	Line int    // 1-based; 0 when the key is not in the file
	Key  string // dotted key, such as "sync.batch_size"
	Msg  string
}

// Error formats the problem as `file:line: key "k": msg`.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		fmt.Fprintf(&b, "key %q: ", e.Key)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads the TOML file at path (no file when path is empty), applies
// defaults and the environment overrides, reads the token, and validates the
// result. Unknown keys are errors. Every problem found is returned, joined,
// each naming the file, line and key.
func Load(path string) (*Config, error) {
	return LoadEnv(path, os.LookupEnv)
}

// LookupEnv is the signature of os.LookupEnv.
type LookupEnv func(key string) (string, bool)

// LoadEnv is Load with the environment given by lookup.
func LoadEnv(path string, lookup LookupEnv) (*Config, error) {
	var data []byte
	if path != "" {
		var err error
		data, err = os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	return Parse(path, data, lookup)
}

// Parse is LoadEnv on a document already read; name is used in errors and
// to resolve a relative hubspot.token_file.
func Parse(name string, data []byte, lookup LookupEnv) (*Config, error) {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	cfg := Default()
	lines := map[string]int{}
	if len(bytes.TrimSpace(data)) > 0 {
		var err error
		lines, err = keyLines(data)
		if err != nil {
			var ce *Error
			if errors.As(err, &ce) {
				ce.File = name
				return nil, ce
			}
			return nil, fileError(name, err)
		}
		for key, line := range lines {
			switch {
			case strings.EqualFold(key, "hubspot.token"):
				return nil, &Error{File: name, Line: line, Key: key,
					Msg: "the token is never read from the config file; set " + EnvHubSpotToken + " or hubspot.token_file"}
			case strings.EqualFold(key, "http.token"):
				return nil, &Error{File: name, Line: line, Key: key,
					Msg: "the token is never read from the config file; set " + EnvHTTPToken + " or http.token_file"}
			}
		}
		// Stage maps from the file replace the defaults rather than merge
		// with them, so a status the file leaves out is not silently mapped.
		if hasPrefix(lines, "deals.stages") {
			cfg.Deals.Stages = nil
		}
		if hasPrefix(lines, "tickets.stages") {
			cfg.Tickets.Stages = nil
		}
		dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return nil, fileError(name, err)
		}
	}
	var errs []error
	fromEnv := cfg.applyEnv(lookup)
	errs = append(errs, cfg.readTokens(name, lookup)...)
	errs = append(errs, cfg.validate()...)
	for _, e := range errs {
		ce, ok := e.(*Error)
		if !ok || ce.File != "" {
			continue
		}
		if env, ok := fromEnv[ce.Key]; ok {
			ce.File, ce.Key = env, ""
			continue
		}
		ce.File = name
		ce.Line = lines[ce.Key]
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &cfg, nil
}

func hasPrefix(lines map[string]int, prefix string) bool {
	for k := range lines {
		if k == prefix || strings.HasPrefix(k, prefix+".") {
			return true
		}
	}
	return false
}

// fileError turns go-toml's errors into *Error values naming file, line and
// key. It keeps go-toml's message but not its excerpt of the surrounding
// lines, which could show a secret written elsewhere in the file.
func fileError(name string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		errs := make([]error, 0, len(strict.Errors))
		for i := range strict.Errors {
			de := &strict.Errors[i]
			line, _ := de.Position()
			errs = append(errs, &Error{File: name, Line: line, Key: strings.Join(de.Key(), "."), Msg: "unknown key"})
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		return &Error{File: name, Line: line, Key: strings.Join(de.Key(), "."), Msg: strings.TrimPrefix(de.Error(), "toml: ")}
	}
	var pe *unstable.ParserError
	if errors.As(err, &pe) {
		return &Error{File: name, Key: strings.Join(pe.Key, "."), Msg: pe.Message}
	}
	return &Error{File: name, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
}

// keyLines maps every dotted key of the document (tables, keys, keys inside
// inline tables) to the line it is written on.
func keyLines(data []byte) (map[string]int, error) {
	lines := map[string]int{}
	var p unstable.Parser
	p.Reset(data)
	var table []string
	for p.NextExpression() {
		expr := p.Expression()
		switch expr.Kind {
		case unstable.Table, unstable.ArrayTable:
			table, _ = keyOf(&p, expr.Key())
			lines[strings.Join(table, ".")] = lineOfKey(&p, expr)
		case unstable.KeyValue:
			walkKeyValue(&p, lines, table, expr)
		}
	}
	if err := p.Error(); err != nil {
		var pe *unstable.ParserError
		if errors.As(err, &pe) && pe.Highlight != nil {
			return nil, &Error{Line: lineAt(data, pe.Highlight), Key: strings.Join(pe.Key, "."), Msg: pe.Message}
		}
		return nil, err
	}
	return lines, nil
}

func walkKeyValue(p *unstable.Parser, lines map[string]int, prefix []string, kv *unstable.Node) {
	parts, line := keyOf(p, kv.Key())
	full := append(append([]string{}, prefix...), parts...)
	lines[strings.Join(full, ".")] = line
	if v := kv.Value(); v.Kind == unstable.InlineTable {
		it := v.Children()
		for it.Next() {
			if n := it.Node(); n.Kind == unstable.KeyValue {
				walkKeyValue(p, lines, full, n)
			}
		}
	}
}

func keyOf(p *unstable.Parser, it unstable.Iterator) ([]string, int) {
	var parts []string
	line := 0
	for it.Next() {
		n := it.Node()
		if line == 0 {
			line = p.Shape(n.Raw).Start.Line
		}
		parts = append(parts, string(n.Data))
	}
	return parts, line
}

func lineOfKey(p *unstable.Parser, n *unstable.Node) int {
	_, line := keyOf(p, n.Key())
	return line
}

// lineAt returns the 1-based line of b, a subslice of data.
func lineAt(data, b []byte) int {
	off := cap(data) - cap(b)
	if off < 0 || off > len(data) {
		return 0
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// applyEnv applies the environment overrides other than the token and
// returns which keys it set, from which variable.
func (c *Config) applyEnv(lookup LookupEnv) map[string]string {
	set := map[string]string{}
	if v, ok := lookup(EnvDatabaseURL); ok && v != "" {
		c.Database.URL = v
		set["database.url"] = EnvDatabaseURL
	}
	if v, ok := lookup(EnvHubSpotBaseURL); ok && v != "" {
		c.HubSpot.BaseURL = v
		set["hubspot.base_url"] = EnvHubSpotBaseURL
	}
	return set
}

// readTokens fills HubSpot.Token from HUBSPOT_TOKEN, else from
// hubspot.token_file, and HTTP.Token from SYNCD_HTTP_TOKEN, else from
// http.token_file; a relative file is resolved against the config file's
// directory.
func (c *Config) readTokens(name string, lookup LookupEnv) []error {
	var errs []error
	var err error
	if c.HubSpot.Token, c.HubSpot.TokenSource, err = readSecret(name, lookup, EnvHubSpotToken, "hubspot.token_file", c.HubSpot.TokenFile); err != nil {
		errs = append(errs, err)
	}
	if c.HTTP.Token, c.HTTP.TokenSource, err = readSecret(name, lookup, EnvHTTPToken, "http.token_file", c.HTTP.TokenFile); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// readSecret reads a credential from the environment variable env, else
// from the file path (the value of key), resolved against the config file
// name's directory when relative. It returns the secret and where it came
// from (env or the file's path); both empty when neither is set.
func readSecret(name string, lookup LookupEnv, env, key, path string) (Secret, string, error) {
	if v, ok := lookup(env); ok && strings.TrimSpace(v) != "" {
		tok := strings.TrimSpace(v)
		if strings.ContainsAny(tok, " \t\r\n") {
			return "", "", &Error{File: env, Msg: "the token contains whitespace"}
		}
		return Secret(tok), env, nil
	}
	if path == "" {
		return "", "", nil
	}
	if !filepath.IsAbs(path) && name != "" {
		path = filepath.Join(filepath.Dir(name), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		msg := err.Error()
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return "", "", &Error{Key: key, Msg: fmt.Sprintf("cannot read %s: %s", path, msg)}
	}
	tok := strings.TrimSpace(string(b))
	switch {
	case tok == "":
		return "", "", &Error{Key: key, Msg: path + " is empty"}
	case strings.ContainsAny(tok, " \t\r\n"):
		return "", "", &Error{Key: key, Msg: path + " must hold the token alone on one line"}
	}
	return Secret(tok), path, nil
}
