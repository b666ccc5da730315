package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/setup"
	"github.com/syncd/syncd/internal/store"
)

// EmulatorToken is the bearer token syncd sends when no token is configured.
// The built-in emulator accepts any token unless it is started with --token.
const EmulatorToken = "syncd-emulator"

// IOStreams are the command's standard streams. Out carries data (plans,
// summaries, URLs); Err carries logs and progress.
type IOStreams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// Factory builds a command's dependencies on first use, so that --help, a
// usage error or `syncd version` never reads the config, opens a database
// or starts an emulator.
type Factory struct {
	IO IOStreams
	// LookupEnv reads the environment; os.LookupEnv unless a test sets it.
	LookupEnv config.LookupEnv
	// Now is the clock handed to long-lived services.
	Now func() time.Time

	// Set from the global flags before a command runs.
	ConfigPath string
	LogLevel   string

	cfgOnce sync.Once
	cfg     *config.Config
	cfgErr  error
	// preset, when set, is the config instead of the file's (ForEmulator).
	preset *config.Config
	// emulatorOnly makes HubSpot the built-in emulator whatever the
	// config's token and base URL (ForEmulator).
	emulatorOnly bool

	logOnce sync.Once
	log     *logrus.Logger
	logErr  error

	hsOnce sync.Once
	hs     *hubspot.Client
	hsErr  error
	// emuURL and emuSetup are the built-in emulator HubSpot started, if
	// it did, and what setting it up created; guarded by mu.
	emuURL   string
	emuSetup setup.Result

	storeOnce sync.Once
	store     *store.Store
	storeErr  error

	mu      sync.Mutex
	closers []func()
}

// NewFactory returns a Factory over the process's streams and environment.
func NewFactory() *Factory {
	return &Factory{
		IO:        IOStreams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr},
		LookupEnv: os.LookupEnv,
		Now:       time.Now,
	}
}

// ForEmulator returns a factory over f's streams, environment, clock and
// --log-level whose config is cfg instead of the file's, and whose HubSpot
// is always the built-in emulator, whatever token or base URL cfg or the
// environment names; f.Close closes what it builds. `syncd demo` runs on
// one.
func (f *Factory) ForEmulator(cfg *config.Config) *Factory {
	g := &Factory{
		IO: f.IO, LookupEnv: f.LookupEnv, Now: f.Now, LogLevel: f.LogLevel,
		preset: cfg, emulatorOnly: true,
	}
	f.onClose(g.Close)
	return g
}

// Config loads the configuration once: the --config file (or SYNCD_CONFIG),
// defaults, and environment overrides.
func (f *Factory) Config() (*config.Config, error) {
	f.cfgOnce.Do(func() {
		if f.preset != nil {
			f.cfg = f.preset
			return
		}
		path := f.ConfigPath
		if path == "" {
			path, _ = f.LookupEnv("SYNCD_CONFIG")
		}
		f.cfg, f.cfgErr = config.LoadEnv(path, f.LookupEnv)
	})
	return f.cfg, f.cfgErr
}

// Logger returns the logger for stderr: the level from --log-level, else
// log.level; the format from log.format. When the config does not load, it
// still returns a logger with the defaults, so the error can be logged.
func (f *Factory) Logger() (*logrus.Logger, error) {
	f.logOnce.Do(func() {
		def := config.Default()
		level, format := def.Log.Level, def.Log.Format
		if cfg, err := f.Config(); err == nil {
			level, format = cfg.Log.Level, cfg.Log.Format
		}
		if f.LogLevel != "" {
			level = f.LogLevel
		}
		f.log, f.logErr = newLogger(f.IO.Err, level, format, isTerminal(f.IO.Err))
	})
	return f.log, f.logErr
}

// configLogger returns the config and the logger, for the builders that
// need both; the config's error comes first since the logger falls back to
// defaults without it.
func (f *Factory) configLogger() (*config.Config, *logrus.Logger, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, nil, err
	}
	log, err := f.Logger()
	return cfg, log, err
}

// connected is what the builders of long-lived parts (the engine, the
// inbox, the HTTP endpoint) share: the config, the logger, the store and
// the HubSpot client, each made once per Factory.
type connected struct {
	cfg *config.Config
	log *logrus.Logger
	st  *store.Store
	hs  *hubspot.Client
}

// connect returns the config and logger, then opens the store and the
// HubSpot client, stopping at the first error.
func (f *Factory) connect(ctx context.Context) (connected, error) {
	var c connected
	var err error
	if c.cfg, c.log, err = f.configLogger(); err != nil {
		return c, err
	}
	if c.st, err = f.Store(ctx); err != nil {
		return c, err
	}
	c.hs, err = f.HubSpot(ctx)
	return c, err
}

// onClose registers fn to run when the command ends, last registered first.
func (f *Factory) onClose(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closers = append(f.closers, fn)
}

// Close releases what the factory built: database pools, emulators.
func (f *Factory) Close() {
	f.mu.Lock()
	closers := f.closers
	f.closers = nil
	f.mu.Unlock()
	for i := len(closers) - 1; i >= 0; i-- {
		closers[i]()
	}
}

// HubSpot returns a client for the configured HubSpot, the same one on
// every call. With no token and the default base URL, it starts the
// built-in emulator on a loopback port for the life of the command, sets it
// up, and warns that nothing reaches HubSpot.
func (f *Factory) HubSpot(ctx context.Context) (*hubspot.Client, error) {
	f.hsOnce.Do(func() { f.hs, f.hsErr = f.newHubSpot(ctx) })
	return f.hs, f.hsErr
}

