package insurance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// ClaimViewer is the member of staff working claims: an advisor works the
// claims of the clients she serves (and the deals she owns), an
// administrator every claim.
type ClaimViewer struct {
	StaffID int64
	Admin   bool
}

func (v ClaimViewer) deals() pipeline.Viewer {
	return pipeline.Viewer{StaffID: v.StaffID, All: v.Admin}
}

// Queue filters.
const (
	ClaimQueueOpen = ""    // not yet paid or rejected
	ClaimQueueAll  = "all" // every claim
)

// Queue lists the claims the viewer works: open ones by the nearest
// deadline (claims without a deal last, oldest first); with "all", the
// settled ones too, latest first.
func (c *Claims) Queue(ctx context.Context, v ClaimViewer, filter string) ([]Claim, error) {
	switch filter {
	case ClaimQueueOpen:
		return c.list(ctx, staffClaimScope+` AND k.status NOT IN ('paid', 'rejected')`,
			`(SELECT min(t.due_at) FROM tasks t WHERE t.deal_id = k.deal_id AND t.status = 'open') NULLS LAST, k.reported_at, k.id`, v.StaffID, v.Admin)
	case ClaimQueueAll:
		return c.list(ctx, staffClaimScope, `k.reported_at DESC, k.id DESC`, v.StaffID, v.Admin)
	}
	return nil, claimInvalid([]claimProblem{{Field: "status", Key: "insurance.claim.error.filter"}})
}

// ClientClaimsFor lists a client's claims the viewer may see (the
// client's 360).
func (c *Claims) ClientClaimsFor(ctx context.Context, v ClaimViewer, clientID int64) ([]Claim, error) {
	return c.list(ctx, staffClaimScope+` AND k.client_id = $3`, `k.reported_at DESC, k.id DESC`, v.StaffID, v.Admin, clientID)
}

// StaffClaim returns a claim the viewer may see.
func (c *Claims) StaffClaim(ctx context.Context, v ClaimViewer, reference string) (*ClaimDetail, error) {
	return c.detail(ctx, staffClaimScope+` AND k.reference = $3`, v.StaffID, v.Admin, strings.TrimSpace(reference))
}

// StaffFile returns a file of a claim the viewer may see.
func (c *Claims) StaffFile(ctx context.Context, v ClaimViewer, reference string, fileID int64) (*servicedesk.File, error) {
	return c.file(ctx, `($4::boolean OR c.advisor_id = $3 OR d.owner_staff_id = $3)`, reference, fileID, v.StaffID, v.Admin)
}

// StaffWrite adds the viewer's message (and files) to a claim; the client
// is told by e-mail that there is a message.
func (c *Claims) StaffWrite(ctx context.Context, v ClaimViewer, reference string, in Write) error {
	return c.write(ctx, staffClaimScope+` AND k.reference = $3`, []any{v.StaffID, v.Admin, strings.TrimSpace(reference)}, "staff", v.deals(), in)
}

// Decision is a member of staff's change of a claim's status.
type Decision struct {
	To string
	// Amount: approved (approved) or paid (paid), decimal text in the
	// claim's currency.
	Amount string
	// AboveClaimed approves more than the client claimed, knowingly (a
	// loss found larger than estimated); never more than the sum insured.
	AboveClaimed bool
	// Message is what the client reads: required when asking for more
	// information, the reason when rejecting, optional otherwise.
	Message        string
	IdempotencyKey string
}

