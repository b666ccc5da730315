package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/store"
)

// Deps are the engine's collaborators.
type Deps struct {
	Store   *store.Store
	HubSpot *hubspot.Client
	// Logger defaults to a logger that discards.
	Logger logrus.FieldLogger
	// Now is the engine's clock: cycle durations, when to extend the
	// leases, the age of the pipelines read, the archive times of the ID
	// map. It defaults to time.Now. The store keeps its own, the
	// database's, for everything it compares.
	Now func() time.Time
	// Owner names this process in leases and runs; default host:pid.
	Owner string
}

// Summary counts what a cycle (or a drain of several) did.
type Summary struct {
	Rows       int           `json:"rows"`        // outbox rows claimed
	Created    int           `json:"created"`     // HubSpot records created
	Updated    int           `json:"updated"`     // records written to (changed properties only)
	Unchanged  int           `json:"unchanged"`   // records already up to date: no call made
	Deleted    int           `json:"deleted"`     // records archived
	Failed     int           `json:"failed"`      // rows failed, to be retried
	Dead       int           `json:"dead"`        // rows failed for the last time
	Superseded int           `json:"superseded"`  // rows replaced by a newer row of the same key
	Waiting    int           `json:"waiting"`     // rows left pending to wait for a row a record they reference has
	Warned     int           `json:"warned"`      // rows done with warnings (fields skipped or repaired, conflicts HubSpot won)
	Calls      int64         `json:"calls"`       // HubSpot requests sent, retries included
	WriteCalls int64         `json:"write_calls"` // of which wrote data
	Duration   time.Duration `json:"duration_ns"`

	// keys counts the cycle's keys and waitingDue its waiting rows that
	// are due at once, for Drain.
	keys, waitingDue int
}

// More reports whether the outbox may hold rows to claim right after this
// cycle: it claimed some, and they did not all wait for rows another
// process holds (those come due when that process records them). A cycle
// that claimed nothing, or whose every row waits with none due, says no;
// Drain stops there and `syncd run` waits for its next tick.
func (s Summary) More() bool {
	return s.Rows > 0 && (s.keys == 0 || s.Waiting < s.keys || s.waitingDue > 0)
}

func (s *Summary) add(o Summary) {
	s.Rows += o.Rows
	s.Created += o.Created
	s.Updated += o.Updated
	s.Unchanged += o.Unchanged
	s.Deleted += o.Deleted
	s.Failed += o.Failed
	s.Dead += o.Dead
	s.Superseded += o.Superseded
	s.Waiting += o.Waiting
	s.Warned += o.Warned
	s.Calls += o.Calls
	s.WriteCalls += o.WriteCalls
	s.Duration += o.Duration
}

// Engine runs sync cycles. One Engine runs one cycle at a time; several
// Engines (processes) may share an outbox.
type Engine struct {
	st    *store.Store
	hs    *hubspot.Client
	log   logrus.FieldLogger
	now   func() time.Time
	owner string
	cfg   config.Config
	opts  outbox.Options
	retry store.Retry
	kinds []kind

	mu sync.Mutex // one cycle at a time
	// dailyPause is the reset time of the spent daily allowance that
	// cycles are being skipped for, once logged; guarded by mu.
	dailyPause time.Time

	pmu      sync.Mutex // guards portalID
	portalID int64

	// live is what real cycles write through: HubSpot and the store, and
	// the stage mappers that keep the pipelines read from HubSpot in the
	// database for sync.pipeline_refresh.
	live gate
}

// gate is what a cycle writes through, and its stage mappers: the live
// one, or a dry run's (see writer).
type gate struct {
	w              writer
	deals, tickets *StageMapper
}

// New returns an Engine. It fails when a dependency is missing or the
// configuration cannot drive a cycle.
func New(deps Deps, cfg config.Config) (*Engine, error) {
	if deps.Store == nil || deps.HubSpot == nil {
		return nil, errors.New("engine: Store and HubSpot are required")
	}
	def := config.Default().Sync
	s := &cfg.Sync
	if s.BatchSize <= 0 {
		s.BatchSize = def.BatchSize
	}
	if s.Lease.Duration <= 0 {
		s.Lease = def.Lease
	}
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = def.MaxAttempts
	}
	if s.BackoffBase.Duration <= 0 {
		s.BackoffBase = def.BackoffBase
	}
	if s.BackoffMax.Duration <= 0 {
		s.BackoffMax = def.BackoffMax
	}
	if s.OnDelete == "" {
		s.OnDelete = def.OnDelete
	}
	if s.ERPIDProperty == "" {
		s.ERPIDProperty = def.ERPIDProperty
	}
	if s.TaxIDProperty == "" {
		s.TaxIDProperty = def.TaxIDProperty
	}
	if s.InvalidField == "" {
		s.InvalidField = def.InvalidField
	}
	e := &Engine{
		st:    deps.Store,
		hs:    deps.HubSpot,
		log:   deps.Logger,
		now:   deps.Now,
		owner: deps.Owner,
		cfg:   cfg,
		opts:  outbox.OptionsFromConfig(cfg.Sync),
		retry: store.Retry{MaxAttempts: s.MaxAttempts, Base: s.BackoffBase.Duration, Max: s.BackoffMax.Duration},
	}
	if e.log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		e.log = l
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.owner == "" {
		host, _ := os.Hostname()
		e.owner = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	e.live = gate{
		w:       live{Client: e.hs, Store: e.st},
		deals:   NewDealStages(cfg, s.PipelineRefresh.Duration, e.now, e.st),
		tickets: NewTicketStages(cfg, s.PipelineRefresh.Duration, e.now, e.st),
	}
	if err := checkConflictTypes(); err != nil {
		return nil, err
	}
	for ot := range cfg.Conflicts {
		if !slices.Contains(config.ConflictObjectTypes, ot) {
			return nil, fmt.Errorf("engine: [conflicts.%s]: not an object type syncd writes (one of %s)", ot, strings.Join(config.ConflictObjectTypes, ", "))
		}
	}
	kinds, err := writeOrder()
	if err != nil {
		return nil, err
	}
	e.kinds = kinds
	return e, nil
}

