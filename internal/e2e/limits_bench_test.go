package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime/metrics"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/store"
	"github.com/syncd/syncd/internal/testkit/hubspottest"
	"github.com/syncd/syncd/internal/testkit/outboxtest"
)

// HubSpot's professional-tier limits, which the bound is computed from:
// 190 calls per rolling 10 s (19 a second) and 5 searches a second.
const (
	proBurstPerSecond  = 19.0
	proSearchPerSecond = 5.0
	// benchLatency is the time the emulator adds to every answer, within
	// HubSpot's own 100-300 ms.
	benchLatency = 150 * time.Millisecond
)

// BenchmarkFirstSync5000 loads a first sync the way a user does: one
// shuffled backlog of 5,000 new orders with the 2,000 customers, 200
// companies and 300 products they name (7,500 outbox rows, about 20,000
// HubSpot records with the line items), at the default batch_size, into
// an emulator with the professional tier's real limits on and 150 ms of
// latency per call, on the real clock: the governor waits as it would
// against HubSpot. It reports the wall time against the least time
// HubSpot's limits allow, bound = max(calls / 19, searches / 5) seconds,
// where calls are those the burst limit counts (every call but search);
// calls per order by endpoint; 429 answers; the most calls the emulator
// saw in any rolling 10 s and any 1 s; the longest pause between two
// calls; and the peak heap (syncd and the in-process emulator together).
//
//   - one-process: one syncd; then the same orders sent again unchanged,
//     by the same process (resend-calls) and by a new one
//     (resend-calls-new-process).
//   - three-processes: three syncd processes on one database, sharing the
//     budget through rate_ledger.
//   - three-processes-429: the same with 10 % of calls answered 429 at
//     random; wall-vs-clean is its wall time over three-processes'.
//   - orders-only: one process syncs the 5,000 orders alone, their
//     companies, customers and products synced beforehand, untimed.
//
// Run it alone with `make bench-limits`. SYNCD_BENCH_TRACE=prefix writes
// each run's timeline of calls and cycles to prefix-<benchmark name>.
func BenchmarkFirstSync5000(b *testing.B) {
	d := synthetic(200, 2000, 300, 5000, 0)
	var clean time.Duration // three-processes' wall time, for the 429 run
	b.Run("one-process", func(b *testing.B) {
		for range b.N {
			r := runFirstSync(b, d, firstSyncRun{processes: 1, resend: true})
			r.report(b, d)
		}
	})
	b.Run("three-processes", func(b *testing.B) {
		for range b.N {
			r := runFirstSync(b, d, firstSyncRun{processes: 3})
			r.report(b, d)
			clean = r.wall
		}
	})
	b.Run("three-processes-429", func(b *testing.B) {
		for range b.N {
			if clean == 0 {
				clean = runFirstSync(b, d, firstSyncRun{processes: 3}).wall
			}
			r := runFirstSync(b, d, firstSyncRun{processes: 3, rate429: 0.10})
			r.report(b, d)
			b.ReportMetric(r.wall.Seconds()/clean.Seconds(), "wall-vs-clean")
		}
	})
	b.Run("orders-only", func(b *testing.B) {
		for range b.N {
			r := runFirstSync(b, d, firstSyncRun{processes: 1, ordersOnly: true})
			r.report(b, d)
		}
	})
}

// served is one HubSpot request as the emulator's front saw it.
type served struct {
	at     time.Time
	key    string // endpoint, e.g. "deals batch/upsert"
	search bool
	status int
}

// callLog records every HubSpot request that reaches the emulator.
type callLog struct {
	next http.Handler
	mu   sync.Mutex
	log  []served
}

func (l *callLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_emulator/") {
		l.next.ServeHTTP(w, r)
		return
	}
	at := time.Now()
	status := 0 // a dropped connection is logged without one
	defer func() {
		l.mu.Lock()
		l.log = append(l.log, served{at: at, key: endpointName(r.Method, r.URL.Path), search: strings.HasSuffix(r.URL.Path, "/search"), status: status})
		l.mu.Unlock()
	}()
	status = serveRecorded(l.next, w, r)
}

