package selfservice

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ExportFormat names the layout of the personal-data download, so that a
// program reading old downloads can tell them apart from new ones.
const ExportFormat = "ecrm.personal-data.v1"

// Export returns everything ecrm holds about the client as one JSON
// document (the right of access and to data portability): the client
// record, relationships, login identities (issuer and subject only),
// accounts and their transactions, positions with their instruments,
// insurance policies, instalments, premium payments and claims, credit
// lines and their payment history, interactions, the consent history,
// profile changes and portal actions, every offer decision about her (shown
// or blocked, with its reasons, checks and inputs) and her answers, her
// requests for review with the advisor's answers, her risk assessments and
// objections, her credit score as stored, her messages with the bank
// (attachments by name) and the documents sent to her (GDPR article 15). It records the download as a portal action.
//
// Rows are written as PostgreSQL stores them (column names as keys,
// timestamps in RFC 3339). Decimal values (amounts, rates, prices,
// quantities) are written as strings with all their stored digits
// ("1234.50"), like every amount in the API; whole numbers (ids, counts)
// stay numbers.
func (s *Service) Export(ctx context.Context, clientID int64) ([]byte, error) {
	var doc []byte
	err := s.pool.QueryRow(ctx, exportSQL, clientID).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound()
	}
	if err != nil {
		return nil, fmt.Errorf("export data of client %d: %w", clientID, err)
	}
	out, err := exportDocument(doc, s.now())
	if err != nil {
		return nil, fmt.Errorf("export data of client %d: %w", clientID, err)
	}
	if err := s.RecordAction(ctx, clientID, ActionDataExport, ""); err != nil {
		return nil, err
	}
	return out, nil
}

// exportDocument adds the format and time of the export to the document
// PostgreSQL built and writes decimals as strings.
func exportDocument(raw []byte, at time.Time) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var data map[string]any
	if err := dec.Decode(&data); err != nil {
		return nil, err
	}
	doc := map[string]any{
		"format":      ExportFormat,
		"exported_at": at.UTC().Format(time.RFC3339),
	}
	for k, v := range data {
		doc[k] = quoteDecimals(v)
	}
	return json.MarshalIndent(doc, "", "  ")
}

// quoteDecimals replaces every JSON number with a fraction or exponent by
// a string of the same digits, so that no reader parses an amount as a
// binary float.
func quoteDecimals(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = quoteDecimals(e)
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = quoteDecimals(e)
		}
		return v
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") {
			return string(v)
		}
		return v
	}
	return v
}