// Decide moves the claim to d.To, if the status machine allows it from
// where it is: an approval states an amount (no more than claimed unless
// AboveClaimed, never more than the sum insured), a payment the amount
// paid (no more than approved), a request for information the question,
// a rejection its reason. The history, the deal's stage (and its tasks),
// the message and the e-mail to the client are written in one
// transaction; the same form sent twice (IdempotencyKey) moves the claim
// once.
func (c *Claims) Decide(ctx context.Context, v ClaimViewer, reference string, d Decision) error {
	return pgdb.Transact(ctx, c.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		var id, dealID int64
		var status, currency string
		var claimed, approved *decimal.Decimal
		var sumInsured decimal.Decimal
		err := tx.QueryRow(ctx, `SELECT k.id, k.status, coalesce(k.deal_id, 0), k.currency::text, k.claimed_amount, k.approved_amount, p.sum_insured
			FROM claims k JOIN clients c ON c.id = k.client_id JOIN insurance_policies p ON p.id = k.policy_id LEFT JOIN deals d ON d.id = k.deal_id
			WHERE `+staffClaimScope+` AND k.reference = $3 FOR UPDATE OF k`, v.StaffID, v.Admin, strings.TrimSpace(reference)).
			Scan(&id, &status, &dealID, &currency, &claimed, &approved, &sumInsured)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrClaimNotFound
		}
		if err != nil {
			return err
		}
		if d.IdempotencyKey != "" {
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM claim_status_history WHERE claim_id = $1 AND idempotency_key = $2)`, id, d.IdempotencyKey).Scan(&done); err != nil {
				return err
			}
			if done {
				return nil // the same decision sent twice: the first one stands
			}
		}
		var problems []claimProblem
		if !CanMove(status, d.To) {
			if !contains(ClaimStatuses, d.To) {
				return claimInvalid([]claimProblem{{Field: "to", Key: "insurance.claim.error.status"}})
			}
			return claimInvalid([]claimProblem{{Field: "to", Key: "insurance.claim.error.move", Args: []any{statusArg(status), statusArg(d.To)}}})
		}
		var amount *decimal.Decimal
		switch d.To {
		case ClaimApproved:
			amount = parseAmount(&problems, "amount", d.Amount, currency)
			switch {
			case amount == nil:
			case amount.GreaterThan(sumInsured):
				problems = append(problems, claimProblem{Field: "amount", Key: "insurance.claim.error.amount_sum_insured", Args: []any{ecrm.Money{Amount: sumInsured, Currency: currency}}})
			case claimed != nil && amount.GreaterThan(*claimed) && !d.AboveClaimed:
				problems = append(problems, claimProblem{Field: "amount", Key: "insurance.claim.error.amount_claimed", Args: []any{ecrm.Money{Amount: *claimed, Currency: currency}}})
			}
			checkText(&problems, "message", d.Message, false, MaxClaimMessage)
		case ClaimPaid:
			amount = parseAmount(&problems, "amount", d.Amount, currency)
			if amount != nil && approved != nil && amount.GreaterThan(*approved) {
				problems = append(problems, claimProblem{Field: "amount", Key: "insurance.claim.error.amount_approved", Args: []any{ecrm.Money{Amount: *approved, Currency: currency}}})
			}
			checkText(&problems, "message", d.Message, false, MaxClaimMessage)
		case ClaimMoreInfo:
			checkText(&problems, "message", d.Message, true, MaxClaimMessage)
		case ClaimRejected:
			checkText(&problems, "message", d.Message, true, MaxClaimReason)
		default:
			checkText(&problems, "message", d.Message, false, MaxClaimMessage)
		}
		if err := claimInvalid(problems); err != nil {
			return err
		}
		now := c.now()
		msg := strings.TrimSpace(d.Message)
		if msg != "" && d.To != ClaimRejected {
			if _, err := tx.Exec(ctx, `INSERT INTO claim_messages (claim_id, author, staff_id, body, created_at) VALUES ($1, 'staff', $2, $3, $4)`,
				id, v.StaffID, msg, now); err != nil {
				return err
			}
		}
		if dealID == 0 && c.deals != nil {
			// A claim reported before ecrm handled claims (or when no one
			// could own it) gets its deal from whoever first moves it.
			var clientID int64
			var ref, line string
			if err := tx.QueryRow(ctx, `SELECT k.client_id, k.reference, p.line FROM claims k JOIN insurance_policies p ON p.id = k.policy_id WHERE k.id = $1`, id).
				Scan(&clientID, &ref, &line); err != nil {
				return err
			}
			dealAmount := decimal.New(1, 0)
			if claimed != nil && claimed.IsPositive() {
				dealAmount = *claimed
			}
			if err := c.openDeal(ctx, tx, id, ref, line, clientID, v.StaffID, dealAmount, currency); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `SELECT deal_id FROM claims WHERE id = $1`, id).Scan(&dealID); err != nil {
				return err
			}
		}
		return c.move(ctx, tx, id, dealID, status, d.To, amount, msg, v.deals(), now, d.IdempotencyKey)
	})
}

// move changes the claim's status in tx: the claim, its history, its
// deal's stage (the tasks of the stage left are done: the change is their
// work) and the e-mail to the client.
func (c *Claims) move(ctx context.Context, tx pgx.Tx, id, dealID int64, from, to string, amount *decimal.Decimal, note string, v pipeline.Viewer, now time.Time, key string) error {
	set := `status = $2, updated_at = $3`
	args := []any{id, to, now}
	switch to {
	case ClaimApproved:
		set += `, approved_amount = $4`
		args = append(args, amount)
	case ClaimPaid:
		set += `, paid_amount = $4`
		args = append(args, amount)
	case ClaimRejected:
		set += `, rejection_reason = $4`
		args = append(args, note)
	}
	if _, err := tx.Exec(ctx, `UPDATE claims SET `+set+` WHERE id = $1`, args...); err != nil {
		return err
	}
	var k *string
	if key != "" {
		k = &key
	}
	var staffID *int64
	if v.StaffID != 0 {
		staffID = &v.StaffID
	}
	var n *string
	if note != "" {
		n = &note
	}
	if _, err := tx.Exec(ctx, `INSERT INTO claim_status_history (claim_id, from_status, to_status, staff_id, amount, note, at, idempotency_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, from, to, staffID, amount, n, now, k); err != nil {
		return err
	}
	if dealID != 0 && c.deals != nil {
		if err := c.deals.CompleteDealTasksTx(ctx, tx, dealID, v.StaffID); err != nil {
			return err
		}
		reason := ""
		if to == ClaimRejected {
			reason = note
		}
		// The claim's deal is the claim's: whoever may move the claim
		// moves its deal.
		if err := c.deals.MoveDealTx(ctx, tx, dealID, claimStages[to], reason, pipeline.Viewer{StaffID: v.StaffID, All: true}); err != nil {
			return fmt.Errorf("the claim's deal to %s: %w", claimStages[to], err)
		}
	}
	return c.tellClient(ctx, tx, id, to)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// statusArg is a status named in a message, in the reader's language.
type statusArg string

// tellClient writes the e-mail telling the client of her claim's new
// status (status "": a message from the handler), in her language, in tx.
// The e-mail says what changed and where to read more; the messages stay
// behind the login. A client without an address is told in the portal
// only.
func (c *Claims) tellClient(ctx context.Context, tx pgx.Tx, claimID int64, status string) error {
	if c.mail == nil {
		return nil
	}
	var clientID int64
	var email *string
	var given, family, lang, ref string
	err := tx.QueryRow(ctx, `SELECT c.id, c.email, c.given_name, c.family_name, c.preferred_language, k.reference
		FROM claims k JOIN clients c ON c.id = k.client_id WHERE k.id = $1`, claimID).Scan(&clientID, &email, &given, &family, &lang, &ref)
	if err != nil {
		return fmt.Errorf("client to tell of claim %d: %w", claimID, err)
	}
	if email == nil || *email == "" {
		return nil
	}
	tag, _ := i18n.ParseLanguage(lang)
	l := i18n.NewLocalizer(tag)
	link := fmt.Sprintf("%s/portal/claims/%s", c.baseURL, ref)
	subject, body := l.T("insurance.claim.mail.message.subject", ref), l.T("insurance.claim.mail.message.body", given, ref, link)
	if status != "" {
		subject = l.T("insurance.claim.mail.status.subject", ref, l.T("insurance.claim.status."+status))
		body = l.T("insurance.claim.mail.status.body", given, ref, l.T("insurance.claim.status."+status), l.T("insurance.claim.mail.next."+status), link)
	}
	_, err = c.mail.Enqueue(ctx, tx, outbox.Message{Kind: outbox.Transactional, To: *email, ToName: given + " " + family, ClientID: clientID,
		Language: l.Lang().String(), Subject: subject, Body: body})
	return err
}

// tellStaff writes the e-mail telling whoever handles the claim — its
// deal's owner, else the client's advisor — that the client has written,
// in their language, in tx. The message stays behind the login.
func (c *Claims) tellStaff(ctx context.Context, tx pgx.Tx, claimID int64) error {
	if c.mail == nil {
		return nil
	}
	var staffID int64
	var email, name, lang, ref, client string
	err := tx.QueryRow(ctx, `SELECT s.id, s.email, s.display_name, s.language, k.reference, c.given_name || ' ' || c.family_name
		FROM claims k JOIN clients c ON c.id = k.client_id LEFT JOIN deals d ON d.id = k.deal_id
		JOIN staff_users s ON s.id = coalesce(d.owner_staff_id, c.advisor_id)
		WHERE k.id = $1 AND s.active`, claimID).Scan(&staffID, &email, &name, &lang, &ref, &client)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // no one handles it yet: the queue shows it to administrators
	}
	if err != nil {
		return fmt.Errorf("staff to tell of claim %d: %w", claimID, err)
	}
	tag, _ := i18n.ParseLanguage(lang)
	l := i18n.NewLocalizer(tag)
	_, err = c.mail.Enqueue(ctx, tx, outbox.Message{Kind: outbox.Transactional, To: email, ToName: name, StaffID: staffID,
		Language: l.Lang().String(), Subject: l.T("insurance.claim.mail.staff.subject", ref, client),
		Body: l.T("insurance.claim.mail.staff.body", name, client, ref, fmt.Sprintf("%s/console/claims/%s", c.baseURL, ref))})
	return err
}

