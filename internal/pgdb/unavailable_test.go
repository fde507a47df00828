package pgdb_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/internal/pgtest"
)

func TestIsUnavailable(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)

	t.Run("ServerRefusesConnections", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		_, err = pgx.Connect(ctx, "postgres://postgres@"+addr+"/postgres?sslmode=disable&connect_timeout=2")
		if err == nil || !pgdb.IsUnavailable(err) {
			t.Errorf("connect to a closed port: IsUnavailable(%v) = false", err)
		}
	})
	t.Run("ConnectionTerminatedByTheServer", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, pool.Config().ConnConfig.ConnString())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		// As a shutdown does: the server ends the backend (57P01).
		if _, err := pool.Exec(ctx, "SELECT pg_terminate_backend($1)", conn.PgConn().PID()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		_, err = conn.Exec(ctx, "SELECT 1")
		if err == nil || !pgdb.IsUnavailable(err) {
			t.Errorf("statement on a terminated connection: IsUnavailable(%v) = false", err)
		}
		_, err = conn.Exec(ctx, "SELECT 1")
		if err == nil || !pgdb.IsUnavailable(err) {
			t.Errorf("statement on the closed connection: IsUnavailable(%v) = false", err)
		}
	})
	t.Run("NotOutages", func(t *testing.T) {
		_, syntaxErr := pool.Exec(ctx, "SELEC 1")
		_, divisionErr := pool.Exec(ctx, "SELECT 1/0")
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		_, cancelErr := pool.Exec(cancelled, "SELECT 1")
		short, cancel2 := context.WithTimeout(ctx, time.Millisecond)
		defer cancel2()
		_, deadlineErr := pool.Exec(short, "SELECT pg_sleep(1)")
		for name, err := range map[string]error{"syntax": syntaxErr, "division by zero": divisionErr, "cancelled": cancelErr,
			"deadline": deadlineErr, "plain": errors.New("boom"), "nil": nil} {
			if pgdb.IsUnavailable(err) {
				t.Errorf("%s: IsUnavailable(%v) = true", name, err)
			}
		}
	})
}
