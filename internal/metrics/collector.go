package metrics

import (
	"context"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/store"
)

var (
	descOutboxRows = prometheus.NewDesc("syncd_outbox_rows",
		"Outbox rows by entity and state (pending, failed, dead, done, superseded).", []string{"entity", "state"}, nil)
	descDatabaseUp = prometheus.NewDesc("syncd_database_up",
		"1 when the scrape's read of the outbox succeeded, 0 when the database did not answer (the outbox series are then left out).", nil, nil)
)

// entityCounts is what the outbox holds of one entity besides its rows by
// state.
type entityCounts struct {
	inProgress, waiting, warned int
	// oldestAge is how long the oldest pending row has waited; 0 when none
	// is pending.
	oldestAge time.Duration
}

// entityGauges are the outbox series by entity besides syncd_outbox_rows,
// each read from the entity's counts.
var entityGauges = []struct {
	desc  *prometheus.Desc
	value func(entityCounts) float64
}{
	{prometheus.NewDesc("syncd_outbox_rows_in_progress",
		"Pending and failed outbox rows a cycle holds now, by entity (also counted in syncd_outbox_rows).", []string{"entity"}, nil),
		func(e entityCounts) float64 { return float64(e.inProgress) }},
	{prometheus.NewDesc("syncd_outbox_rows_waiting",
		"Pending outbox rows that wait for the row of a record they reference, by entity (also counted as pending).", []string{"entity"}, nil),
		func(e entityCounts) float64 { return float64(e.waiting) }},
	{prometheus.NewDesc("syncd_outbox_rows_warned",
		"Done outbox rows with warnings (fields skipped or repaired, values HubSpot kept under hubspot_wins), by entity (also counted as done).", []string{"entity"}, nil),
		func(e entityCounts) float64 { return float64(e.warned) }},
	{prometheus.NewDesc("syncd_outbox_oldest_pending_age_seconds",
		"How long the oldest pending outbox row has waited, by entity; 0 when none is pending.", []string{"entity"}, nil),
		func(e entityCounts) float64 { return e.oldestAge.Seconds() }},
}

// scrapeRead is a collector's read of the database at every scrape,
// bounded by timeout.
type scrapeRead[T any] struct {
	read    func(context.Context) (T, error)
	timeout time.Duration
	log     logrus.FieldLogger
}

// collect runs the read and reports up as 1, or as 0 when the read failed,
// which it logs naming what it read; the series the value feeds are
// reported only when ok.
func (r scrapeRead[T]) collect(ch chan<- prometheus.Metric, up *prometheus.Desc, what string) (v T, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	v, err := r.read(ctx)
	if err != nil {
		r.log.WithError(err).Warn("metrics: cannot read " + what)
		ch <- prometheus.MustNewConstMetric(up, prometheus.GaugeValue, 0)
		return v, false
	}
	ch <- prometheus.MustNewConstMetric(up, prometheus.GaugeValue, 1)
	return v, true
}

// backlogCollector reads the outbox counts from the database at every
// scrape, in one statement.
type backlogCollector struct {
	scrapeRead[*store.Backlog]
	entities []string
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descOutboxRows
	for _, g := range entityGauges {
		ch <- g.desc
	}
	ch <- descDatabaseUp
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	b, ok := c.collect(ch, descDatabaseUp, "the outbox counts")
	if !ok {
		return
	}

	entities := slices.Clone(c.entities)
	byEntity := map[string]*entityCounts{}
	rows := map[[2]string]int{}
	for _, n := range b.Counts {
		if !slices.Contains(entities, n.Entity) {
			entities = append(entities, n.Entity)
		}
		e := byEntity[n.Entity]
		if e == nil {
			e = &entityCounts{}
			byEntity[n.Entity] = e
		}
		e.inProgress += n.InProgress
		e.waiting += n.Waiting
		e.warned += n.Warned
		rows[[2]string{n.Entity, n.State}] += n.Rows
	}
	for _, ent := range entities {
		for _, st := range store.States {
			ch <- prometheus.MustNewConstMetric(descOutboxRows, prometheus.GaugeValue, float64(rows[[2]string{ent, st}]), ent, st)
		}
		var e entityCounts
		if n := byEntity[ent]; n != nil {
			e = *n
		}
		// The age is on the database's clock, which wrote created_at.
		if t, ok := b.OldestPending[ent]; ok {
			e.oldestAge = max(b.Now.Sub(t), 0)
		}
		for _, g := range entityGauges {
			ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, g.value(e), ent)
		}
	}
}

// budgetGauges are the governor's budgets, read from its state at every
// scrape; a gauge whose value is not ok is left out.
var budgetGauges = []struct {
	desc  *prometheus.Desc
	value func(governor.State) (v float64, ok bool)
}{
	{prometheus.NewDesc("syncd_hubspot_window_calls_limit",
		"HubSpot calls syncd allows itself per burst window (HubSpot's limit less the margin).", nil, nil),
		func(s governor.State) (float64, bool) { return float64(s.WindowLimit), true }},
	{prometheus.NewDesc("syncd_hubspot_window_calls_left",
		"HubSpot calls left in the current burst window, after syncd's own and other integrations' calls.", nil, nil),
		func(s governor.State) (float64, bool) { return float64(s.WindowLeft), true }},
	{prometheus.NewDesc("syncd_hubspot_window_seconds",
		"The length of HubSpot's burst window.", nil, nil),
		func(s governor.State) (float64, bool) { return s.Window.Seconds(), true }},
	{prometheus.NewDesc("syncd_hubspot_daily_calls_limit",
		"HubSpot's daily API allowance for the account.", nil, nil),
		func(s governor.State) (float64, bool) { return float64(s.DailyLimit), true }},
	{prometheus.NewDesc("syncd_hubspot_daily_calls_used",
		"HubSpot calls the whole account has made today, as last reported (left out until HubSpot says).", nil, nil),
		func(s governor.State) (float64, bool) { return float64(s.DailyUsed), s.DailyUsed >= 0 }},
	{prometheus.NewDesc("syncd_hubspot_daily_calls_reserved",
		"The part of the daily allowance syncd leaves to the account's other integrations (hubspot.daily_reserve).", nil, nil),
		func(s governor.State) (float64, bool) { return float64(s.DailyReserve), true }},
	{prometheus.NewDesc("syncd_hubspot_daily_limit_reached",
		"1 while syncd's share of the daily allowance is spent and cycles wait for the reset, else 0.", nil, nil),
		func(s governor.State) (float64, bool) {
			if s.DailyBlockedUntil.IsZero() {
				return 0, true
			}
			return 1, true
		}},
}

// budgetCollector reads the governor's budgets at every scrape.
type budgetCollector struct{ state func() governor.State }

func (c *budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, g := range budgetGauges {
		ch <- g.desc
	}
}

func (c *budgetCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.state()
	for _, g := range budgetGauges {
		if v, ok := g.value(s); ok {
			ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, v)
		}
	}
}
