package demodata

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
)

// Rows reach PostgreSQL through COPY ... FROM STDIN in the binary format
// (https://www.postgresql.org/docs/15/sql-copy.html#id-1.9.3.55.9.4): the
// server spends its time storing rows instead of parsing dates, timestamps
// and numerics from text (measured here: about 20 % more rows per second
// than text COPY, and the server is the bottleneck). The writer below
// encodes exactly the column types the schema uses, straight into a byte
// buffer, without interface values or allocations per row.

const (
	chunkSize    = 512 << 10 // bytes handed to the connection at a time
	chunksInAir  = 4         // chunks generated ahead of the server
	textArrayOID = 25        // element type of text[] in binary arrays
)

var (
	copySignature = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	be            = binary.BigEndian
	errCopyAbort  = errors.New("copy aborted by the server")
)

// rowWriter appends rows in binary COPY format. Once the consumer has gone
// (the server reported an error), err is set and further rows are dropped;
// generators check err once per household so they stop promptly.
type rowWriter struct {
	buf   []byte
	flush func(chunk []byte) ([]byte, error)
	rows  int64
	err   error
}

// row starts a row of n columns.
func (w *rowWriter) row(n int) {
	if len(w.buf) >= chunkSize && w.err == nil {
		w.buf, w.err = w.flush(w.buf)
	}
	if w.err != nil {
		w.buf = w.buf[:0]
	}
	w.rows++
	w.buf = be.AppendUint16(w.buf, uint16(n))
}

func (w *rowWriter) null() { w.buf = be.AppendUint32(w.buf, 0xffffffff) }

func (w *rowWriter) int8(v int64) {
	w.buf = be.AppendUint32(w.buf, 8)
	w.buf = be.AppendUint64(w.buf, uint64(v))
}

// int8OrNull writes v, or NULL when v is zero (ids start at 1).
func (w *rowWriter) int8OrNull(v int64) {
	if v == 0 {
		w.null()
		return
	}
	w.int8(v)
}

func (w *rowWriter) int4(v int32) {
	w.buf = be.AppendUint32(w.buf, 4)
	w.buf = be.AppendUint32(w.buf, uint32(v))
}

func (w *rowWriter) int2(v int16) {
	w.buf = be.AppendUint32(w.buf, 2)
	w.buf = be.AppendUint16(w.buf, uint16(v))
}

func (w *rowWriter) bool(v bool) {
	w.buf = be.AppendUint32(w.buf, 1)
	if v {
		w.buf = append(w.buf, 1)
	} else {
		w.buf = append(w.buf, 0)
	}
}

// text writes a text, varchar or char(n) value (they share one binary form).
func (w *rowWriter) text(s string) {
	w.buf = be.AppendUint32(w.buf, uint32(len(s)))
	w.buf = append(w.buf, s...)
}

func (w *rowWriter) textOrNull(s string) {
	if s == "" {
		w.null()
		return
	}
	w.text(s)
}

func (w *rowWriter) bytes(b []byte) {
	w.buf = be.AppendUint32(w.buf, uint32(len(b)))
	w.buf = append(w.buf, b...)
}

// beginText starts a text value whose bytes the caller appends to w.buf;
// endText writes its length. It lets descriptions be composed in place.
func (w *rowWriter) beginText() int {
	w.buf = append(w.buf, 0, 0, 0, 0)
	return len(w.buf)
}

func (w *rowWriter) endText(start int) {
	be.PutUint32(w.buf[start-4:], uint32(len(w.buf)-start))
}

func (w *rowWriter) date(d day) {
	w.buf = be.AppendUint32(w.buf, 4)
	w.buf = be.AppendUint32(w.buf, uint32(int32(d)))
}

func (w *rowWriter) dateOrNull(d day, valid bool) {
	if !valid {
		w.null()
		return
	}
	w.date(d)
}

func (w *rowWriter) timestamptz(t instant) {
	w.buf = be.AppendUint32(w.buf, 8)
	w.buf = be.AppendUint64(w.buf, uint64(t))
}

// money writes minor units (cents) as numeric with two decimal places.
func (w *rowWriter) money(cents int64) { w.numeric(cents, 2) }

// numeric writes v·10^-scale as a PostgreSQL numeric: base-10000 digits
// with a weight (position of the first digit group) and a display scale.
// scale is 0, 2, 4 or 6 here.
func (w *rowWriter) numeric(v int64, scale int) {
	var sign uint16
	if v < 0 {
		sign, v = 0x4000, -v
	}
	pow := int64(1)
	for range scale {
		pow *= 10
	}
	whole, frac := v/pow, v%pow
	var digits [12]uint16
	n := 0
	var intGroups [6]uint16
	k := 0
	for x := whole; x > 0; x /= 10000 {
		intGroups[k] = uint16(x % 10000)
		k++
	}
	for i := k - 1; i >= 0; i-- {
		digits[n] = intGroups[i]
		n++
	}
	weight := k - 1
	if scale > 0 && frac > 0 {
		// Left-align the fraction on 4-digit groups: 0.5 at scale 2 is 50
		// hundredths = 5000 ten-thousandths.
		fracGroups := (scale + 3) / 4
		for range fracGroups*4 - scale {
			frac *= 10
		}
		var fg [2]uint16
		for i := fracGroups - 1; i >= 0; i-- {
			fg[i] = uint16(frac % 10000)
			frac /= 10000
		}
		if k == 0 {
			weight = -1
		}
		for i := range fracGroups {
			digits[n] = fg[i]
			n++
		}
	}
	if n == 0 {
		weight = 0
	}
	w.buf = be.AppendUint32(w.buf, uint32(8+2*n))
	w.buf = be.AppendUint16(w.buf, uint16(n))
	w.buf = be.AppendUint16(w.buf, uint16(int16(weight)))
	w.buf = be.AppendUint16(w.buf, sign)
	w.buf = be.AppendUint16(w.buf, uint16(scale))
	for _, d := range digits[:n] {
		w.buf = be.AppendUint16(w.buf, d)
	}
}

