package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/document"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// DealDocumentKinds are the documents a deal makes.
var DealDocumentKinds = []string{"offer_letter", "payment_instructions", "meeting_summary"}

// DocumentInfo is a made document without its bytes.
type DocumentInfo struct {
	ID              int64
	DealID          int64
	DealTitle       string
	Kind            string
	Language        string
	TemplateVersion int
	SHA256          string
	Size            int
	CreatedBy       string
	CreatedAt       time.Time
	SentAt          *time.Time
}

// MakeDealDocument makes a document of the deal in lang from the deal,
// its client, its owner and its open tasks, and keeps it. firm and iban
// head and fill the payment details.
func (s *Store) MakeDealDocument(ctx context.Context, r *document.Renderer, dealID int64, kind, lang, firm, iban string, v Viewer) (int64, error) {
	if !contains(DealDocumentKinds, kind) {
		return 0, invalid([]ecrm.FieldError{{Field: "kind", Message: "pipeline.error.document_kind"}})
	}
	if lang != "en" && lang != "ro" {
		return 0, invalid([]ecrm.FieldError{{Field: "language", Message: "pipeline.error.language"}})
	}
	d, err := s.Deal(ctx, dealID, v)
	if err != nil {
		return 0, err
	}
	tag, _ := i18n.ParseLanguage(lang)
	l := i18n.NewLocalizer(tag)
	var address string
	if err := s.pool.QueryRow(ctx, `SELECT concat_ws(', ', nullif(address_line1, ''), nullif(address_line2, ''), nullif(postal_code, ''), nullif(city, ''), nullif(country, ''))
		FROM clients WHERE id = $1`, d.ClientID).Scan(&address); err != nil {
		return 0, err
	}
	letter := document.Letter{Firm: firm, Date: l.Date(s.now().In(s.hours.Zone)), Reference: fmt.Sprintf("D-%d", d.ID), ClientName: d.ClientName,
		Address: address, Advisor: d.OwnerName, Title: d.Title, Product: l.Text(d.PipelineName), Stage: l.Text(d.StageName), IBAN: ecrm.GroupIBAN(iban),
		Amount: l.T("pipeline.document.no_amount")}
	if d.Amount != nil {
		letter.Amount = l.Money(*d.Amount)
	}
	for _, t := range d.Tasks {
		if t.Status == "open" {
			letter.Tasks = append(letter.Tasks, l.T("pipeline.document.task", l.Text(t.Title), l.DateTime(t.DueAt, s.hours.Zone)))
		}
	}
	doc, err := r.Make(kind, lang, letter)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.pool.QueryRow(ctx, `INSERT INTO documents (deal_id, client_id, kind, language, template_version, sha256, pdf, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, d.ID, d.ClientID, kind, lang, doc.TemplateVersion, doc.SHA256, doc.PDF, v.StaffID, s.now()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("keep document: %w", err)
	}
	return id, nil
}

const documentColumns = `doc.id, coalesce(doc.deal_id, 0), coalesce(d.title, ''), doc.kind, doc.language, doc.template_version, doc.sha256,
	length(doc.pdf), su.display_name, doc.created_at, doc.sent_at`

func scanDocument(row pgx.Row) (DocumentInfo, error) {
	var i DocumentInfo
	err := row.Scan(&i.ID, &i.DealID, &i.DealTitle, &i.Kind, &i.Language, &i.TemplateVersion, &i.SHA256, &i.Size, &i.CreatedBy, &i.CreatedAt, &i.SentAt)
	return i, err
}

// DealDocuments lists the documents of a deal the viewer sees, newest
// first.
func (s *Store) DealDocuments(ctx context.Context, dealID int64, v Viewer) ([]DocumentInfo, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+documentColumns+` FROM documents doc JOIN deals d ON d.id = doc.deal_id
		JOIN clients c ON c.id = d.client_id JOIN staff_users su ON su.id = doc.created_by
		WHERE doc.deal_id = $3 AND `+scopeSQL+` ORDER BY doc.created_at DESC, doc.id DESC`, v.StaffID, v.All, dealID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (DocumentInfo, error) { return scanDocument(r) })
}

// DealDocument returns a document's PDF for a viewer of its deal.
func (s *Store) DealDocument(ctx context.Context, id int64, v Viewer) (DocumentInfo, []byte, error) {
	var pdf []byte
	var info DocumentInfo
	err := s.pool.QueryRow(ctx, `SELECT `+documentColumns+`, doc.pdf FROM documents doc JOIN deals d ON d.id = doc.deal_id
		JOIN clients c ON c.id = d.client_id JOIN staff_users su ON su.id = doc.created_by
		WHERE doc.id = $3 AND `+scopeSQL, v.StaffID, v.All, id).Scan(&info.ID, &info.DealID, &info.DealTitle, &info.Kind, &info.Language,
		&info.TemplateVersion, &info.SHA256, &info.Size, &info.CreatedBy, &info.CreatedAt, &info.SentAt, &pdf)
	if errors.Is(err, pgx.ErrNoRows) {
		return DocumentInfo{}, nil, ecrm.Errorf(ecrm.ENOTFOUND, "There is no document %d.", id)
	}
	return info, pdf, err
}

// SendDocument makes a document visible to its client in the portal.
func (s *Store) SendDocument(ctx context.Context, id int64, v Viewer) error {
	return pgdb.Transact(ctx, s.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE documents doc SET sent_at = $4, sent_by = $1
			FROM deals d JOIN clients c ON c.id = d.client_id
			WHERE doc.id = $3 AND d.id = doc.deal_id AND doc.sent_at IS NULL AND `+scopeSQL, v.StaffID, v.All, id, s.now())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			// Sent already, or not the viewer's: the same answer as for a
			// document that does not exist, unless it was sent.
			if _, _, err := s.DealDocument(ctx, id, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// ClientDocuments lists the documents sent to a client, newest first.
func (s *Store) ClientDocuments(ctx context.Context, clientID int64) ([]DocumentInfo, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+documentColumns+` FROM documents doc LEFT JOIN deals d ON d.id = doc.deal_id
		JOIN staff_users su ON su.id = doc.created_by
		WHERE doc.client_id = $1 AND doc.sent_at IS NOT NULL ORDER BY doc.sent_at DESC, doc.id DESC LIMIT 200`, clientID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (DocumentInfo, error) { return scanDocument(r) })
}

// ClientDocument returns a sent document's PDF for its client only.
func (s *Store) ClientDocument(ctx context.Context, clientID, id int64) (DocumentInfo, []byte, error) {
	var pdf []byte
	var info DocumentInfo
	err := s.pool.QueryRow(ctx, `SELECT `+documentColumns+`, doc.pdf FROM documents doc LEFT JOIN deals d ON d.id = doc.deal_id
		JOIN staff_users su ON su.id = doc.created_by
		WHERE doc.id = $2 AND doc.client_id = $1 AND doc.sent_at IS NOT NULL`, clientID, id).Scan(&info.ID, &info.DealID, &info.DealTitle, &info.Kind,
		&info.Language, &info.TemplateVersion, &info.SHA256, &info.Size, &info.CreatedBy, &info.CreatedAt, &info.SentAt, &pdf)
	if errors.Is(err, pgx.ErrNoRows) {
		return DocumentInfo{}, nil, ecrm.Errorf(ecrm.ENOTFOUND, "There is no document %d.", id)
	}
	return info, pdf, err
}

// DocumentJSON is a kept document as the JSON API gives it (to staff and,
// once sent, to its client).
type DocumentJSON struct {
	ID              int64      `json:"id"`
	DealID          int64      `json:"deal_id,omitempty"`
	Kind            string     `json:"kind"`
	Language        string     `json:"language"`
	TemplateVersion int        `json:"template_version"`
	SHA256          string     `json:"sha256"`
	Size            int        `json:"size"`
	CreatedBy       string     `json:"created_by"`
	CreatedAt       time.Time  `json:"created_at"`
	SentAt          *time.Time `json:"sent_at"`
	// Href downloads the PDF.
	Href string `json:"href"`
}

// JSON is the document for the API; hrefPrefix is where its PDF is
// downloaded ("/api/v1/documents/" for staff, "/api/v1/me/documents/"
// for its client).
func (i DocumentInfo) JSON(hrefPrefix string) DocumentJSON {
	return DocumentJSON{ID: i.ID, DealID: i.DealID, Kind: i.Kind, Language: i.Language, TemplateVersion: i.TemplateVersion, SHA256: i.SHA256,
		Size: i.Size, CreatedBy: i.CreatedBy, CreatedAt: i.CreatedAt, SentAt: i.SentAt, Href: hrefPrefix + strconv.FormatInt(i.ID, 10)}
}

// DocumentsJSON is a list of documents for the API.
func DocumentsJSON(list []DocumentInfo, hrefPrefix string) []DocumentJSON {
	out := make([]DocumentJSON, 0, len(list))
	for _, i := range list {
		out = append(out, i.JSON(hrefPrefix))
	}
	return out
}
