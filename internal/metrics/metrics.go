package metrics

import (
	"context"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/daemon"
	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/store"
)

// Options configures New. Every field may be left empty; the series a
// missing source feeds are then left out.
type Options struct {
	// Version is the build's version, for syncd_build_info.
	Version string
	// Backlog reads the outbox counts at scrape time: (*store.Store).Backlog.
	Backlog func(context.Context) (*store.Backlog, error)
	// Entities are reported in syncd_outbox_rows with every state, 0 where
	// they have no rows, so that a dashboard's series never vanish. Other
	// entities found in the outbox are reported as well.
	Entities []string
	// Budget returns the rate budgets at scrape time:
	// (*governor.Governor).State.
	Budget func() governor.State
	// Inbox reads the inbox's backlog and watermarks at scrape time:
	// (*store.Store).InboxBacklogs; nil when the inbox is off.
	Inbox func(context.Context) ([]store.InboxBacklog, error)
	// InboxObjects are the ID map's object types the inbox polls, reported
	// with 0 unconsumed rows when they have none.
	InboxObjects []string
	// Logger receives what went wrong in a scrape; nothing is logged when
	// nil.
	Logger logrus.FieldLogger
	// ScrapeTimeout bounds each database read of a scrape (the outbox's,
	// the inbox's); 5s when 0.
	ScrapeTimeout time.Duration
}

// Metrics is syncd's registry and what feeds it. It is safe for concurrent
// use.
type Metrics struct {
	reg *prometheus.Registry
	log logrus.FieldLogger

	cycles        *prometheus.CounterVec
	cycleDuration prometheus.Histogram
	lastSuccess   prometheus.Gauge
	rows          *prometheus.CounterVec
	calls         *prometheus.CounterVec
	callDuration  *prometheus.HistogramVec
	rateLimited   *prometheus.CounterVec
	retries       *prometheus.CounterVec
	jobs          *prometheus.CounterVec
	jobDuration   *prometheus.HistogramVec
	listening     prometheus.Gauge
}

// Outcomes are the values of syncd_rows_total's outcome label, in the
// order of engine.Summary's fields.
var Outcomes = []string{"claimed", "created", "updated", "unchanged", "deleted", "failed", "dead", "superseded", "waiting", "warned"}

// New returns the registry with syncd's collectors, the Go runtime's and
// the process's.
func New(o Options) *Metrics {
	if o.ScrapeTimeout <= 0 {
		o.ScrapeTimeout = 5 * time.Second
	}
	log := o.Logger
	if log == nil {
		l := logrus.New()
		l.SetLevel(logrus.PanicLevel)
		log = l
	}
	m := &Metrics{
		reg:           prometheus.NewRegistry(),
		log:           log,
		cycles:        counterVec("syncd_cycles_total", "Sync cycles run, by what started them (start, schedule, notify, backlog) and result (ok, or failed as a whole).", "trigger", "result"),
		cycleDuration: histogram("syncd_cycle_duration_seconds", "How long sync cycles took, failed ones included.", []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}),
		lastSuccess:   gauge("syncd_last_cycle_success_timestamp_seconds", "When the last sync cycle that did not fail as a whole ended (Unix time); 0 before the first."),
		rows:          counterVec("syncd_rows_total", "What sync cycles did, by outcome: outbox rows claimed, failed, dead, superseded, waiting, warned; HubSpot records created, updated, unchanged, deleted.", "outcome"),
		calls:         counterVec("syncd_hubspot_calls_total", "HTTP requests sent to HubSpot, retries included, by operation and HTTP status (\"error\" when no answer came).", "operation", "status"),
		callDuration:  histogramVec("syncd_hubspot_call_duration_seconds", "How long HubSpot took to answer a request, by operation.", []float64{0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30}, "operation"),
		rateLimited:   counterVec("syncd_hubspot_rate_limited_total", "HubSpot's 429 answers, by the policy their body names (TEN_SECONDLY_ROLLING, SECONDLY, DAILY; \"unknown\" when none).", "policy"),
		retries:       counterVec("syncd_hubspot_retries_total", "HubSpot requests that repeated an earlier attempt, by operation.", "operation"),
		jobs:          counterVec("syncd_job_runs_total", "Runs of the daemon's periodic jobs besides sync cycles, by job and result (ok, failed).", "job", "result"),
		jobDuration:   histogramVec("syncd_job_duration_seconds", "How long the daemon's periodic jobs took, by job.", []float64{0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300}, "job"),
		listening:     gauge("syncd_outbox_listening", "1 while syncd listens for outbox notifications (rows the ERP inserts start a cycle at once), 0 while the connection is lost."),
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "syncd_build_info",
		Help: "Always 1; the labels say which build of syncd runs.",
	}, []string{"version", "go_version"})
	build.WithLabelValues(o.Version, runtime.Version()).Set(1)
	m.reg.MustRegister(m.cycles, m.cycleDuration, m.lastSuccess, m.rows, m.calls, m.callDuration,
		m.rateLimited, m.retries, m.jobs, m.jobDuration, m.listening, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Cycle results and outcomes start at 0, so that rate() and alerts on
	// them work before the first failure.
	for _, r := range []string{"ok", "failed"} {
		for _, t := range []daemon.Trigger{daemon.TriggerStart, daemon.TriggerSchedule, daemon.TriggerNotify, daemon.TriggerBacklog} {
			m.cycles.WithLabelValues(string(t), r)
		}
	}
	for _, out := range Outcomes {
		m.rows.WithLabelValues(out)
	}
	if o.Backlog != nil {
		m.reg.MustRegister(&backlogCollector{
			scrapeRead: scrapeRead[*store.Backlog]{read: o.Backlog, timeout: o.ScrapeTimeout, log: log},
			entities:   o.Entities,
		})
	}
	if o.Budget != nil {
		m.reg.MustRegister(&budgetCollector{state: o.Budget})
	}
	if o.Inbox != nil {
		m.reg.MustRegister(&inboxCollector{
			scrapeRead: scrapeRead[[]store.InboxBacklog]{read: o.Inbox, timeout: o.ScrapeTimeout, log: log},
			objects:    o.InboxObjects,
		})
	}
	return m
}