// Owner returns the name this engine leases rows under.
func (e *Engine) Owner() string { return e.owner }

// PortalID returns the HubSpot account ID, asking HubSpot once and caching
// the answer.
func (e *Engine) PortalID(ctx context.Context) (int64, error) {
	e.pmu.Lock()
	defer e.pmu.Unlock()
	if e.portalID != 0 {
		return e.portalID, nil
	}
	acc, err := e.hs.AccountDetails(ctx)
	if err != nil {
		if hubspot.Classify(err) == hubspot.ClassSetup {
			var dl *DailyLimitError
			if errors.As(setupErr("account", err), &dl) {
				return 0, dl
			}
			return 0, &SetupError{Msg: "cannot read the HubSpot account: check the token (HUBSPOT_TOKEN or hubspot.token_file) and its scopes", Err: err}
		}
		return 0, fmt.Errorf("engine: read HubSpot account: %w", err)
	}
	if acc.PortalID == 0 {
		return 0, errors.New("engine: HubSpot returned no portal ID")
	}
	e.portalID = acc.PortalID
	return e.portalID, nil
}

// RunCycle runs one cycle: it claims up to sync.batch_size keys, syncs
// them and records the outcome. Row-level failures are counted in the
// Summary, not returned; the error is for problems that stop the cycle
// (database unreachable, *SetupError, *DailyLimitError, context
// cancelled), after which the claimed rows are released. The error is
// not logged, so that it is reported once, by the caller; a cycle that got
// as far as its runs row records it there too.
//
// While HubSpot's daily allowance is spent (see
// (*hubspot.Client).DailyBlockedUntil), RunCycle claims nothing, writes no
// runs row and returns an empty Summary and no error; it logs a warning
// with the reset time once, and a line when syncing resumes.
func (e *Engine) RunCycle(ctx context.Context) (Summary, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	start := e.now()
	before := e.hs.Stats()
	// count sets the calls and time spent since the cycle began; the run
	// row gets them before it is finished, the caller after.
	count := func(sum *Summary) {
		after := e.hs.Stats()
		sum.Calls = int64(after.Total - before.Total)
		sum.WriteCalls = int64(after.Writes - before.Writes)
		sum.Duration = e.now().Sub(start)
	}
	sum, _, err := e.runCycle(ctx, count, e.live)
	count(&sum)
	return sum, err
}

// Drain runs cycles until one claims nothing: every row that can be
// claimed now has been processed. Failed rows waiting for their backoff
// are not claimable and do not keep it going. Nor does a cycle all of
// whose rows had to wait for rows another process holds (and none of which
// came due meanwhile): that process brings them due when it records its
// rows, and takes them. It stops at the first cycle error.
func (e *Engine) Drain(ctx context.Context) (Summary, error) {
	var total Summary
	for {
		sum, err := e.RunCycle(ctx)
		total.add(sum)
		if err != nil || !sum.More() {
			return total, err
		}
	}
}

// runCycle runs one cycle through g; it returns the cycle, nil when it
// claimed nothing.
func (e *Engine) runCycle(ctx context.Context, count func(*Summary), g gate) (Summary, *cycle, error) {
	if e.dailyLimitSpent() {
		return Summary{}, nil, nil
	}
	portal, err := e.PortalID(ctx)
	if err != nil {
		return Summary{}, nil, err
	}
	rows, err := g.w.claim(ctx, e.owner, e.cfg.Sync.BatchSize, e.cfg.Sync.Lease.Duration)
	if err != nil {
		return Summary{}, nil, err
	}
	if len(rows) == 0 {
		return Summary{}, nil, nil
	}
	runID, err := g.w.startRun(ctx, e.owner)
	if err != nil {
		e.release(g.w, rows)
		return Summary{Rows: len(rows)}, nil, err
	}
	g.deals.Reset(portal)
	g.tickets.Reset(portal)
	c := newCycle(e, g, portal, rows)
	sum, err := c.run(ctx)
	sum.Rows = len(rows)
	if err != nil {
		e.release(g.w, rows)
	}
	count(&sum)
	if ferr := g.w.finishRun(context.WithoutCancel(ctx), runID, sum, err); ferr != nil && err == nil {
		err = ferr
	}
	return sum, c, err
}

// dailyLimitSpent reports whether HubSpot's daily allowance is spent, so
// that a cycle would claim rows only to fail on its first call. It logs
// the pause once per reset time, and the end of the pause. e.mu must be
// held.
func (e *Engine) dailyLimitSpent() bool {
	until := e.hs.DailyBlockedUntil()
	switch {
	case !until.IsZero():
		if !until.Equal(e.dailyPause) {
			e.dailyPause = until
			e.log.WithField("resets_at", until.UTC().Format(time.RFC3339)).
				Warn("HubSpot's daily API allowance is spent; sync cycles are skipped until it resets")
		}
		return true
	case !e.dailyPause.IsZero():
		e.dailyPause = time.Time{}
		e.log.Info("HubSpot's daily API allowance has reset; syncing resumes")
	}
	return false
}

// release gives the cycle's leases back so that the next cycle, here or in
// another process, takes the rows at once.
func (e *Engine) release(w writer, rows []store.Row) {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.release(ctx, e.owner, ids); err != nil {
		e.log.WithError(err).Warn("could not release outbox rows; their lease will expire")
	}
}
