package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Server is the HTTP server with the timeouts a public-facing service needs
// and a shutdown that lets in-flight requests finish.
type Server struct {
	srv      *http.Server
	listener net.Listener
	log      *slog.Logger
	// DrainDelay is how long to keep serving after readiness turns 503, so a
	// load balancer notices before connections close.
	DrainDelay time.Duration
	// ShutdownTimeout bounds how long in-flight requests may take to finish.
	ShutdownTimeout time.Duration
	readiness       *Readiness
}

// Listen binds addr at once, so a port already in use is reported before
// anything else starts.
func Listen(addr string, h http.Handler, log *slog.Logger, readiness *Readiness) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (set ECRM_ADDR to another address)", addr, err)
	}
	return &Server{
		listener: ln,
		log:      log,
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		ShutdownTimeout: 30 * time.Second,
		readiness:       readiness,
	}, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Serve serves until ctx is cancelled, then drains and shuts down
// gracefully: no new connections are accepted, in-flight requests finish
// (up to ShutdownTimeout), idle keep-alive connections are closed.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.listener) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "drain_delay", s.DrainDelay, "timeout", s.ShutdownTimeout)
	if s.readiness != nil {
		s.readiness.Drain()
	}
	if s.DrainDelay > 0 {
		time.Sleep(s.DrainDelay)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.ShutdownTimeout)
	defer cancel()
	if err := s.srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.log.Info("stopped")
	return nil
}
