package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/store"
)

// TestWriteMigrateText checks what `syncd migrate` prints for a terminal:
// a line per step, a line per migration for status, then the version.
func TestWriteMigrateText(t *testing.T) {
	t.Parallel()
	applied := time.Date(2026, 11, 27, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	tests := []struct {
		res  store.MigrateResult
		want string
	}{
		{store.MigrateResult{Command: "up", Schema: "erp_sync", Version: 2, Steps: []store.MigrationStep{
			{Version: 1, Name: "00001_a.sql", Direction: "up", Duration: 1234567 * time.Nanosecond},
			{Version: 2, Name: "00002_b.sql", Direction: "up", Duration: 2 * time.Millisecond},
		}}, "up   00001_a.sql (1.235ms)\nup   00002_b.sql (2ms)\nschema erp_sync at version 2\n"},
		{store.MigrateResult{Command: "up", Schema: "syncd", Version: 2},
			"no migrations to apply\nschema syncd at version 2\n"},
		{store.MigrateResult{Command: "status", Schema: "syncd", Version: 1, Status: []store.MigrationState{
			{Version: 1, Name: "00001_a.sql", Applied: true, AppliedAt: applied},
			{Version: 2, Name: "00002_b.sql"},
		}}, "2026-11-27T01:00:00Z      00001_a.sql\npending                   00002_b.sql\nschema syncd at version 1\n"},
		{store.MigrateResult{Command: "down", Schema: "syncd", Version: 1, Steps: []store.MigrationStep{
			{Version: 2, Name: "00002_b.sql", Direction: "down", Duration: time.Millisecond},
		}}, "down 00002_b.sql (1ms)\nschema syncd at version 1\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := writeMigrateText(&b, &tt.res); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tt.res.Command, b.String(), tt.want)
		}
	}
}