func (l *callLog) calls() []served {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := slices.Clone(l.log)
	sort.Slice(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// endpointName shortens a request to its object types and operation:
// "deals batch/upsert", "deals→contacts batch/create", "pipelines deals".
func endpointName(method, path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) >= 4 && parts[0] == "crm" && parts[1] == "objects":
		return parts[3] + " " + strings.Join(parts[4:], "/")
	case len(parts) >= 5 && parts[0] == "crm" && parts[1] == "associations":
		return parts[3] + "→" + parts[4] + " " + strings.Join(parts[5:], "/")
	case len(parts) >= 4 && parts[0] == "crm":
		return parts[1] + " " + strings.Join(parts[3:], "/")
	case len(parts) >= 3:
		return parts[0] + " " + strings.Join(parts[2:], "/")
	}
	return method + " " + path
}

type firstSync struct {
	wall            time.Duration
	log             []served
	clientCalls     int
	peakHeap        uint64
	resend, resendN int64 // calls of an unchanged re-send: same process, new process
}

// firstSyncRun says how runFirstSync loads its data set.
type firstSyncRun struct {
	processes int
	// rate429 of the calls are answered 429 at random.
	rate429 float64
	// resend sends every order again, unchanged, through the same engine
	// and then a new one.
	resend bool
	// ordersOnly syncs the orders' companies, customers and products
	// beforehand, untimed, and times the orders alone.
	ordersOnly bool
}

// runFirstSync drains d's rows, shuffled, as o says, against a
// professional emulator with real limits and benchLatency, on the real
// clock.
func runFirstSync(b *testing.B, d *dataset, o firstSyncRun) firstSync {
	b.Helper()
	b.StopTimer()
	n := o.processes
	// Setup goes first without limits or latency: the run starts with the
	// whole budget, as a fresh day would. Every setting is the default but
	// the pipelines' stage mapping.
	e := newEnv(b, envOptions{tier: "professional", realTime: true, cfg: func(c *config.Config) {
		c.Sync = config.Default().Sync
	}})
	rows := d.rows()
	rng := rand.New(rand.NewPCG(5000, 2026))
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	var refs, orders []outboxtest.Row
	for _, row := range rows {
		if row.Entity == "order" {
			orders = append(orders, row)
		} else {
			refs = append(refs, row)
		}
	}
	timed := rows
	if o.ordersOnly {
		timed = orders
		e.insert(refs)
		pre, err := engine.New(engine.Deps{Store: e.st, HubSpot: proClient(b, e.srv.URL, nil), Logger: hubspottest.QuietLogger(), Owner: "syncd-refs"}, e.cfg)
		if err != nil {
			b.Fatal(err)
		}
		if sum, err := pre.Drain(context.Background()); err != nil || e.open() != 0 {
			b.Fatalf("syncing the orders' references: %+v, %v; open %v", sum, err, e.openRows())
		}
	}
	lg := &callLog{next: e.emu}
	e.proxy.next = lg
	cfg := e.emu.Config()
	cfg.DisableRateLimits = false
	cfg.Latency = emulator.Duration{Duration: benchLatency}
	if o.rate429 > 0 {
		cfg.Faults = emulator.FaultConfig{Seed: 8, Rules: []emulator.FaultRule{{Rate: o.rate429, Statuses: []int{http.StatusTooManyRequests}}}}
	}
	if err := e.emu.SetConfig(cfg); err != nil {
		b.Fatal(err)
	}
	e.insert(timed)
	var engines []*engine.Engine
	var clients []*hubspot.Client
	for i := range n {
		st := e.st
		if n > 1 {
			st = store.New(e.pool(nil), store.Options{})
		}
		var ledger governor.Ledger
		if n > 1 {
			ledger = st.RateLedger()
		}
		hs := proClient(b, e.srv.URL, ledger)
		clients = append(clients, hs)
		eng, err := engine.New(engine.Deps{Store: st, HubSpot: hs, Logger: hubspottest.QuietLogger(), Owner: fmt.Sprintf("syncd-%d", i)}, e.cfg)
		if err != nil {
			b.Fatal(err)
		}
		engines = append(engines, eng)
	}
	peak := watchHeap()
	b.StartTimer()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, eng := range engines {
		wg.Go(func() { _, errs[i] = eng.Drain(context.Background()) })
	}
	wg.Wait()
	r := firstSync{wall: time.Since(start)}
	b.StopTimer()
	r.peakHeap = peak()
	for i, err := range errs {
		if err != nil {
			b.Fatalf("process %d: %v", i, err)
		}
	}
	if open := e.open(); open != 0 {
		b.Fatalf("%d rows open after the drain: %v", open, e.openRows())
	}
	r.log = lg.calls()
	if prefix := os.Getenv("SYNCD_BENCH_TRACE"); prefix != "" {
		writeTrace(b, e, prefix, start, r.log)
	}
	for _, hs := range clients {
		r.clientCalls += hs.Stats().Total
	}
	e.checkIDMap(checkHubSpot(b, d, e.emu.Dump()))
	if o.resend {
		e.insert(orders)
		sum, err := engines[0].Drain(context.Background())
		if err != nil || sum.Failed != 0 {
			b.Fatalf("re-send: %+v, %v", sum, err)
		}
		r.resend = sum.Calls
		e.insert(orders)
		fresh, err := engine.New(engine.Deps{Store: e.st, HubSpot: proClient(b, e.srv.URL, nil), Logger: hubspottest.QuietLogger(), Owner: "syncd-new"}, e.cfg)
		if err != nil {
			b.Fatal(err)
		}
		sum, err = fresh.Drain(context.Background())
		if err != nil || sum.Failed != 0 {
			b.Fatalf("re-send by a new process: %+v, %v", sum, err)
		}
		r.resendN = sum.Calls
	}
	b.StartTimer()
	return r
}

