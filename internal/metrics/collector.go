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
	descInProgress = prometheus.NewDesc("syncd_outbox_rows_in_progress",
		"Pending and failed outbox rows a cycle holds now, by entity (also counted in syncd_outbox_rows).", []string{"entity"}, nil)
	descWaiting = prometheus.NewDesc("syncd_outbox_rows_waiting",
		"Pending outbox rows that wait for the row of a record they reference, by entity (also counted as pending).", []string{"entity"}, nil)
	descWarned = prometheus.NewDesc("syncd_outbox_rows_warned",
		"Done outbox rows with warnings (fields skipped or repaired, values HubSpot kept under hubspot_wins), by entity (also counted as done).", []string{"entity"}, nil)
	descOldest = prometheus.NewDesc("syncd_outbox_oldest_pending_age_seconds",
		"How long the oldest pending outbox row has waited, by entity; 0 when none is pending.", []string{"entity"}, nil)
	descDatabaseUp = prometheus.NewDesc("syncd_database_up",
		"1 when the scrape's read of the outbox succeeded, 0 when the database did not answer (the outbox series are then left out).", nil, nil)
)

// backlogCollector reads the outbox counts from the database at every
// scrape, in one statement.
type backlogCollector struct {
	read     func(context.Context) (*store.Backlog, error)
	entities []string
	timeout  time.Duration
	log      logrus.FieldLogger
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOutboxRows, descInProgress, descWaiting, descWarned, descOldest, descDatabaseUp} {
		ch <- d
	}
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	b, err := c.read(ctx)
	if err != nil {
		c.log.WithError(err).Warn("metrics: cannot read the outbox counts")
		ch <- prometheus.MustNewConstMetric(descDatabaseUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descDatabaseUp, prometheus.GaugeValue, 1)

	type perEntity struct{ inProgress, waiting, warned int }
	entities := slices.Clone(c.entities)
	byEntity := map[string]*perEntity{}
	rows := map[[2]string]int{}
	for _, n := range b.Counts {
		if !slices.Contains(entities, n.Entity) {
			entities = append(entities, n.Entity)
		}
		e := byEntity[n.Entity]
		if e == nil {
			e = &perEntity{}
			byEntity[n.Entity] = e
		}
		e.inProgress += n.InProgress
		e.waiting += n.Waiting
		e.warned += n.Warned
		rows[[2]string{n.Entity, n.State}] += n.Rows
	}
	// The age is on the database's clock, which wrote created_at.
	now := b.Now
	for _, ent := range entities {
		for _, st := range store.States {
			ch <- prometheus.MustNewConstMetric(descOutboxRows, prometheus.GaugeValue, float64(rows[[2]string{ent, st}]), ent, st)
		}
		e := byEntity[ent]
		if e == nil {
			e = &perEntity{}
		}
		ch <- prometheus.MustNewConstMetric(descInProgress, prometheus.GaugeValue, float64(e.inProgress), ent)
		ch <- prometheus.MustNewConstMetric(descWaiting, prometheus.GaugeValue, float64(e.waiting), ent)
		ch <- prometheus.MustNewConstMetric(descWarned, prometheus.GaugeValue, float64(e.warned), ent)
		age := 0.0
		if t, ok := b.OldestPending[ent]; ok {
			age = max(now.Sub(t), 0).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, age, ent)
	}
}

var (
	descWindowLimit = prometheus.NewDesc("syncd_hubspot_window_calls_limit",
		"HubSpot calls syncd allows itself per burst window (HubSpot's limit less the margin).", nil, nil)
	descWindowLeft = prometheus.NewDesc("syncd_hubspot_window_calls_left",
		"HubSpot calls left in the current burst window, after syncd's own and other integrations' calls.", nil, nil)
	descWindowSeconds = prometheus.NewDesc("syncd_hubspot_window_seconds",
		"The length of HubSpot's burst window.", nil, nil)
	descDailyLimit = prometheus.NewDesc("syncd_hubspot_daily_calls_limit",
		"HubSpot's daily API allowance for the account.", nil, nil)
	descDailyUsed = prometheus.NewDesc("syncd_hubspot_daily_calls_used",
		"HubSpot calls the whole account has made today, as last reported (left out until HubSpot says).", nil, nil)
	descDailyReserve = prometheus.NewDesc("syncd_hubspot_daily_calls_reserved",
		"The part of the daily allowance syncd leaves to the account's other integrations (hubspot.daily_reserve).", nil, nil)
	descDailySpent = prometheus.NewDesc("syncd_hubspot_daily_limit_reached",
		"1 while syncd's share of the daily allowance is spent and cycles wait for the reset, else 0.", nil, nil)
)

// budgetCollector reads the governor's budgets at every scrape.
type budgetCollector struct{ state func() governor.State }

func (c *budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descWindowLimit, descWindowLeft, descWindowSeconds, descDailyLimit, descDailyUsed, descDailyReserve, descDailySpent} {
		ch <- d
	}
}

func (c *budgetCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.state()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	gauge(descWindowLimit, float64(s.WindowLimit))
	gauge(descWindowLeft, float64(s.WindowLeft))
	gauge(descWindowSeconds, s.Window.Seconds())
	gauge(descDailyLimit, float64(s.DailyLimit))
	if s.DailyUsed >= 0 {
		gauge(descDailyUsed, float64(s.DailyUsed))
	}
	gauge(descDailyReserve, float64(s.DailyReserve))
	spent := 0.0
	if !s.DailyBlockedUntil.IsZero() {
		spent = 1
	}
	gauge(descDailySpent, spent)
}
