// Package scripts holds the tests of the shell scripts beside it:
// with-postgres (how `make run` and `make test` find or start PostgreSQL)
// and apt-install (Debian packages, waiting for apt's lock). It has no code
// of its own.
package scripts
