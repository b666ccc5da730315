// Package metrics is the Prometheus side of `syncd run`: a registry of its
// own (no global state), filled from two sources.
//
//   - The daemon's hooks (Metrics.Hooks, a daemon.Hooks subscriber): cycles
//     by trigger and result and their duration, rows by outcome, every
//     HubSpot request by operation and status, 429s by policy, retries, job
//     runs, whether outbox notifications are heard. These are counters and
//     histograms that add up what happened.
//   - Reads at scrape time (collectors): the outbox by entity and state and
//     the oldest pending row's age from the database (Options.Backlog), the
//     inbox's unconsumed rows and watermark age by object type
//     (Options.Inbox), the rate budgets from the governor (Options.Budget).
//     These are gauges of what is, read when Prometheus asks, so they are
//     never stale.
//
// The Go runtime's and the process's own collectors and syncd_build_info
// are registered too. Handler serves the registry in Prometheus's text
// format (and OpenMetrics when asked). docs/operations.md lists every name
// and label; a test keeps the two in step.
//
// # Adding a collector
//
// A feature with numbers of its own (a periodic export, say) registers
// its collectors on the same registry, before the endpoint serves, and
// documents them in docs/operations.md:
//
//	m := metrics.New(metrics.Options{...})
//	// A counter it adds to from its own code or from a daemon.Hooks of
//	// its own (JobFinished for its job):
//	runs := prometheus.NewCounterVec(prometheus.CounterOpts{
//		Name: "syncd_export_runs_total", Help: "Export runs by result.",
//	}, []string{"result"})
//	// A gauge read at scrape time, from the database or its own state:
//	age := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
//		Name: "syncd_export_age_seconds", Help: "How long ago the last export ended.",
//	}, export.Age)
//	m.MustRegister(runs, age)
//
// Labelled gauges read from the database in one query per scrape follow
// backlogCollector (collector.go) and inboxCollector (inbox.go): a
// Describe with the descriptors, and a Collect that reads through
// scrapeRead, which bounds the read by Options.ScrapeTimeout and reports a
// failed read as a gauge of its own (syncd_database_up,
// syncd_inbox_database_up) instead of failing the scrape, then sends const
// metrics. Names start with syncd_, use base units (seconds, not
// milliseconds) and end in _total for counters.
package metrics
