package sheet_test

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecrm-project/ecrm/internal/sheet"
)

// countingWriter counts what the workbook writes, as a response would
// send it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// peakHeap samples the live heap every millisecond until stop is called
// and returns the largest sample.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var m runtime.MemStats
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// vmHWM is the process's peak resident set (VmHWM), in bytes; 0 where
// /proc is not there.
func vmHWM() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// BenchmarkXLSX100k streams an .xlsx of 100,000 rows of twelve cells (a
// decision record export's shape: numbers, times, codes, a name with
// diacritics and a sentence) through sheet.XLSX to a writer that only
// counts, and reports the live heap's peak (sampled every millisecond),
// the process's peak resident set and the bytes allocated per workbook.
// Target (issue 13): within 200 MiB. Run it alone (-run '^$' -bench
// XLSX100k) so that the resident set is the export's.
func BenchmarkXLSX100k(b *testing.B) {
	const rows = 100_000
	b.ReportAllocs()
	var peak uint64
	var size int64
	for b.Loop() {
		runtime.GC()
		stop := peakHeap()
		out := &countingWriter{}
		x := sheet.NewXLSX(out)
		if err := x.Sheet("Records"); err != nil {
			b.Fatal(err)
		}
		if err := x.Row("seq", "recorded_at", "client_id", "client", "product", "engine", "channel", "outcome", "score", "amount", "currency", "reason"); err != nil {
			b.Fatal(err)
		}
		for i := range rows {
			n := strconv.Itoa(i)
			if err := x.Row(n, "2026-11-26T10:00:00.123456Z", strconv.Itoa(1+i%100000), "Ștefania Țurcanu-"+n, "DEP-12M", "products.matching",
				"web", "shown", "0."+strconv.Itoa(1000+i%9000), strconv.Itoa(i%50000)+".25", "RON",
				"Your income supports this loan and the instalment stays under 40% of it."); err != nil {
				b.Fatal(err)
			}
		}
		if err := x.Close(); err != nil {
			b.Fatal(err)
		}
		peak = max(peak, stop())
		size = out.n
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(vmHWM())/(1<<20), "peak-rss-MiB")
	b.ReportMetric(float64(size)/(1<<20), "xlsx-MiB")
}