// counterVec, histogram, histogramVec and gauge make the collectors New
// registers, one line each: name, help, the buckets of a histogram, labels.
func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

func histogram(name, help string, buckets []float64) prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
}

func histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
}

func gauge(name, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
}

// Register adds collectors to the registry; it fails for a collector whose
// metrics clash with one registered before.
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// MustRegister is Register that panics on a clash, a programming error.
func (m *Metrics) MustRegister(cs ...prometheus.Collector) { m.reg.MustRegister(cs...) }

// Gatherer returns the registry, for tests and for a handler of one's own.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Handler serves the registry: Prometheus's text format, or OpenMetrics
// when the scraper asks for it. A collector that fails is logged and left
// out; the rest is served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:          logAdapter{m.log},
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	})
}

// Hooks returns the daemon subscriber that counts cycles, rows, HubSpot
// requests and job runs. Each hook only adds to collectors, which are safe
// for concurrent use.
func (m *Metrics) Hooks() daemon.Hooks {
	return daemon.Hooks{
		CycleFinished: m.cycleFinished,
		JobFinished:   m.jobFinished,
		CallMade:      m.callMade,
		Notifications: func(on bool) {
			if on {
				m.listening.Set(1)
			} else {
				m.listening.Set(0)
			}
		},
	}
}

func (m *Metrics) cycleFinished(c daemon.Cycle) {
	result := "ok"
	if c.Err != nil {
		result = "failed"
	} else {
		m.lastSuccess.Set(float64(c.Finished.UnixNano()) / 1e9)
	}
	m.cycles.WithLabelValues(string(c.Trigger), result).Inc()
	m.cycleDuration.Observe(c.Finished.Sub(c.Started).Seconds())
	s := c.Summary
	for i, n := range []int{s.Rows, s.Created, s.Updated, s.Unchanged, s.Deleted, s.Failed, s.Dead, s.Superseded, s.Waiting, s.Warned} {
		if n > 0 {
			m.rows.WithLabelValues(Outcomes[i]).Add(float64(n))
		}
	}
}

func (m *Metrics) jobFinished(r daemon.JobRun) {
	result := "ok"
	if r.Err != nil {
		result = "failed"
	}
	m.jobs.WithLabelValues(r.Job, result).Inc()
	m.jobDuration.WithLabelValues(r.Job).Observe(r.Finished.Sub(r.Started).Seconds())
}

func (m *Metrics) callMade(c hubspot.Call) {
	status := "error"
	if c.Status != 0 {
		status = strconv.Itoa(c.Status)
	}
	m.calls.WithLabelValues(c.Operation, status).Inc()
	if c.Status != 0 {
		m.callDuration.WithLabelValues(c.Operation).Observe(c.Duration.Seconds())
	}
	if c.Status == http.StatusTooManyRequests {
		policy := c.Policy
		if policy == "" {
			policy = "unknown"
		}
		m.rateLimited.WithLabelValues(policy).Inc()
	}
	if c.Retry() {
		m.retries.WithLabelValues(c.Operation).Inc()
	}
}

// logAdapter hands promhttp's errors to logrus.
type logAdapter struct{ log logrus.FieldLogger }

func (l logAdapter) Println(v ...any) { l.log.Warn(append([]any{"metrics: "}, v...)...) }
