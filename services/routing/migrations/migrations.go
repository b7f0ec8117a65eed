// Package migrations holds the routing service's schema migrations (goose SQL, applied by pkg/svc
// in the service's own schema). The read models are not here: they belong to versioned projections
// (internal/adapters/postgres), which create and rebuild their own tables.
package migrations

import "embed"

// FS holds the migrations at its root.
//
//go:embed *.sql
var FS embed.FS
