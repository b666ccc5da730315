package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Config is the emulator's runtime configuration, read and replaced through
// GET and PUT /_emulator/config. A PUT changes only the fields it sends.
type Config struct {
	Tier                    string      `json:"tier"`
	SearchLag               Duration    `json:"searchLag"`
	Latency                 Duration    `json:"latency"`
	DisableRateLimits       bool        `json:"disableRateLimits"`
	DealAmountFromLineItems bool        `json:"dealAmountFromLineItems"`
	Faults                  FaultConfig `json:"faults"`
}

// Duration is a time.Duration written in JSON as "1.5s"; a number is read
// as milliseconds.
type Duration struct{ time.Duration }

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.Duration.String()) }

// UnmarshalJSON reads "1.5s" or a number of milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		d.Duration = v
		return nil
	}
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return fmt.Errorf("duration must be a string like \"2s\" or milliseconds")
	}
	d.Duration = time.Duration(ms * float64(time.Millisecond))
	return nil
}

// Config returns the current configuration.
func (s *Server) Config() Config {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	return s.cfg
}

// SetConfig replaces the configuration. It fails on an unknown tier, a
// negative lag or latency, or an invalid fault rule, and then changes nothing. New
// faults restart their random sequence from their seed.
func (s *Server) SetConfig(c Config) error {
	if _, ok := tiers[c.Tier]; !ok {
		return fmt.Errorf("unknown tier %q: use free, starter, professional, enterprise or limit_pack", c.Tier)
	}
	if c.SearchLag.Duration < 0 {
		return fmt.Errorf("searchLag must not be negative")
	}
	if c.Latency.Duration < 0 {
		return fmt.Errorf("latency must not be negative")
	}
	if err := c.Faults.validate(); err != nil {
		return err
	}
	s.cfgMu.Lock()
	s.cfg = c
	s.faults = newFaultInjector(c.Faults)
	s.cfgMu.Unlock()
	return nil
}

// Stats counts the HubSpot requests served (control routes excluded).
type Stats struct {
	Total int64 `json:"total"`
	// ByRoute counts by "METHOD /route/template"; unknown routes by path.
	ByRoute map[string]int64 `json:"byRoute"`
	// ByStatus counts by HTTP status; "0" is a dropped connection.
	ByStatus map[string]int64 `json:"byStatus"`
	// RateLimited counts 429 answers, real and injected.
	RateLimited int64 `json:"rateLimited"`
	// DailyUsage is the count toward today's daily allowance.
	DailyUsage int64 `json:"dailyUsage"`
}

type statsCounter struct {
	mu       sync.Mutex
	total    int64
	byRoute  map[string]int64
	byStatus map[int]int64
}

func newStatsCounter() *statsCounter {
	return &statsCounter{byRoute: map[string]int64{}, byStatus: map[int]int64{}}
}

func (c *statsCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total, c.byRoute, c.byStatus = 0, map[string]int64{}, map[int]int64{}
}

func (c *statsCounter) record(key string, status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total++
	c.byRoute[key]++
	c.byStatus[status]++
}

// Stats returns the counts served so far, the same data as GET
// /_emulator/stats.
func (s *Server) Stats() Stats {
	used, _, _ := s.dailyUsage()
	c := s.stats
	c.mu.Lock()
	defer c.mu.Unlock()
	out := Stats{Total: c.total, ByRoute: map[string]int64{}, ByStatus: map[string]int64{}, RateLimited: c.byStatus[http.StatusTooManyRequests], DailyUsage: used}
	for k, v := range c.byRoute {
		out.ByRoute[k] = v
	}
	for k, v := range c.byStatus {
		out.ByStatus[strconv.Itoa(k)] = v
	}
	return out
}

// DumpRecord is one record in GET /_emulator/dump.
type DumpRecord struct {
	ID           string                      `json:"id"`
	Properties   map[string]string           `json:"properties"`
	CreatedAt    string                      `json:"createdAt"`
	UpdatedAt    string                      `json:"updatedAt"`
	Archived     bool                        `json:"archived"`
	Associations map[string][]DumpAssociated `json:"associations,omitempty"`
}

// DumpAssociated is one associated record and the type IDs from the
// dumped record to it.
type DumpAssociated struct {
	ID      string `json:"id"`
	TypeIDs []int  `json:"typeIds"`
}

