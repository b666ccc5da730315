package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/syncd/syncd/migrations"
)

// DefaultSchema is the schema syncd owns when the configuration names none.
const DefaultSchema = "syncd"

// VersionTable is goose's version table, created inside the target schema.
const VersionTable = "goose_db_version"

var schemaRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ValidSchema returns an error unless name is a plain lower-case PostgreSQL
// identifier; syncd accepts no quoting tricks in schema names.
func ValidSchema(name string) error {
	if !schemaRE.MatchString(name) {
		return fmt.Errorf("schema %q: use lower-case letters, digits and underscores, starting with a letter or underscore (at most 63)", name)
	}
	return nil
}

// MigrationState is one migration file and whether the schema has it.
type MigrationState struct {
	Version   int64
	Name      string // file name, such as 00001_outbox_id_map_runs.sql
	Applied   bool
	AppliedAt time.Time // zero when not applied
}

// MigrationStep is one migration applied or rolled back by a command.
type MigrationStep struct {
	Version   int64
	Name      string
	Direction string // "up" or "down"
	Duration  time.Duration
}

// MigrateResult is what a migrate command did and where the schema stands.
type MigrateResult struct {
	Command string
	Schema  string
	// Steps are the migrations applied or rolled back, in order.
	Steps []MigrationStep
	// Version is the schema's version after the command (0: nothing applied).
	Version int64
	// Status lists every known migration after the command.
	Status []MigrationState
}

// Migrate runs a goose command against schema in the database at
// databaseURL. It creates the schema when missing and keeps goose's version
// table inside it, so the migration files use unqualified names. Commands:
//
//	up            apply every pending migration
//	up-to V       apply up to version V
//	down          roll back the latest migration
//	down-to V     roll back to version V (0 removes every syncd table)
//	redo          roll back the latest migration and apply it again
//	status        list migrations and whether each is applied
//	version       report the current version
//
// Concurrent runs against the same schema are serialised with an advisory
// lock; they never interleave.
func Migrate(ctx context.Context, databaseURL, schema, command string, args ...string) (*MigrateResult, error) {
	cfg, schema, err := schemaConfig(databaseURL, schema, "migrate")
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg.ConnConfig)
	defer db.Close()
	db.SetMaxOpenConns(3)

	// The lock lives on its own connection for the whole command. Keyed by
	// schema, so test schemas migrate in parallel while two daemons
	// migrating the same schema take turns.
	lockConn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: connect: %w", err)
	}
	defer lockConn.Close()
	key := lockKey(schema)
	if _, err := lockConn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return nil, fmt.Errorf("migrate: lock: %w", err)
	}
	defer func() {
		// Closing the connection also releases the lock; unlock for a
		// pooled connection's sake.
		_, _ = lockConn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
	}()
	if _, err := lockConn.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
		return nil, fmt.Errorf("migrate: create schema %s: %w", schema, err)
	}

	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS,
		goose.WithTableName(VersionTable), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	res := &MigrateResult{Command: command, Schema: schema}
	var steps []*goose.MigrationResult
	// toVersion runs up-to or down-to with the version the arguments name.
	toVersion := func(run func(context.Context, int64) ([]*goose.MigrationResult, error)) ([]*goose.MigrationResult, error) {
		if len(args) == 0 {
			return nil, fmt.Errorf("migrate %s: needs a version argument", command)
		}
		v, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("migrate %s: version %q is not a non-negative integer", command, args[0])
		}
		return run(ctx, v)
	}
	switch command {
	case "up":
		steps, err = p.Up(ctx)
	case "up-to":
		steps, err = toVersion(p.UpTo)
	case "down":
		steps, err = oneStep(p.Down(ctx))
	case "down-to":
		steps, err = toVersion(p.DownTo)
	case "redo":
		steps, err = oneStep(p.Down(ctx))
		if err == nil {
			var up []*goose.MigrationResult
			up, err = oneStep(p.UpByOne(ctx))
			steps = append(steps, up...)
		}
	case "status", "version":
	default:
		return nil, fmt.Errorf("migrate: unknown command %q (use up, up-to, down, down-to, redo, status or version)", command)
	}
	if errors.Is(err, goose.ErrNoNextVersion) || errors.Is(err, goose.ErrNoCurrentVersion) {
		err = nil // nothing to do is not a failure
	}
	for _, s := range steps {
		if s == nil || s.Source == nil {
			continue
		}
		res.Steps = append(res.Steps, MigrationStep{Version: s.Source.Version, Name: baseName(s.Source.Path), Direction: s.Direction, Duration: s.Duration})
	}
	if err != nil {
		return res, fmt.Errorf("migrate %s (schema %s): %w", command, schema, err)
	}
	st, err := p.Status(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate status (schema %s): %w", schema, err)
	}
	for _, s := range st {
		ms := MigrationState{Version: s.Source.Version, Name: baseName(s.Source.Path), Applied: s.State == goose.StateApplied, AppliedAt: s.AppliedAt}
		res.Status = append(res.Status, ms)
		if ms.Applied && ms.Version > res.Version {
			res.Version = ms.Version
		}
	}
	return res, nil
}

// oneStep is the result of a command that applies or rolls back one
// migration, as a list: empty when there was none to apply.
func oneStep(r *goose.MigrationResult, err error) ([]*goose.MigrationResult, error) {
	if r == nil {
		return nil, err
	}
	return []*goose.MigrationResult{r}, err
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("syncd.migrate." + schema))
	return int64(h.Sum64())
}

// redactParseErr drops the URL (which may hold a password) from a parse error.
func redactParseErr(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("cannot parse the database URL")
	}
	return err
}
