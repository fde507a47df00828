package compliance

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm"
)

// AccessFilter selects rows of the staff access log: who opened which
// client, which credit history for what purpose, who exported what.
type AccessFilter struct {
	Staff  string // staff id, or part of the name
	Client string // client id, or the start of the name
	From   string // YYYY-MM-DD in the console's zone
	To     string
	After  string
	Limit  int
}

// Access is one row of the staff access log.
type Access struct {
	ID         int64
	StaffID    int64
	StaffName  string
	ClientID   int64 // 0 for an export not about one client
	ClientName string
	Resource   string // client_360, credit_history, export
	Purpose    string // the stated purpose of a credit history view
	RequestID  string
	Detail     string // an export's filter and format, as JSON
	AccessedAt time.Time
}

// AccessPage is one page of the access log, newest first.
type AccessPage struct {
	Rows []Access
	Next string
}

// AccessLog returns one page of the staff access log, newest first.
func (c *Console) AccessLog(ctx context.Context, f AccessFilter) (*AccessPage, error) {
	q := &filterQuery{}
	var faults []ecrm.FieldError
	for _, v := range []struct{ field, value string }{{"staff", f.Staff}, {"client", f.Client}} {
		if len([]rune(v.value)) > maxTextFilter {
			faults = append(faults, ecrm.FieldError{Field: v.field, Message: "compliance.error.too_long"})
		}
	}
	faults = append(faults, matchStaff(q, "a.staff_id", f.Staff)...)
	faults = append(faults, matchClient(q, "a.client_id", f.Client)...)
	start, end, pf := period(f.From, f.To, c.loc)
	faults = append(faults, pf...)
	if !start.IsZero() {
		q.add("a.accessed_at >= ?", start)
	}
	if !end.IsZero() {
		q.add("a.accessed_at < ?", end)
	}
	if f.Limit == 0 {
		f.Limit = DefaultPageSize
	}
	if f.Limit < 1 || f.Limit > MaxPageSize {
		faults = append(faults, ecrm.FieldError{Field: "limit", Message: "compliance.error.limit_range"})
	}
	if f.After != "" {
		b, err := base64.RawURLEncoding.DecodeString(f.After)
		id, perr := strconv.ParseInt(string(b), 10, 64)
		if err != nil || perr != nil || id <= 0 {
			faults = append(faults, ecrm.FieldError{Field: "after", Message: "compliance.error.after_invalid"})
		}
		q.add("a.id < ?", id)
	}
	if len(faults) > 0 {
		return nil, invalid(faults...)
	}
	sql := `
SELECT a.id, a.staff_id, s.display_name, coalesce(a.client_id, 0), coalesce(c.given_name || ' ' || c.family_name, ''),
    a.resource, coalesce(a.purpose, ''), coalesce(a.request_id, ''), coalesce(a.detail::text, ''), a.accessed_at
FROM staff_access_log a
JOIN staff_users s ON s.id = a.staff_id
LEFT JOIN clients c ON c.id = a.client_id
WHERE ` + q.sql() + `
ORDER BY a.id DESC
LIMIT ` + strconv.Itoa(f.Limit+1)
	rows, err := c.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, fmt.Errorf("read staff access log: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Access, error) {
		var a Access
		err := row.Scan(&a.ID, &a.StaffID, &a.StaffName, &a.ClientID, &a.ClientName, &a.Resource, &a.Purpose, &a.RequestID, &a.Detail, &a.AccessedAt)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("read staff access log: %w", err)
	}
	p := &AccessPage{Rows: list}
	if len(list) > f.Limit {
		p.Rows = list[:f.Limit]
		p.Next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(p.Rows[f.Limit-1].ID, 10)))
	}
	return p, nil
}
