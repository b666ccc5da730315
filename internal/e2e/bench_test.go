package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/emulator"
)

// BenchmarkGuideVsSyncd pushes one data set through the partner guide's
// flow and through syncd (outbox rows → Drain), each into a fresh emulator
// with rate limits off, so that the figures are HubSpot calls and the wall
// time of making them. It reports, per flow, calls per order and per
// record, write calls per run and wall milliseconds per order; the
// guide/syncd ratios; and syncd's second run over the same rows (nothing
// changed), which should write nothing. The governors wait on a virtual
// clock; the time it moves (paced-s) is how long an enterprise account's
// burst and search limits make each flow take at the least.
//
// The data sets: the first 100 Northwind orders with their lines,
// products and customers (as companies with one contact each) and all 830
// of them when ../shared is present, and a generated set of 100 orders
// always.
func BenchmarkGuideVsSyncd(b *testing.B) {
	sets := []*dataset{synthetic(20, 100, 40, 100, 20)}
	if nw, ok := northwind(b, 100, 20); ok {
		sets = append([]*dataset{nw}, sets...)
	} else {
		b.Log("shared test data (../shared/testdata/northwind) is absent: benchmarking the generated data set only")
	}
	// Every Northwind order: per-run costs (account details, pipelines)
	// weigh less, so the ratio shows what a day's volume costs.
	if nw, ok := northwind(b, 830, 100); ok {
		nw.name = "northwind-all"
		sets = append(sets, nw)
	}
	for _, d := range sets {
		b.Run(d.name, func(b *testing.B) { benchGuideVsSyncd(b, d, 0) })
	}
	// In-process calls cost microseconds; HubSpot's cost tens of
	// milliseconds. A fixed latency per call shows how wall time follows
	// the number of calls once the network is in the way.
	b.Run(sets[0].name+"/latency-2ms", func(b *testing.B) { benchGuideVsSyncd(b, sets[0], 2*time.Millisecond) })
}

type flowFigures struct {
	calls, writes int64
	wall          time.Duration
	// paced is the time on the virtual clock: the waits the governor
	// needs to keep an enterprise account's burst and search limits.
	paced time.Duration
}

// benchGuideVsSyncd runs both flows over d, each HubSpot call delayed by
// latency.
func benchGuideVsSyncd(b *testing.B, d *dataset, latency time.Duration) {
	ctx := context.Background()
	var faults emulator.FaultConfig
	if latency > 0 {
		faults.Rules = []emulator.FaultRule{{Latency: emulator.Duration{Duration: latency}}}
	}
	var guideF, syncdF, rerunF flowFigures
	for range b.N {
		// The guide.
		b.StopTimer()
		ge := newEnv(b, envOptions{noDB: true, faults: faults})
		hs := ge.client()
		b.StartTimer()
		start, vstart := time.Now(), ge.clk.Now()
		err := newGuide(hs).run(ctx, d)
		guideF.wall += time.Since(start)
		b.StopTimer()
		guideF.paced += ge.clk.Now().Sub(vstart)
		if err != nil {
			b.Fatalf("guide: %v", err)
		}
		st := hs.Stats()
		guideF.calls += int64(st.Total)
		guideF.writes += int64(st.Writes)
		checkHubSpot(b, d, ge.emu.Dump())

		// syncd.
		se := newEnv(b, envOptions{faults: faults})
		se.insert(d.rows())
		eng := se.engine(se.st, "syncd-bench")
		b.StartTimer()
		start = time.Now()
		sum, err := eng.Drain(ctx)
		syncdF.wall += time.Since(start)
		b.StopTimer()
		if err != nil || sum.Failed != 0 || se.open() != 0 {
			b.Fatalf("syncd drain: %+v, %v; open rows %v", sum, err, se.openRows())
		}
		syncdF.calls += sum.Calls
		syncdF.writes += sum.WriteCalls
		syncdF.paced += sum.Duration
		se.checkIDMap(checkHubSpot(b, d, se.emu.Dump()))

		// syncd again over the same rows: nothing changed.
		se.insert(d.rows())
		b.StartTimer()
		start = time.Now()
		sum, err = eng.Drain(ctx)
		rerunF.wall += time.Since(start)
		b.StopTimer()
		if err != nil || sum.Failed != 0 || se.open() != 0 {
			b.Fatalf("syncd second drain: %+v, %v", sum, err)
		}
		rerunF.calls += sum.Calls
		rerunF.writes += sum.WriteCalls
		b.StartTimer()
	}
	n := float64(b.N)
	orders, records := float64(len(d.orders))*n, float64(d.records())*n
	ms := func(w time.Duration) float64 { return float64(w.Microseconds()) / 1000 }
	b.ReportMetric(float64(guideF.calls)/orders, "guide-calls/order")
	b.ReportMetric(float64(syncdF.calls)/orders, "syncd-calls/order")
	b.ReportMetric(float64(guideF.calls)/records, "guide-calls/record")
	b.ReportMetric(float64(syncdF.calls)/records, "syncd-calls/record")
	b.ReportMetric(float64(guideF.writes)/n, "guide-writes/run")
	b.ReportMetric(float64(syncdF.writes)/n, "syncd-writes/run")
	b.ReportMetric(ms(guideF.wall)/orders, "guide-ms/order")
	b.ReportMetric(ms(syncdF.wall)/orders, "syncd-ms/order")
	b.ReportMetric(guideF.paced.Seconds()/n, "guide-paced-s/run")
	b.ReportMetric(syncdF.paced.Seconds()/n, "syncd-paced-s/run")
	b.ReportMetric(float64(guideF.calls)/float64(max(syncdF.calls, 1)), "calls-guide/syncd")
	b.ReportMetric(float64(guideF.writes)/float64(max(syncdF.writes, 1)), "writes-guide/syncd")
	b.ReportMetric(float64(guideF.wall)/float64(max(syncdF.wall, 1)), "wall-guide/syncd")
	b.ReportMetric(float64(rerunF.calls)/n, "syncd-rerun-calls/run")
	b.ReportMetric(float64(rerunF.writes)/n, "syncd-rerun-writes/run")
	b.ReportMetric(float64(d.records()), "records/run")
	if rerunF.writes != 0 {
		b.Errorf("syncd's second run over unchanged rows made %d write calls, want 0", rerunF.writes)
	}
}