// proClient is a professional-tier client on the real clock, as `syncd
// run` builds it; ledger, when set, shares its budget.
func proClient(b *testing.B, url string, ledger governor.Ledger) *hubspot.Client {
	b.Helper()
	gov, err := governor.New(governor.Options{Tier: "professional", DailyReserve: -1, Ledger: ledger})
	if err != nil {
		b.Fatal(err)
	}
	hs, err := hubspot.New(hubspot.Options{BaseURL: url, Token: hubspottest.Token, Governor: gov})
	if err != nil {
		b.Fatal(err)
	}
	return hs
}

// watchHeap samples the live heap until the returned function is called,
// which returns the highest sample.
func watchHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	stop := make(chan struct{})
	done := make(chan uint64)
	go func() {
		peak := read()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				done <- max(peak, read())
				return
			case <-t.C:
				peak = max(peak, read())
			}
		}
	}()
	return func() uint64 { close(stop); return <-done }
}

// report prints r's figures for d.
func (r firstSync) report(b *testing.B, d *dataset) {
	b.Helper()
	var burst, searches []time.Time
	byEndpoint := map[string]int{}
	limited := 0
	for _, c := range r.log {
		byEndpoint[c.key]++
		if c.status == http.StatusTooManyRequests {
			limited++
		}
		if c.search {
			searches = append(searches, c.at)
		} else {
			burst = append(burst, c.at)
		}
	}
	bound := max(float64(len(burst))/proBurstPerSecond, float64(len(searches))/proSearchPerSecond)
	orders := float64(len(d.orders))
	b.ReportMetric(float64(len(r.log)), "calls")
	b.ReportMetric(float64(len(searches)), "searches")
	b.ReportMetric(float64(len(r.log))/orders, "calls/order")
	b.ReportMetric(r.wall.Seconds(), "wall-s")
	b.ReportMetric(bound, "bound-s")
	b.ReportMetric(r.wall.Seconds()/bound, "wall/bound")
	b.ReportMetric(float64(limited), "429s")
	b.ReportMetric(float64(mostInWindow(burst, 10*time.Second)), "max-calls/10s")
	b.ReportMetric(float64(mostInWindow(burst, time.Second)), "max-calls/1s")
	b.ReportMetric(longestGap(r.log).Seconds(), "longest-gap-s")
	b.ReportMetric(float64(r.peakHeap)/(1<<20), "peak-heap-MB")
	if r.clientCalls != len(r.log) {
		// A dropped connection is seen by the client only; none is injected
		// here, so the counts agree.
		b.Errorf("clients counted %d calls, the emulator saw %d", r.clientCalls, len(r.log))
	}
	keys := make([]string, 0, len(byEndpoint))
	for k := range byEndpoint {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d orders, %d records: %d calls (%d searches) in %.1fs; bound %.1fs; wall/bound %.3f; %d 429s\n",
		len(d.orders), d.records(), len(r.log), len(searches), r.wall.Seconds(), bound, r.wall.Seconds()/bound, limited)
	for _, k := range keys {
		fmt.Fprintf(&sb, "  %6d  %7.4f/order  %s\n", byEndpoint[k], float64(byEndpoint[k])/orders, k)
		b.ReportMetric(float64(byEndpoint[k])/orders, strings.NewReplacer(" ", ":", "→", "-").Replace(k)+"/order")
	}
	if r.resendN > 0 {
		b.ReportMetric(float64(r.resend), "resend-calls")
		b.ReportMetric(float64(r.resendN), "resend-calls-new-process")
		fmt.Fprintf(&sb, "  unchanged re-send of every order: %d calls (same process), %d (new process)\n", r.resend, r.resendN)
	}
	b.Log(sb.String())
}

