package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/syncd/syncd/internal/store"
)

var (
	descInboxUnconsumed = prometheus.NewDesc("syncd_inbox_rows_unconsumed",
		"Inbox rows (changes made in HubSpot) the ERP has not consumed yet, by object type.", []string{"object_type"}, nil)
	descInboxWatermarkAge = prometheus.NewDesc("syncd_inbox_watermark_age_seconds",
		"How long ago the last inbox cycle that read the object type to the end started: changes older than this (less HubSpot's search lag) are in the inbox. Absent before the first.", []string{"object_type"}, nil)
	descInboxUp = prometheus.NewDesc("syncd_inbox_database_up",
		"1 when the scrape's read of the inbox succeeded, 0 when it failed (the inbox series are then left out).", nil, nil)
)

// inboxCollector reads the inbox's backlog and watermarks at every scrape,
// in one statement.
type inboxCollector struct {
	scrapeRead[[]store.InboxBacklog]
	objects []string
}

func (c *inboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descInboxUnconsumed
	ch <- descInboxWatermarkAge
	ch <- descInboxUp
}

func (c *inboxCollector) Collect(ch chan<- prometheus.Metric) {
	bs, ok := c.collect(ch, descInboxUp, "the inbox")
	if !ok {
		return
	}
	seen := map[string]bool{}
	for _, b := range bs {
		t := string(b.ObjectType)
		seen[t] = true
		ch <- prometheus.MustNewConstMetric(descInboxUnconsumed, prometheus.GaugeValue, float64(b.Unconsumed), t)
		if b.CheckedAt != nil {
			ch <- prometheus.MustNewConstMetric(descInboxWatermarkAge, prometheus.GaugeValue, b.WatermarkAge.Seconds(), t)
		}
	}
	for _, t := range c.objects {
		if !seen[t] {
			ch <- prometheus.MustNewConstMetric(descInboxUnconsumed, prometheus.GaugeValue, 0, t)
		}
	}
}
