package compliance

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/sheet"
)

// An export is a filtered set of decision records for a regulator, in
// CSV, Excel (.xlsx) or JSON, with every field each record's hash covers
// (so each hash can be recomputed from the file) and the chain proof of the
// exported range: the first and last exported records' prev_hash and
// hash, the chain head and the newest signed checkpoint, all read in the
// snapshot the records were read in. `ecrm audit verify` against the
// database with the firm's public key then shows that the chain those
// hashes sit in is intact and signed.
//
// Exports stream: rows go from PostgreSQL to the response one at a time
// (the .xlsx through excelize's stream writer, which spills to a temporary
// file), and an export holds at most MaxExportRows records: a larger set is
// refused with a message asking for a shorter period. Every export is
// recorded in the staff access log with its filter.

// Export formats.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
	FormatJSON = "json"
)

// MaxExportRows bounds one export.
const MaxExportRows = 100_000

// ExportColumns are the columns of the CSV and .xlsx exports and the keys
// of each JSON record, in order.
var ExportColumns = []string{"seq", "recorded_at", "recorded_local", "kind", "outcome", "refers_to", "client_id", "client_name",
	"product_id", "product_code", "product_version_id", "engine", "engine_version", "rule_version", "channel",
	"actor_kind", "actor_staff_id", "failed_checks", "body", "prev_hash", "hash"}

// ExportedRecord is one record of an export.
type ExportedRecord struct {
	Seq              int64           `json:"seq"`
	RecordedAt       time.Time       `json:"recorded_at"`
	Kind             string          `json:"kind"`
	Outcome          string          `json:"outcome"`
	RefersTo         int64           `json:"refers_to,omitempty"`
	ClientID         int64           `json:"client_id"`
	ClientName       string          `json:"client_name"`
	ProductID        int64           `json:"product_id,omitempty"`
	ProductCode      string          `json:"product_code,omitempty"`
	ProductVersionID int64           `json:"product_version_id,omitempty"`
	Engine           string          `json:"engine"`
	EngineVersion    string          `json:"engine_version"`
	RuleVersion      string          `json:"rule_version"`
	Channel          string          `json:"channel"`
	ActorKind        string          `json:"actor_kind"`
	ActorStaffID     int64           `json:"actor_staff_id,omitempty"`
	FailedChecks     []string        `json:"failed_checks,omitempty"`
	Body             json.RawMessage `json:"body"`
	PrevHash         string          `json:"prev_hash"`
	Hash             string          `json:"hash"`
}

// ChainProof ties an export to the chain.
type ChainProof struct {
	First *ProofLink `json:"first"` // nil when nothing was exported
	Last  *ProofLink `json:"last"`
	Head  ProofHead  `json:"head"`
	// Checkpoint is the newest signed checkpoint; CoversLast is true when
	// it was signed at or after the last exported record.
	Checkpoint *ProofCheckpoint `json:"checkpoint"`
}

