// Package migrations holds the supervision service's schema migrations (goose SQL, applied by
// pkg/svc in the service's own schema). The read models are not here: they belong to the versioned
// projection (internal/adapters/postgres), which creates and rebuilds its own tables.
package migrations

import "embed"

// FS holds the migrations at its root.
//
//go:embed *.sql
var FS embed.FS