// mostInWindow returns the most of the sorted times that fall in any
// window of length w (half-open, as HubSpot's rolling window).
func mostInWindow(ts []time.Time, w time.Duration) int {
	best, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// longestGap is the longest time between two consecutive calls.
func longestGap(log []served) time.Duration {
	var gap time.Duration
	for i := 1; i < len(log); i++ {
		gap = max(gap, log[i].at.Sub(log[i-1].at))
	}
	return gap
}

// writeTrace writes the run's timeline to prefix-<benchmark name>, for a
// look at where the time goes: a line "call <seconds from start> <status>
// <endpoint>" per HubSpot request the emulator saw, and "run <start>
// <finish> <owner> <rows>" per cycle.
func writeTrace(b *testing.B, e *env, prefix string, start time.Time, log []served) {
	b.Helper()
	var sb strings.Builder
	for _, c := range log {
		fmt.Fprintf(&sb, "call %.3f %d %s\n", c.at.Sub(start).Seconds(), c.status, strings.ReplaceAll(c.key, " ", "_"))
	}
	rows, err := e.db.Pool.Query(context.Background(), `SELECT owner, started_at, finished_at, coalesce((counts->>'rows')::int, 0) FROM runs ORDER BY started_at, id`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var owner string
		var started time.Time
		var finished *time.Time
		var n int
		if err := rows.Scan(&owner, &started, &finished, &n); err != nil {
			b.Fatal(err)
		}
		end := "-"
		if finished != nil {
			end = fmt.Sprintf("%.3f", finished.Sub(start).Seconds())
		}
		fmt.Fprintf(&sb, "run %.3f %s %s %d\n", started.Sub(start).Seconds(), end, owner, n)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	name := prefix + "-" + strings.ReplaceAll(b.Name(), "/", "_")
	if err := os.WriteFile(name, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
}
