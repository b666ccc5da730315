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
//     rate budgets from the governor (Options.Budget). These are gauges of
//     what is, read when Prometheus asks, so they are never stale.
//
// The Go runtime's and the process's own collectors and syncd_build_info
// are registered too. Handler serves the registry in Prometheus's text
// format (and OpenMetrics when asked). docs/operations.md lists every name
// and label; a test keeps the two in step.
//
// # Adding a collector
//
// A feature with its own numbers (an inbox of HubSpot changes with its
// backlog and watermark age, say) registers its collectors on the same
// registry, before the endpoint serves, and documents them in
// docs/operations.md:
//
//	m := metrics.New(metrics.Options{...})
//	// A counter it adds to from its own code or from a daemon.Hooks of
//	// its own (JobFinished for its job):
//	polls := prometheus.NewCounterVec(prometheus.CounterOpts{
//		Name: "syncd_inbox_polls_total", Help: "Inbox polls by result.",
//	}, []string{"result"})
//	// A gauge read at scrape time, from the database or its own state:
//	age := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
//		Name: "syncd_inbox_watermark_age_seconds", Help: "How far behind HubSpot the inbox is.",
//	}, inbox.WatermarkAge)
//	m.MustRegister(polls, age)
//
// Labelled gauges read from the database in one query per scrape follow
// backlogCollector (collector.go): a Describe with the descriptors and a
// Collect that runs the query with a timeout and sends const metrics, and
// syncd_database_up's pattern of reporting a failed read instead of
// failing the scrape. Names start with syncd_, use base units (seconds,
// not milliseconds) and end in _total for counters.
package metrics