func (w *rowWriter) numericOrNull(v int64, scale int, valid bool) {
	if !valid {
		w.null()
		return
	}
	w.numeric(v, scale)
}

// textArray writes a one-dimensional text[] without NULL elements.
func (w *rowWriter) textArray(xs []string) {
	size := 20
	for _, x := range xs {
		size += 4 + len(x)
	}
	w.buf = be.AppendUint32(w.buf, uint32(size))
	w.buf = be.AppendUint32(w.buf, 1) // dimensions
	w.buf = be.AppendUint32(w.buf, 0) // has NULLs
	w.buf = be.AppendUint32(w.buf, textArrayOID)
	w.buf = be.AppendUint32(w.buf, uint32(len(xs)))
	w.buf = be.AppendUint32(w.buf, 1) // lower bound
	for _, x := range xs {
		w.text(x)
	}
}

// copyStream is the io.Reader pgconn's CopyFrom pulls from. A producer
// goroutine fills chunks while the server stores the previous ones, so
// generation (one core) and PostgreSQL (the other) overlap.
type copyStream struct {
	filled chan []byte
	free   chan []byte
	done   chan struct{}
	cur    []byte
	off    int
	err    error // the producer's error, valid once filled is closed
}

func (s *copyStream) Read(p []byte) (int, error) {
	for s.off >= len(s.cur) {
		if s.cur != nil {
			s.free <- s.cur[:0]
			s.cur = nil
		}
		chunk, ok := <-s.filled
		if !ok {
			if s.err != nil {
				return 0, s.err
			}
			return 0, io.EOF
		}
		s.cur, s.off = chunk, 0
	}
	n := copy(p, s.cur[s.off:])
	s.off += n
	return n, nil
}

// copyRows streams the rows that fill writes into table with COPY FREEZE.
// FREEZE is allowed because Seed truncates every loaded table in the same
// transaction; it writes the rows already frozen and marks the pages
// all-visible, so the first queries and VACUUM do not rewrite ~10 GB.
func copyRows(ctx context.Context, conn *pgconn.PgConn, table string, columns []string, fill func(w *rowWriter) error) (int64, error) {
	s := &copyStream{
		filled: make(chan []byte, chunksInAir),
		free:   make(chan []byte, chunksInAir+2),
		done:   make(chan struct{}),
	}
	for range chunksInAir + 2 {
		s.free <- make([]byte, 0, chunkSize+64<<10)
	}
	send := func(chunk []byte) ([]byte, error) {
		select {
		case s.filled <- chunk:
		case <-s.done:
			return chunk[:0], errCopyAbort
		}
		select {
		case next := <-s.free:
			return next, nil
		case <-s.done:
			return chunk[:0], errCopyAbort
		}
	}
	var wg sync.WaitGroup
	var produced int64
	wg.Go(func() {
		defer close(s.filled)
		w := &rowWriter{buf: <-s.free, flush: send}
		w.buf = append(w.buf, copySignature...)
		err := fill(w)
		if err == nil {
			err = w.err
		}
		if err == nil {
			w.buf = be.AppendUint16(w.buf, 0xffff) // trailer
			_, err = send(w.buf)
		}
		produced = w.rows
		s.err = err
	})
	sql := fmt.Sprintf("COPY %s (%s) FROM STDIN (FORMAT binary, FREEZE)", table, strings.Join(columns, ", "))
	tag, err := conn.CopyFrom(ctx, s, sql)
	close(s.done)
	// Unblock a producer waiting for a free buffer, then wait for it.
	go func() {
		for range s.filled {
		}
	}()
	wg.Wait()
	if err != nil {
		if s.err != nil && !errors.Is(s.err, errCopyAbort) {
			return 0, fmt.Errorf("copy %s: %w", table, s.err)
		}
		return 0, fmt.Errorf("copy %s: %w", table, err)
	}
	if tag.RowsAffected() != produced {
		return 0, fmt.Errorf("copy %s: server stored %d rows, generator wrote %d", table, tag.RowsAffected(), produced)
	}
	return tag.RowsAffected(), nil
}

// jsonb writes a jsonb value in binary format: version 1, then the text.
func (w *rowWriter) jsonb(text []byte) {
	w.buf = be.AppendUint32(w.buf, uint32(len(text)+1))
	w.buf = append(w.buf, 1)
	w.buf = append(w.buf, text...)
}
