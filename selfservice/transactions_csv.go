package selfservice

import (
	"net/http"
	"strconv"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/sheet"
)

// MaxCSVTransactions bounds one download; more asks for a shorter period.
const MaxCSVTransactions = 10_000

// downloadTransactions sends the transactions the account page's filter
// selects (payee, period) as CSV, newest first, through internal/sheet:
// amounts as plain decimals with a point, dates as YYYY-MM-DD, so any
// program reads them; the header row is in the client's language.
func (h *Handler) downloadTransactions(w http.ResponseWriter, r *http.Request, clientID int64) error {
	accountID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	account, all, err := h.allTransactions(r, clientID, accountID, TransactionFilter{Counterparty: q.Get("counterparty"), From: q.Get("from"), To: q.Get("to")})
	if err != nil {
		return err
	}
	l := i18n.FromContext(r.Context())
	name := "transactions-" + strconv.FormatInt(account.ID, 10) + "-" + h.svc.now().In(h.svc.zone).Format("2006-01-02") + ".csv"
	hdr := w.Header()
	hdr.Set("Content-Type", "text/csv; charset=utf-8")
	hdr.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	hdr.Set("Cache-Control", "no-store")
	out := sheet.NewCSV(w)
	header := []string{"booked_at", "value_date", "amount", "currency", "kind", "counterparty", "counterparty_iban", "description", "channel"}
	for i, c := range header {
		header[i] = l.T("portal.account.csv." + c)
	}
	if err := out.Row(header...); err != nil {
		return err
	}
	for _, t := range all {
		if err := out.Row(t.BookedAt.In(h.svc.zone).Format("2006-01-02 15:04"), t.ValueDate.Time.Format("2006-01-02"),
			t.Amount.Amount, t.Amount.Currency, l.T("portal.transaction_kind."+t.Kind), t.Counterparty, t.CounterpartyIBAN,
			t.Description, t.Channel); err != nil {
			return err
		}
	}
	return out.Close()
}

// allTransactions reads every page of an account's transactions the filter
// keeps (newest first), refusing more than MaxCSVTransactions.
func (h *Handler) allTransactions(r *http.Request, clientID, accountID int64, f TransactionFilter) (Account, []Transaction, error) {
	f.Limit = MaxPageSize
	var all []Transaction
	var account Account
	for {
		page, err := h.svc.AccountTransactions(r.Context(), clientID, accountID, f, false)
		if err != nil {
			return Account{}, nil, err
		}
		account = page.Account
		all = append(all, page.Transactions...)
		if len(all) > MaxCSVTransactions {
			return Account{}, nil, ecrm.FieldErrorf("from", "%s", i18n.FromContext(r.Context()).T("portal.account.error.too_many", MaxCSVTransactions))
		}
		if page.NextCursor == "" {
			return account, all, nil
		}
		f.Before = page.NextCursor
	}
}
