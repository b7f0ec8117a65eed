// Package migrations holds intake's own tables, which are not read models: goose SQL files applied
// by the service host (pkg/migrate) in the intake schema before the projections start. Read models
// are created by their projections (pkg/projection), which rebuild them from the log.
package migrations

import "embed"

// FS holds the migrations, goose .sql files at its root.
//
//go:embed *.sql
var FS embed.FS
