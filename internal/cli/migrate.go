package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/internal/store"
)

func newCmdMigrate(f *Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or change syncd's tables in PostgreSQL",
		Long: `Apply or roll back syncd's migrations in the schema named by database.schema
(default "syncd"), which is created when missing. The migrations are built
into the binary; goose keeps its version table inside the same schema. Two
processes migrating the same schema take turns.

  syncd migrate up            apply every pending migration
  syncd migrate up --to 1     apply up to version 1
  syncd migrate down          roll back the latest migration (one step)
  syncd migrate down --to 0   roll back every migration: drops syncd's tables and their rows
  syncd migrate redo          roll back the latest migration and apply it again
  syncd migrate status        list migrations and when each was applied
  syncd migrate version       print the schema's version`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print the result as JSON")

	run := func(cmd *cobra.Command, command string, args ...string) error {
		cfg, err := f.Config()
		if err != nil {
			return err
		}
		if err := cfg.RequireDatabase(); err != nil {
			return err
		}
		log, err := f.Logger()
		if err != nil {
			return err
		}
		res, err := store.Migrate(cmd.Context(), cfg.Database.URL, cfg.Database.Schema, command, args...)
		if res != nil {
			for _, s := range res.Steps {
				log.WithFields(map[string]any{"version": s.Version, "direction": s.Direction, "duration": s.Duration.String()}).
					Info("migration " + s.Name)
			}
			if asJSON {
				if jerr := writeJSON(f.IO.Out, toMigrateJSON(res)); jerr != nil && err == nil {
					err = jerr
				}
			} else if werr := writeMigrateText(f.IO.Out, res); werr != nil && err == nil {
				err = werr
			}
		}
		return err
	}
	// step adds a verb that takes an optional --to version.
	step := func(use, short, plain, to string) *cobra.Command {
		target := int64(-1)
		c := &cobra.Command{
			Use:   use,
			Short: short,
			Args:  noArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				if target < 0 {
					return run(cmd, plain)
				}
				return run(cmd, to, strconv.FormatInt(target, 10))
			},
		}
		if to != "" {
			c.Flags().Int64Var(&target, "to", -1, "target version instead of the default step")
			c.PreRunE = func(cmd *cobra.Command, args []string) error {
				if cmd.Flags().Changed("to") && target < 0 {
					return usageErrorf("--to must be a version, 0 or more")
				}
				return nil
			}
		}
		return c
	}
	cmd.AddCommand(
		step("up", "Apply every pending migration (or up to --to)", "up", "up-to"),
		step("down", "Roll back the latest migration (or down to --to; 0 drops every syncd table)", "down", "down-to"),
		step("redo", "Roll back the latest migration and apply it again", "redo", ""),
		step("status", "List migrations and whether each is applied", "status", ""),
		step("version", "Print the schema's migration version", "version", ""),
	)
	return cmd
}

// migrateJSON is the JSON form of a migrate result; its keys are a
// contract for scripts.
type migrateJSON struct {
	Command    string          `json:"command"`
	Schema     string          `json:"schema"`
	Version    int64           `json:"version"`
	Steps      []migrateStep   `json:"steps"`
	Migrations []migrationJSON `json:"migrations"`
}

type migrateStep struct {
	Version   int64   `json:"version"`
	Name      string  `json:"name"`
	Direction string  `json:"direction"`
	Seconds   float64 `json:"seconds"`
}

type migrationJSON struct {
	Version   int64   `json:"version"`
	Name      string  `json:"name"`
	Applied   bool    `json:"applied"`
	AppliedAt *string `json:"applied_at"`
}

func toMigrateJSON(r *store.MigrateResult) migrateJSON {
	out := migrateJSON{Command: r.Command, Schema: r.Schema, Version: r.Version,
		Steps: []migrateStep{}, Migrations: []migrationJSON{}}
	for _, s := range r.Steps {
		out.Steps = append(out.Steps, migrateStep{s.Version, s.Name, s.Direction, s.Duration.Seconds()})
	}
	for _, m := range r.Status {
		mj := migrationJSON{Version: m.Version, Name: m.Name, Applied: m.Applied}
		if m.Applied {
			at := m.AppliedAt.UTC().Format(time.RFC3339)
			mj.AppliedAt = &at
		}
		out.Migrations = append(out.Migrations, mj)
	}
	return out
}

// writeMigrateText writes a migrate command's result for a terminal: one
// line per step, then for status one line per migration, then the version.
func writeMigrateText(w io.Writer, r *store.MigrateResult) error {
	var b strings.Builder
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "%-4s %s (%s)\n", s.Direction, s.Name, s.Duration.Round(time.Microsecond))
	}
	if r.Command == "status" {
		for _, s := range r.Status {
			at := "pending"
			if s.Applied {
				at = s.AppliedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(&b, "%-25s %s\n", at, s.Name)
		}
	}
	if r.Command == "up" && len(r.Steps) == 0 {
		b.WriteString("no migrations to apply\n")
	}
	fmt.Fprintf(&b, "schema %s at version %d\n", r.Schema, r.Version)
	_, err := io.WriteString(w, b.String())
	return err
}