// TranslateClaimError says a claim's input problems in l's language, with
// the limits they broke; any other error is returned as it is.
func TranslateClaimError(l *i18n.Localizer, err error) error {
	var in *ClaimInputError
	if !errors.As(err, &in) {
		var appErr *ecrm.Error
		if errors.As(err, &appErr) && strings.HasPrefix(appErr.Message, "insurance.claim.") {
			t := *appErr
			t.Message = l.T(appErr.Message)
			return &t
		}
		return err
	}
	out := &ecrm.Error{Code: ecrm.EINVALID, Message: l.T("insurance.claim.error.invalid")}
	for _, p := range in.Problems {
		args := make([]any, len(p.Args))
		for i, a := range p.Args {
			switch a := a.(type) {
			case fileSize:
				args[i] = l.FileSize(int64(a))
			case dateArg:
				args[i] = l.Date(time.Time(a))
			case ecrm.Money:
				args[i] = l.Money(a)
			case statusArg:
				args[i] = l.T("insurance.claim.status." + string(a))
			default:
				args[i] = a
			}
		}
		out.Fields = append(out.Fields, ecrm.FieldError{Field: p.Field, Message: l.T(p.Key, args...)})
	}
	if len(out.Fields) == 1 {
		out.Field = out.Fields[0].Field
		out.Message = out.Fields[0].Message
	}
	return out
}
