// Package migrations holds syncd's database schema as goose SQL files,
// embedded into the binary. The files use unqualified names: the runner
// (store.Migrate) creates the target schema and sets search_path to it, so
// one set of files serves any schema name.
package migrations

import "embed"

// FS holds every migration file, named NNNNN_description.sql.
//
//go:embed *.sql
var FS embed.FS