func (f *Factory) newHubSpot(ctx context.Context) (*hubspot.Client, error) {
	cfg, log, err := f.configLogger()
	if err != nil {
		return nil, err
	}
	base, token := cfg.HubSpot.BaseURL, cfg.HubSpot.Token.Reveal()
	switch {
	case f.emulatorOnly:
	case token != "":
		return newClient(cfg, base, token, log, f.rateLedger(ctx))
	case base != config.DefaultBaseURL:
		log.WithField("base_url", base).Warn("no HubSpot token configured; sending the emulator's placeholder token to " + base)
		return newClient(cfg, base, EmulatorToken, log, f.rateLedger(ctx))
	}
	url, err := f.startEmulator(ctx, emulator.Options{Tier: cfg.HubSpot.Tier, Now: f.Now})
	if err != nil {
		return nil, err
	}
	if f.emulatorOnly {
		log.WithField("emulator_url", url).Info("HubSpot emulator started; nothing reaches HubSpot")
	} else {
		log.WithField("emulator_url", url).Warn("no HubSpot token configured (HUBSPOT_TOKEN or hubspot.token_file): syncing to the built-in HubSpot emulator; nothing reaches HubSpot and its records are lost when syncd stops")
	}
	// The in-process emulator is this process's own: no shared budget.
	client, err := newClient(cfg, url, EmulatorToken, log, nil)
	if err != nil {
		return nil, err
	}
	// The emulator starts empty: give it syncd's properties and
	// pipelines, as `syncd setup` would.
	res, err := setupEmulator(ctx, client, *cfg)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.emuURL, f.emuSetup = url, res
	f.mu.Unlock()
	return client, nil
}

// BuiltinEmulator returns the base URL of the in-process emulator HubSpot
// started, on a loopback port, and what setting it up created (syncd's
// property groups, properties and pipelines); ok is false when the client
// targets a real HubSpot or has not been built.
func (f *Factory) BuiltinEmulator() (url string, created setup.Result, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.emuURL, f.emuSetup, f.emuURL != ""
}

func setupEmulator(ctx context.Context, client *hubspot.Client, cfg config.Config) (setup.Result, error) {
	cfg.Setup.CreatePipelines = true
	plan, err := setup.Plan(ctx, client, cfg)
	var res setup.Result
	if err == nil {
		res, err = setup.Apply(ctx, client, plan)
	}
	if err != nil {
		return res, fmt.Errorf("setting up the built-in emulator: %w", err)
	}
	return res, nil
}

// newClient builds a client and its governor from the configuration; a
// non-nil ledger shares the governor's budgets with other processes.
func newClient(cfg *config.Config, base, token string, log logrus.FieldLogger, ledger governor.Ledger) (*hubspot.Client, error) {
	reserve := cfg.HubSpot.DailyReserve
	if reserve == 0 {
		reserve = -1 // the governor reads 0 as "default"; the config means none
	}
	gov, err := governor.New(governor.Options{Tier: cfg.HubSpot.Tier, DailyReserve: reserve, Logger: log, Ledger: ledger})
	if err != nil {
		return nil, err
	}
	return hubspot.New(hubspot.Options{
		BaseURL:     base,
		Token:       token,
		Version:     cfg.HubSpot.Version,
		HTTPClient:  &http.Client{Timeout: cfg.HubSpot.Timeout.Duration},
		Concurrency: cfg.HubSpot.Concurrency,
		Governor:    gov,
		Logger:      log,
		AppVersion:  Version,
	})
}

// startEmulator serves an in-process emulator on a free loopback port until
// the command ends, and returns its base URL.
func (f *Factory) startEmulator(ctx context.Context, opts emulator.Options) (string, error) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- emulator.ListenAndServe(ctx, "127.0.0.1:0", opts, func(url string) { ready <- url })
	}()
	select {
	case url := <-ready:
		f.onClose(func() {
			cancel()
			// A stopped emulator returns nil; an error is one it met while
			// serving, which no request has reported.
			if err := <-done; err != nil {
				if log, lerr := f.Logger(); lerr == nil {
					log.WithError(err).Warn("the built-in emulator stopped serving")
				}
			}
		})
		return url, nil
	case err := <-done:
		cancel()
		return "", fmt.Errorf("starting the built-in emulator: %w", err)
	}
}

// Store opens a pool on database.url with search_path database.schema and
// returns the store over it, the same one on every call; the pool closes
// when the command ends.
func (f *Factory) Store(ctx context.Context) (*store.Store, error) {
	f.storeOnce.Do(func() { f.store, f.storeErr = f.openStore(ctx) })
	return f.store, f.storeErr
}

func (f *Factory) openStore(ctx context.Context) (*store.Store, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	if err := cfg.RequireDatabase(); err != nil {
		return nil, err
	}
	pool, err := store.Open(ctx, cfg.Database.URL, cfg.Database.Schema)
	if err != nil {
		return nil, err
	}
	f.onClose(pool.Close)
	return store.New(pool, store.Options{}), nil
}

// Governor returns the governor that paces and retries the HubSpot
// client's calls, building the client when needed, so that what runs
// beside the engine (a status server, an inbox poll) reads and shares the
// same rate budgets.
func (f *Factory) Governor(ctx context.Context) (*governor.Governor, error) {
	hs, err := f.HubSpot(ctx)
	if err != nil {
		return nil, err
	}
	return hs.Governor(), nil
}

// Engine builds the sync engine over the store and HubSpot client.
func (f *Factory) Engine(ctx context.Context) (*engine.Engine, error) {
	c, err := f.connect(ctx)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	return engine.New(engine.Deps{
		Store: c.st, HubSpot: c.hs, Logger: c.log, Now: f.Now,
		Owner: fmt.Sprintf("%s:%d", host, os.Getpid()),
	}, *c.cfg)
}