// ProofLink is one record's place in the chain.
type ProofLink struct {
	Seq      int64  `json:"seq"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// ProofHead is the chain head when the export was read.
type ProofHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// ProofCheckpoint is a signed checkpoint.
type ProofCheckpoint struct {
	Seq        int64     `json:"seq"`
	HeadHash   string    `json:"head_hash"`
	SignedAt   time.Time `json:"signed_at"`
	KeyID      string    `json:"key_id"`
	Signature  string    `json:"signature"`
	CoversLast bool      `json:"covers_last"`
}

// Exporter is who exports, for the staff access log.
type Exporter struct {
	StaffID   int64
	RequestID string
}

var errExportTooLarge = invalid(ecrm.FieldError{Field: "from", Message: "compliance.export.error.too_many"})

// Export writes the records f selects (its paging ignored), oldest first,
// in format. open is called once the filter is checked and the set is known
// to fit, to set the response headers and return where to write; nothing is
// written before that, so a refused export can still be answered with an
// error.
func (c *Console) Export(ctx context.Context, who Exporter, f Filter, format string, open func() io.Writer) (n int64, err error) {
	switch format {
	case FormatCSV, FormatXLSX, FormatJSON:
	default:
		return 0, invalid(ecrm.FieldError{Field: "format", Message: "compliance.export.error.format_unknown"})
	}
	f.After, f.Limit = "", 0
	q, err := f.query(c.loc)
	if err != nil {
		return 0, err
	}
	tx, err := c.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	defer tx.Rollback(ctx)

	var count int64
	countSQL := `SELECT count(*) FROM (SELECT 1 FROM decision_records d WHERE ` + q.sql() + ` LIMIT ` + strconv.Itoa(MaxExportRows+1) + `) x`
	if err := tx.QueryRow(ctx, countSQL, q.args...).Scan(&count); err != nil {
		return 0, fmt.Errorf("export: count: %w", err)
	}
	if count > MaxExportRows {
		return 0, errExportTooLarge
	}
	var proof ChainProof
	var head []byte
	if err := tx.QueryRow(ctx, `SELECT seq, hash FROM decision_chain_head`).Scan(&proof.Head.Seq, &head); err != nil {
		return 0, fmt.Errorf("export: read chain head: %w", err)
	}
	proof.Head.Hash = hex.EncodeToString(head)

	// The export is in the access log before any record leaves.
	detail, _ := json.Marshal(map[string]any{"format": format, "filter": f, "records": count})
	var clientID *int64
	if id, err := strconv.ParseInt(strings.TrimSpace(f.Client), 10, 64); err == nil {
		clientID = &id
	}
	const qLog = `INSERT INTO staff_access_log (staff_id, client_id, resource, request_id, detail, accessed_at)
VALUES ($1, (SELECT id FROM clients WHERE id = $2), 'export', nullif($3, ''), $4, $5)`
	if _, err := c.pool.Exec(ctx, qLog, who.StaffID, clientID, who.RequestID, detail, c.now()); err != nil {
		return 0, fmt.Errorf("export: record in the access log: %w", err)
	}

	rowsSQL := `
SELECT d.seq, d.recorded_at, d.kind, d.outcome, coalesce(d.refers_to, 0), d.client_id, c.given_name || ' ' || c.family_name,
    coalesce(d.product_id, 0), coalesce(p.code, ''), coalesce(d.product_version_id, 0), d.engine, d.engine_version, d.rule_version,
    d.channel, d.actor_kind, coalesce(d.actor_staff_id, 0), d.body::text, d.prev_hash, d.hash
FROM decision_records d
JOIN clients c ON c.id = d.client_id
LEFT JOIN products p ON p.id = d.product_id
WHERE ` + q.sql() + `
ORDER BY d.recorded_at, d.seq
LIMIT ` + strconv.Itoa(MaxExportRows)
	rows, err := tx.Query(ctx, rowsSQL, q.args...)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	defer rows.Close()

	var out exportWriter
	switch format {
	case FormatCSV:
		out = &sheetExport{loc: c.loc, open: func(w io.Writer) sheet.Writer { return sheet.NewCSV(w) }}
	case FormatXLSX:
		out = &sheetExport{loc: c.loc, open: func(w io.Writer) sheet.Writer { return sheet.NewXLSX(w) }}
	default:
		out = &jsonExport{loc: c.loc, filter: f, exportedAt: c.now()}
	}
	w := open()
	if err := out.begin(w); err != nil {
		return 0, err
	}
	var rec ExportedRecord
	var body, prev, hash []byte
	for rows.Next() {
		if err := rows.Scan(&rec.Seq, &rec.RecordedAt, &rec.Kind, &rec.Outcome, &rec.RefersTo, &rec.ClientID, &rec.ClientName,
			&rec.ProductID, &rec.ProductCode, &rec.ProductVersionID, &rec.Engine, &rec.EngineVersion, &rec.RuleVersion,
			&rec.Channel, &rec.ActorKind, &rec.ActorStaffID, &body, &prev, &hash); err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
		rec.Body = body
		rec.PrevHash, rec.Hash = hex.EncodeToString(prev), hex.EncodeToString(hash)
		rec.FailedChecks = failedChecks(body)
		link := &ProofLink{Seq: rec.Seq, PrevHash: rec.PrevHash, Hash: rec.Hash}
		if proof.First == nil {
			proof.First = link
		}
		proof.Last = link
		if err := out.record(&rec); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	var cp ProofCheckpoint
	var cpHash, sig []byte
	err = tx.QueryRow(ctx, `SELECT seq, head_hash, signed_at, key_id, signature FROM decision_checkpoints ORDER BY seq DESC LIMIT 1`).
		Scan(&cp.Seq, &cpHash, &cp.SignedAt, &cp.KeyID, &sig)
	switch {
	case err == nil:
		cp.HeadHash, cp.Signature = hex.EncodeToString(cpHash), hex.EncodeToString(sig)
		cp.CoversLast = proof.Last == nil || cp.Seq >= proof.Last.Seq
		proof.Checkpoint = &cp
	case !errors.Is(err, pgx.ErrNoRows):
		return n, fmt.Errorf("export: read checkpoint: %w", err)
	}
	return n, out.end(&proof)
}

// failedChecks names the checks that failed in a record's body.
func failedChecks(body []byte) []string {
	var b struct {
		Checks []Check `json:"checks"`
	}
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	var failed []string
	for _, c := range b.Checks {
		if !c.Passed {
			failed = append(failed, c.Name)
		}
	}
	return failed
}

type exportWriter interface {
	begin(w io.Writer) error
	record(r *ExportedRecord) error
	end(p *ChainProof) error
}

// row is a record as the cells of a CSV or .xlsx row.
func row(r *ExportedRecord, loc *time.Location) []string {
	opt := func(v int64) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	return []string{strconv.FormatInt(r.Seq, 10), r.RecordedAt.UTC().Format(time.RFC3339Nano),
		r.RecordedAt.In(loc).Format("2006-01-02 15:04:05 -07:00"), r.Kind, r.Outcome, opt(r.RefersTo),
		strconv.FormatInt(r.ClientID, 10), r.ClientName, opt(r.ProductID), r.ProductCode, opt(r.ProductVersionID),
		r.Engine, r.EngineVersion, r.RuleVersion, r.Channel, r.ActorKind, opt(r.ActorStaffID),
		strings.Join(r.FailedChecks, " "), string(r.Body), r.PrevHash, r.Hash}
}

// proofRows are the chain proof as rows: item, seq, prev_hash or signed
// time, hash, key id, signature.
func proofRows(p *ChainProof) [][]string {
	rows := [][]string{{"proof", "seq", "prev_hash", "hash", "signed_at", "key_id", "signature", "covers_last"}}
	if p.First != nil {
		rows = append(rows, []string{"first_record", strconv.FormatInt(p.First.Seq, 10), p.First.PrevHash, p.First.Hash, "", "", "", ""},
			[]string{"last_record", strconv.FormatInt(p.Last.Seq, 10), p.Last.PrevHash, p.Last.Hash, "", "", "", ""})
	}
	rows = append(rows, []string{"chain_head", strconv.FormatInt(p.Head.Seq, 10), "", p.Head.Hash, "", "", "", ""})
	if cp := p.Checkpoint; cp != nil {
		rows = append(rows, []string{"checkpoint", strconv.FormatInt(cp.Seq, 10), "", cp.HeadHash,
			cp.SignedAt.UTC().Format(time.RFC3339Nano), cp.KeyID, cp.Signature, strconv.FormatBool(cp.CoversLast)})
	}
	return rows
}

// sheetExport writes the records, then the proof rows, through
// internal/sheet: a Records and a Proof sheet in .xlsx; in CSV the records,
// an empty line, then the proof, whose header row starts with "proof". A
// cell that starts with =, +, -, @, a tab or CR is written with a ' in
// front (sheet.Neutralize): drop it to recompute a hash.
type sheetExport struct {
	loc  *time.Location
	open func(io.Writer) sheet.Writer
	w    sheet.Writer
}

func (e *sheetExport) begin(w io.Writer) error {
	e.w = e.open(w)
	if err := e.w.Sheet("Records"); err != nil {
		return err
	}
	return e.w.Row(ExportColumns...)
}

func (e *sheetExport) record(r *ExportedRecord) error { return e.w.Row(row(r, e.loc)...) }

func (e *sheetExport) end(p *ChainProof) error {
	if err := e.w.Sheet("Proof"); err != nil {
		return err
	}
	for _, r := range proofRows(p) {
		if err := e.w.Row(r...); err != nil {
			return err
		}
	}
	return e.w.Close()
}

// jsonExport writes {"exported_at", "filter", "records": [...], "count",
// "proof"}, one record at a time.
type jsonExport struct {
	loc        *time.Location
	filter     Filter
	exportedAt time.Time
	w          io.Writer
	n          int64
}

func (e *jsonExport) begin(w io.Writer) error {
	e.w = w
	at, _ := json.Marshal(e.exportedAt.UTC())
	filter, _ := json.Marshal(e.filter)
	_, err := fmt.Fprintf(w, "{\"exported_at\": %s,\n\"filter\": %s,\n\"records\": [", at, filter)
	return err
}

func (e *jsonExport) record(r *ExportedRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	sep := ",\n"
	if e.n == 0 {
		sep = "\n"
	}
	e.n++
	if _, err := io.WriteString(e.w, sep); err != nil {
		return err
	}
	_, err = e.w.Write(b)
	return err
}

func (e *jsonExport) end(p *ChainProof) error {
	proof, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.w, "],\n\"count\": %d,\n\"proof\": %s}\n", e.n, proof)
	return err
}
