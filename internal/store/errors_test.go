package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/store"
)

// TestNotMigrated checks that every entry point a command calls first on
// a schema without syncd's tables fails with ErrNotMigrated, so that the
// command can say what to run, and that a migrated schema does not.
func TestNotMigrated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	calls := map[string]func(*store.Store) error{
		"StateCounts": func(s *store.Store) error { _, err := s.StateCounts(ctx); return err },
		"Status":      func(s *store.Store) error { _, err := s.Status(ctx, store.StatusQuery{}); return err },
		"Requeue":     func(s *store.Store) error { _, err := s.Requeue(ctx, store.RequeueSelector{All: true}); return err },
		"BeginBackfill": func(s *store.Store) error {
			b, err := s.BeginBackfill(ctx, "company", store.BackfillDryRun)
			if err == nil {
				b.Close()
			}
			return err
		},
	}
	empty := store.New(pgtest.New(t).Pool, store.Options{})
	migrated := store.New(pgtest.Migrated(t).Pool, store.Options{})
	for name, call := range calls {
		if err := call(empty); !errors.Is(err, store.ErrNotMigrated) {
			t.Errorf("%s on an empty schema: %v, want ErrNotMigrated", name, err)
		}
		if err := call(migrated); err != nil {
			t.Errorf("%s on a migrated schema: %v", name, err)
		}
	}
}