// Dump is everything the emulator holds.
type Dump struct {
	PortalID  int64                   `json:"portalId"`
	Objects   map[string][]DumpRecord `json:"objects"`
	Pipelines map[string][]pipeline   `json:"pipelines"`
	// CustomProperties lists the properties created through the API.
	CustomProperties map[string][]propDef `json:"customProperties"`
}

// Dump returns every record with its properties and associations, the same
// data as GET /_emulator/dump.
func (s *Server) Dump() Dump {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	d := Dump{PortalID: s.portalID, Objects: map[string][]DumpRecord{}, Pipelines: map[string][]pipeline{}, CustomProperties: map[string][]propDef{}}
	for _, t := range objTypes {
		os := st.objects[t.name]
		recs := []DumpRecord{}
		for _, rec := range os.order {
			dr := DumpRecord{ID: rec.id, Properties: cloneProps(rec.props), CreatedAt: timestamp(rec.created), UpdatedAt: timestamp(rec.updated), Archived: rec.archived}
			me := recKey{t.name, rec.id}
			for other := range st.assoc[me] {
				types := st.typesBetween(me, other)
				if len(types) == 0 {
					continue
				}
				if dr.Associations == nil {
					dr.Associations = map[string][]DumpAssociated{}
				}
				dr.Associations[other.typ] = append(dr.Associations[other.typ], DumpAssociated{ID: other.id, TypeIDs: types})
			}
			for _, list := range dr.Associations {
				sort.Slice(list, func(i, j int) bool { return idLess(list[i].ID, list[j].ID) })
			}
			recs = append(recs, dr)
		}
		d.Objects[t.name] = recs
		var custom []propDef
		for _, n := range sortedKeys(os.props) {
			if p := os.props[n]; !p.HubspotDefined {
				custom = append(custom, *p)
			}
		}
		if len(custom) > 0 {
			d.CustomProperties[t.name] = custom
		}
	}
	for typ, ps := range st.pipelines {
		for _, p := range ps {
			d.Pipelines[typ] = append(d.Pipelines[typ], p.view())
		}
	}
	return d
}

// serveControl serves /_emulator/: no auth, no limits, not counted.
// /_emulator/faults reads and replaces just the fault rules.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	bad := func(status int, msg string) {
		s.writeJSON(w, status, map[string]string{"status": "error", "message": msg})
	}
	switch r.URL.Path {
	case "/_emulator/reset":
		if r.Method != http.MethodPost {
			bad(http.StatusMethodNotAllowed, "use POST")
			return
		}
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	case "/_emulator/stats":
		if r.Method != http.MethodGet {
			bad(http.StatusMethodNotAllowed, "use GET")
			return
		}
		s.writeJSON(w, http.StatusOK, s.Stats())
	case "/_emulator/dump":
		if r.Method != http.MethodGet {
			bad(http.StatusMethodNotAllowed, "use GET")
			return
		}
		s.writeJSON(w, http.StatusOK, s.Dump())
	case "/_emulator/config":
		switch r.Method {
		case http.MethodGet:
			s.writeJSON(w, http.StatusOK, s.Config())
		case http.MethodPut:
			cfg := s.Config()
			if err := decodeStrict(w, r, &cfg); err != nil {
				bad(http.StatusBadRequest, "invalid config: "+err.Error())
				return
			}
			if err := s.SetConfig(cfg); err != nil {
				bad(http.StatusBadRequest, err.Error())
				return
			}
			s.writeJSON(w, http.StatusOK, s.Config())
		default:
			bad(http.StatusMethodNotAllowed, "use GET or PUT")
		}
	case "/_emulator/faults":
		switch r.Method {
		case http.MethodGet:
			s.writeJSON(w, http.StatusOK, s.Config().Faults)
		case http.MethodPut:
			var fc FaultConfig
			if err := decodeStrict(w, r, &fc); err != nil {
				bad(http.StatusBadRequest, "invalid faults: "+err.Error())
				return
			}
			cfg := s.Config()
			cfg.Faults = fc
			if err := s.SetConfig(cfg); err != nil {
				bad(http.StatusBadRequest, err.Error())
				return
			}
			s.writeJSON(w, http.StatusOK, s.Config().Faults)
		default:
			bad(http.StatusMethodNotAllowed, "use GET or PUT")
		}
	default:
		bad(http.StatusNotFound, "unknown control route; see /_emulator/{reset,stats,config,faults,dump}")
	}
}

// decodeStrict decodes a control body of at most 1 MiB into v, refusing
// unknown fields so that a misspelt setting is not silently ignored.
func decodeStrict(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
