// Package migrations holds the SQL migrations of the ecrm schema, embedded in
// the binary and applied with goose (see internal/pgdb). Files are named
// NNNNN_title.sql and hold an Up and a Down section.
package migrations

import "embed"

// FS is the folder of migration files.
//
//go:embed *.sql
var FS embed.FS
