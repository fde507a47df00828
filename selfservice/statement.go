package selfservice

import (
	"net/http"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/document"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/pipeline"
)

// SetDocuments gives the portal the PDF documents and the firm's name for
// their header.
func (h *Handler) SetDocuments(d *document.Renderer, firm string) { h.documents, h.firm = d, firm }

// downloadStatement is the account's monthly statement as a PDF, in the
// client's language: /portal/accounts/{id}/statement.pdf?month=2026-11
// (the last complete month when month is left out). Only the account's
// owner gets it (404 otherwise, as for the account page).
func (h *Handler) downloadStatement(w http.ResponseWriter, r *http.Request, clientID int64) error {
	if h.documents == nil {
		return ecrm.Errorf(ecrm.ENOTFOUND, "There is no such page.")
	}
	accountID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	l := i18n.FromContext(r.Context())
	now := h.svc.now().In(h.svc.zone)
	first := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, h.svc.zone)
	if m := r.URL.Query().Get("month"); m != "" {
		t, err := time.ParseInLocation("2006-01", m, h.svc.zone)
		if err != nil || t.After(now) || t.Year() < 2000 {
			return ecrm.FieldErrorf("month", "%s", l.T("portal.statement.error.month"))
		}
		first = t
	}
	last := first.AddDate(0, 1, -1)
	account, txs, err := h.allTransactions(r, clientID, accountID, TransactionFilter{From: first.Format(time.DateOnly), To: last.Format(time.DateOnly)})
	if err != nil {
		return err
	}
	// The closing balance is today's less what was booked after the
	// month; the opening, the closing less the month's transactions.
	after, err := h.svc.bookedSince(r.Context(), clientID, accountID, first.AddDate(0, 1, 0))
	if err != nil {
		return err
	}
	closing := account.Balance.Value().Sub(after)
	in, out := decimal.Zero, decimal.Zero
	lines := make([]document.StatementLine, len(txs))
	for i, t := range txs {
		v := t.Amount.Value()
		if v.IsPositive() {
			in = in.Add(v)
		} else {
			out = out.Add(v.Neg())
		}
		desc := t.Description
		if t.Counterparty != "" {
			desc = t.Counterparty + " · " + desc
		}
		// Oldest first, as statements read.
		lines[len(txs)-1-i] = document.StatementLine{Date: l.Date(t.BookedAt.In(h.svc.zone)), Description: desc, Amount: l.Money(t.Amount.Money())}
	}
	opening := closing.Sub(in).Add(out)
	cur := account.Balance.Currency
	money := func(d decimal.Decimal) string { return l.Money(ecrm.Money{Amount: d, Currency: cur}) }
	profile, err := h.svc.Profile(r.Context(), clientID)
	if err != nil {
		return err
	}
	doc, err := h.documents.Make("account_statement", l.Lang().String(), document.Statement{
		Firm: h.firm, ClientName: profile.GivenName + " " + profile.FamilyName, Address: profile.postalAddress(),
		Account: l.Text(account.Name), IBAN: ecrm.GroupIBAN(account.IBAN), Period: l.T("portal.statement.period", l.Date(first), l.Date(last)),
		Opening: money(opening), Closing: money(closing), In: money(in), Out: money(out), Lines: lines, Issued: l.Date(now)})
	if err != nil {
		return err
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/pdf")
	hdr.Set("Content-Disposition", `attachment; filename="statement-`+strconv.FormatInt(account.ID, 10)+"-"+first.Format("2006-01")+`.pdf"`)
	hdr.Set("Cache-Control", "no-store")
	_, err = w.Write(doc.PDF)
	return err
}

// SetDealDocuments gives the portal the documents staff send to clients.
func (h *Handler) SetDealDocuments(p *pipeline.Store) { h.deals = p }

// documentsPage is portal_documents.html: what the firm sent her.
type documentsPage struct {
	Documents []pipeline.DocumentInfo
	Zone      *time.Location
}

func (h *Handler) showDocuments(w http.ResponseWriter, r *http.Request, clientID int64) error {
	if h.deals == nil {
		return ecrm.Errorf(ecrm.ENOTFOUND, "There is no such page.")
	}
	docs, err := h.deals.ClientDocuments(r.Context(), clientID)
	if err != nil {
		return err
	}
	h.pages.Render(w, r, http.StatusOK, "portal_documents", documentsPage{Documents: docs, Zone: h.svc.zone})
	return nil
}

func (h *Handler) listDocuments(w http.ResponseWriter, r *http.Request, clientID int64) error {
	if h.deals == nil {
		return notFound()
	}
	docs, err := h.deals.ClientDocuments(r.Context(), clientID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, struct {
		Documents []pipeline.DocumentJSON `json:"documents"`
	}{pipeline.DocumentsJSON(docs, "/api/v1/me/documents/")})
	return nil
}

func (h *Handler) downloadDocument(w http.ResponseWriter, r *http.Request, clientID int64) error {
	if h.deals == nil {
		return ecrm.Errorf(ecrm.ENOTFOUND, "There is no such page.")
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	info, pdf, err := h.deals.ClientDocument(r.Context(), clientID, id)
	if err != nil {
		return err
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/pdf")
	hdr.Set("Content-Disposition", `attachment; filename="`+info.Kind+"-"+strconv.FormatInt(info.ID, 10)+`.pdf"`)
	hdr.Set("Cache-Control", "no-store")
	_, err = w.Write(pdf)
	return err
}
