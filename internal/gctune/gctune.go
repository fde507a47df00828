// Package gctune holds the garbage collector setting every ecrm process
// runs with, so that benchmarks measure the setting the service uses.
package gctune

import (
	"os"
	"runtime/debug"
)

// Percent is the GOGC the service runs with. Its heap is small and mostly
// short-lived per-request garbage (a recorded offer makes about 50 KB), so
// with Go's default of 100 a collection starts every few dozen offers, and
// the request that meets one waits on a 2-core machine: that is most of an
// offer's p99. Collecting a quarter as often costs a few tens of MB of
// memory and removes most of those waits.
const Percent = 400

// Apply sets Percent unless GOGC is in the environment, which still wins.
// Benchmarks of the request path call it too.
func Apply() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(Percent)
	}
}
