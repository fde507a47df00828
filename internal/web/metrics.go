package web

import (
	"net/http"
	"runtime/debug"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the HTTP metrics and the registry they live in. It is built
// in main and passed down; nothing registers at import time.
type Metrics struct {
	Registry *prometheus.Registry
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// NewMetrics creates a registry with Go runtime, process, build and HTTP
// metrics.
func NewMetrics(version string) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "ecrm",
			Name:      "http_request_duration_seconds",
			Help:      "Time to serve HTTP requests, by route pattern, method and status.",
			Buckets:   []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "ecrm",
			Name:      "http_requests_in_flight",
			Help:      "HTTP requests being served now.",
		}),
	}
	revision, goVersion := "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace:   "ecrm",
		Name:        "build_info",
		Help:        "Build of the running ecrm binary; the value is always 1.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": goVersion},
	})
	buildInfo.Set(1)
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.duration, m.inFlight, buildInfo,
	)
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// RegisterPool exports the pgx pool's statistics.
func (m *Metrics) RegisterPool(pool *pgxpool.Pool) {
	c := &poolCollector{pool: pool, descs: map[string]*prometheus.Desc{}}
	for _, n := range poolStats {
		c.descs[n.name] = prometheus.NewDesc("ecrm_pgxpool_"+n.name, n.help, nil, nil)
	}
	m.Registry.MustRegister(c)
}

// poolCollector reads pgxpool.Stat at scrape time.
type poolCollector struct {
	pool  *pgxpool.Pool
	descs map[string]*prometheus.Desc
}

var poolStats = []struct{ name, help string }{
	{"acquired_conns", "Connections currently in use."},
	{"idle_conns", "Idle connections in the pool."},
	{"total_conns", "All connections in the pool."},
	{"max_conns", "Maximum size of the pool."},
	{"acquire_count_total", "Successful acquires from the pool."},
	{"empty_acquire_count_total", "Acquires that had to wait for a connection."},
	{"canceled_acquire_count_total", "Acquires canceled by their context."},
	{"acquire_duration_seconds_total", "Time spent acquiring connections."},
	{"new_conns_count_total", "Connections opened."},
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	gauge := func(name string, v float64) {
		ch <- prometheus.MustNewConstMetric(c.descs[name], prometheus.GaugeValue, v)
	}
	counter := func(name string, v float64) {
		ch <- prometheus.MustNewConstMetric(c.descs[name], prometheus.CounterValue, v)
	}
	gauge("acquired_conns", float64(s.AcquiredConns()))
	gauge("idle_conns", float64(s.IdleConns()))
	gauge("total_conns", float64(s.TotalConns()))
	gauge("max_conns", float64(s.MaxConns()))
	counter("acquire_count_total", float64(s.AcquireCount()))
	counter("empty_acquire_count_total", float64(s.EmptyAcquireCount()))
	counter("canceled_acquire_count_total", float64(s.CanceledAcquireCount()))
	counter("acquire_duration_seconds_total", s.AcquireDuration().Seconds())
	counter("new_conns_count_total", float64(s.NewConnsCount()))
}
