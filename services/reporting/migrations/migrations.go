// Package migrations would hold the reporting service's own tables. It has none: every table
// of the service is a read model, created and rebuilt by its projection (internal/adapters/
// postgres), and plans and submissions live in the log. FS is nil until a table that cannot be
// rebuilt from the log is needed.
package migrations

import "io/fs"

// FS holds goose .sql migrations at its root; nil means none.
var FS fs.FS
