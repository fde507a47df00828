package insurance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/pipeline"
	"github.com/ecrm-project/ecrm/servicedesk"
)

// Claims (issue 16, item 5). The client reports an insured event from the
// portal — what happened, when, where, an estimate, files — and gets a
// claim number at once; the claim opens a deal in the 'claims' pipeline,
// whose stage follows the claim's status, so the handler (the client's
// advisor, or the service team) has a task with a deadline at every step.
// Every change of status is validated against the status machine
// (claimMoves), kept in the history, and e-mailed to the client through
// the outbox in the same transaction: a status the client is told of is a
// status that was stored, and the other way round.
//
// Every read and write of the client's is filtered by her id in SQL;
// staff see the claims of the clients they serve (their advisor, the
// deal's owner) and administrators every claim.

// The statuses of a claim, as the client is told them.
const (
	ClaimReceived  = "received"
	ClaimInReview  = "in_review"
	ClaimMoreInfo  = "more_info_needed"
	ClaimApproved  = "approved"
	ClaimPaid      = "paid"
	ClaimRejected  = "rejected"
	claimsPipeline = "claims"
)

// ClaimStatuses in the order a claim goes through them.
var ClaimStatuses = []string{ClaimReceived, ClaimInReview, ClaimMoreInfo, ClaimApproved, ClaimPaid, ClaimRejected}

// claimMoves is the status machine: where a claim may go from each
// status. A claim is reviewed before it is decided, approved before it is
// paid; paid and rejected are final.
var claimMoves = map[string][]string{
	ClaimReceived: {ClaimInReview, ClaimMoreInfo, ClaimRejected},
	ClaimInReview: {ClaimMoreInfo, ClaimApproved, ClaimRejected},
	ClaimMoreInfo: {ClaimInReview, ClaimRejected},
	ClaimApproved: {ClaimPaid},
}

// CanMove reports whether a claim may go from one status to another.
func CanMove(from, to string) bool { return slices.Contains(claimMoves[from], to) }

// NextStatuses are the statuses a claim may go to from status.
func NextStatuses(status string) []string { return claimMoves[status] }

// claimStages is the claims pipeline's stage for each status.
var claimStages = map[string]string{
	ClaimReceived: "reported", ClaimInReview: "assessment", ClaimMoreInfo: "information",
	ClaimApproved: "decision", ClaimPaid: "paid", ClaimRejected: "rejected",
}

// claimOpen reports whether the client may still add files to a claim.
func claimOpen(status string) bool {
	return status == ClaimReceived || status == ClaimInReview || status == ClaimMoreInfo
}

// Limits of what a claim's texts may hold.
const (
	MaxClaimDescription = 2000
	MaxClaimPlace       = 200
	MaxClaimMessage     = 5000
	MaxClaimReason      = 500
)

// DefaultClaimFileLimits: up to five files per claim, 5 MiB each, PDF,
// JPEG or PNG — a photo of the damage, an invoice, a police report —
// none of which runs anything when opened. The type is sniffed from the
// content, not taken from the name.
func DefaultClaimFileLimits() servicedesk.AttachmentLimits {
	return servicedesk.AttachmentLimits{MaxBytes: 5 << 20, MaxFiles: 5, Types: []servicedesk.FileType{
		{ContentType: "application/pdf", Label: "PDF"}, {ContentType: "image/jpeg", Label: "JPEG"}, {ContentType: "image/png", Label: "PNG"},
	}}
}

// Claims reads and writes claims.
type Claims struct {
	pool    *pgxpool.Pool
	deals   *pipeline.Store
	mail    *outbox.Outbox
	zone    *time.Location
	baseURL string
	limits  servicedesk.AttachmentLimits
	now     func() time.Time
}

// NewClaims returns the claims service: deals opened in deals, e-mail
// through mail (nil: none written), dates in zone, links in e-mails
// starting with baseURL.
func NewClaims(pool *pgxpool.Pool, deals *pipeline.Store, mail *outbox.Outbox, zone *time.Location, baseURL string) *Claims {
	if zone == nil {
		zone = time.UTC
	}
	return &Claims{pool: pool, deals: deals, mail: mail, zone: zone, baseURL: baseURL, limits: DefaultClaimFileLimits(), now: time.Now}
}

// SetClock replaces the clock (tests).
func (c *Claims) SetClock(now func() time.Time) {
	c.now = now
	if c.deals != nil {
		c.deals.SetClock(now)
	}
}

// Limits are the attachment limits, for forms' hints.
func (c *Claims) Limits() servicedesk.AttachmentLimits { return c.limits }

// Zone is the firm's time zone.
func (c *Claims) Zone() *time.Location { return c.zone }

// today is the firm's calendar day now, as a UTC midnight.
func (c *Claims) today() time.Time {
	y, m, d := c.now().In(c.zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Claim is a claim as lists and pages show it.
type Claim struct {
	ID              int64
	Reference       string
	PolicyID        int64
	PolicyNumber    string
	Line            string
	Insurer         string
	ClientID        int64
	ClientName      string
	IncidentOn      time.Time
	Place           string
	Description     string
	Currency        string
	Claimed         *decimal.Decimal
	Approved        *decimal.Decimal
	Paid            *decimal.Decimal
	Status          string
	RejectionReason string
	ReportedAt      time.Time
	UpdatedAt       time.Time
	DealID          int64
	// DueAt is the deadline of the deal's first open task: when the
	// handler must have done the next step.
	DueAt      *time.Time
	SumInsured decimal.Decimal
}

func money(d *decimal.Decimal, currency string) *ecrm.Money {
	if d == nil {
		return nil
	}
	return &ecrm.Money{Amount: *d, Currency: currency}
}

// ClaimedMoney, ApprovedMoney and PaidMoney are the amounts with their
// currency (nil when not set).
func (k Claim) ClaimedMoney() *ecrm.Money  { return money(k.Claimed, k.Currency) }
func (k Claim) ApprovedMoney() *ecrm.Money { return money(k.Approved, k.Currency) }
func (k Claim) PaidMoney() *ecrm.Money     { return money(k.Paid, k.Currency) }

// Final reports whether the claim is settled (paid or rejected).
func (k Claim) Final() bool { return k.Status == ClaimPaid || k.Status == ClaimRejected }

// Overdue reports whether the handler's deadline has passed at now.
func (k Claim) Overdue(now time.Time) bool { return k.DueAt != nil && k.DueAt.Before(now) }

// ClaimChange is one line of a claim's history.
type ClaimChange struct {
	Currency  string
	From      string
	To        string
	StaffName string
	Amount    *decimal.Decimal
	Note      string
	At        time.Time
}

// AmountMoney is the amount the change decided, with its currency.
func (h ClaimChange) AmountMoney() *ecrm.Money { return money(h.Amount, h.Currency) }

// ClaimMessage is a message on a claim, with the files it came with.
type ClaimMessage struct {
	ID        int64
	Author    string // client or staff
	StaffName string
	Body      string
	CreatedAt time.Time
}

// ClaimFile is a file of a claim, without its content.
type ClaimFile struct {
	ID          int64
	MessageID   int64
	Author      string
	Name        string
	ContentType string
	Size        int64
	CreatedAt   time.Time
}

// ClaimDetail is a claim with its history, messages and files.
type ClaimDetail struct {
	Claim
	History  []ClaimChange
	Messages []ClaimMessage
	Files    []ClaimFile
}

// FilesOf lists the files that came with message id (0: with the report).
func (d *ClaimDetail) FilesOf(id int64) []ClaimFile {
	var out []ClaimFile
	for _, f := range d.Files {
		if f.MessageID == id {
			out = append(out, f)
		}
	}
	return out
}

// FilesLeft is how many more files the claim may take.
func (d *ClaimDetail) FilesLeft(limit int) int { return max(0, limit-len(d.Files)) }

const claimColumns = `k.id, k.reference, k.policy_id, p.policy_number, p.line, p.insurer, k.client_id,
	c.given_name || ' ' || c.family_name, k.incident_on, coalesce(k.place, ''), k.description, k.currency::text,
	k.claimed_amount, k.approved_amount, k.paid_amount, k.status, coalesce(k.rejection_reason, ''),
	k.reported_at, k.updated_at, coalesce(k.deal_id, 0),
	(SELECT min(t.due_at) FROM tasks t WHERE t.deal_id = k.deal_id AND t.status = 'open'), p.sum_insured`

const claimFrom = ` FROM claims k JOIN insurance_policies p ON p.id = k.policy_id JOIN clients c ON c.id = k.client_id
	LEFT JOIN deals d ON d.id = k.deal_id`

// staffClaimScope limits claims k (clients c, deals d) to the viewer ($1
// staff, $2 administrator): the client's advisor, the deal's owner, or an
// administrator.
const staffClaimScope = `($2::boolean OR c.advisor_id = $1 OR d.owner_staff_id = $1)`

func scanClaim(row pgx.Row) (Claim, error) {
	var k Claim
	err := row.Scan(&k.ID, &k.Reference, &k.PolicyID, &k.PolicyNumber, &k.Line, &k.Insurer, &k.ClientID, &k.ClientName,
		&k.IncidentOn, &k.Place, &k.Description, &k.Currency, &k.Claimed, &k.Approved, &k.Paid, &k.Status, &k.RejectionReason,
		&k.ReportedAt, &k.UpdatedAt, &k.DealID, &k.DueAt, &k.SumInsured)
	return k, err
}

func (c *Claims) list(ctx context.Context, where, order string, args ...any) ([]Claim, error) {
	rows, err := c.pool.Query(ctx, `SELECT `+claimColumns+claimFrom+` WHERE `+where+` ORDER BY `+order+` LIMIT 500`, args...)
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Claim, error) { return scanClaim(r) })
}

// ErrClaimNotFound: no such claim for the reader (another client's claim is
// not found either).
var ErrClaimNotFound = ecrm.Errorf(ecrm.ENOTFOUND, "insurance.claim.error.not_found")

// errPolicyNotFound: no such policy of the client.
var errPolicyNotFound = ecrm.Errorf(ecrm.ENOTFOUND, "insurance.claim.error.policy_not_found")

func (c *Claims) detail(ctx context.Context, where string, args ...any) (*ClaimDetail, error) {
	k, err := scanClaim(c.pool.QueryRow(ctx, `SELECT `+claimColumns+claimFrom+` WHERE `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrClaimNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	d := &ClaimDetail{Claim: k}
	rows, err := c.pool.Query(ctx, `SELECT coalesce(h.from_status, ''), h.to_status, coalesce(s.display_name, ''), h.amount, coalesce(h.note, ''), h.at
		FROM claim_status_history h LEFT JOIN staff_users s ON s.id = h.staff_id WHERE h.claim_id = $1 ORDER BY h.at, h.id`, k.ID)
	if err != nil {
		return nil, err
	}
	if d.History, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClaimChange, error) {
		h := ClaimChange{Currency: k.Currency}
		return h, r.Scan(&h.From, &h.To, &h.StaffName, &h.Amount, &h.Note, &h.At)
	}); err != nil {
		return nil, fmt.Errorf("history of claim %d: %w", k.ID, err)
	}
	if len(d.History) == 0 {
		// A claim loaded without its history (the demo data's) reads as
		// reported, then as it stands since its last change.
		d.History = append(d.History, ClaimChange{Currency: k.Currency, To: ClaimReceived, Amount: k.Claimed, At: k.ReportedAt})
		if k.Status != ClaimReceived {
			d.History = append(d.History, ClaimChange{Currency: k.Currency, From: ClaimReceived, To: k.Status, At: k.UpdatedAt})
		}
	}
	rows, err = c.pool.Query(ctx, `SELECT m.id, m.author, coalesce(s.display_name, ''), m.body, m.created_at
		FROM claim_messages m LEFT JOIN staff_users s ON s.id = m.staff_id WHERE m.claim_id = $1 ORDER BY m.created_at, m.id`, k.ID)
	if err != nil {
		return nil, err
	}
	if d.Messages, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClaimMessage, error) {
		var m ClaimMessage
		return m, r.Scan(&m.ID, &m.Author, &m.StaffName, &m.Body, &m.CreatedAt)
	}); err != nil {
		return nil, fmt.Errorf("messages of claim %d: %w", k.ID, err)
	}
	rows, err = c.pool.Query(ctx, `SELECT id, coalesce(message_id, 0), author, file_name, content_type, size, created_at
		FROM claim_attachments WHERE claim_id = $1 ORDER BY id`, k.ID)
	if err != nil {
		return nil, err
	}
	if d.Files, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClaimFile, error) {
		var f ClaimFile
		return f, r.Scan(&f.ID, &f.MessageID, &f.Author, &f.Name, &f.ContentType, &f.Size, &f.CreatedAt)
	}); err != nil {
		return nil, fmt.Errorf("files of claim %d: %w", k.ID, err)
	}
	return d, nil
}

// ClientClaims lists the client's claims, the latest reported first.
func (c *Claims) ClientClaims(ctx context.Context, clientID int64) ([]Claim, error) {
	return c.list(ctx, `k.client_id = $1`, `k.reported_at DESC, k.id DESC`, clientID)
}

// ClientClaim returns the client's claim by its reference.
func (c *Claims) ClientClaim(ctx context.Context, clientID int64, reference string) (*ClaimDetail, error) {
	return c.detail(ctx, `k.client_id = $1 AND k.reference = $2`, clientID, strings.TrimSpace(reference))
}

// ClaimPolicy is a policy a claim is reported on, as the form shows it.
type ClaimPolicy struct {
	ID         int64
	Number     string
	Line       string
	Insurer    string
	Status     string
	StartsOn   time.Time
	EndsOn     time.Time
	SumInsured decimal.Decimal
	Currency   string
}

// SumInsuredMoney is the sum insured with its currency.
func (p ClaimPolicy) SumInsuredMoney() ecrm.Money {
	return ecrm.Money{Amount: p.SumInsured, Currency: p.Currency}
}

// ClientPolicy returns the client's policy a claim may be reported on (a
// quote is not a policy yet).
func (c *Claims) ClientPolicy(ctx context.Context, clientID, policyID int64) (*ClaimPolicy, error) {
	return c.policy(ctx, c.pool, clientID, policyID)
}

// ClientPolicies lists the client's policies a claim may be reported on:
// in force, or ended within the last year (a loss is often reported after
// the cover ends), the latest first.
func (c *Claims) ClientPolicies(ctx context.Context, clientID int64) ([]ClaimPolicy, error) {
	rows, err := c.pool.Query(ctx, `SELECT id, policy_number, line, insurer, status, starts_on, ends_on, sum_insured, currency::text
		FROM insurance_policies WHERE client_id = $1 AND status <> 'quoted' AND starts_on <= $2 AND ends_on >= $2 - 365
		ORDER BY ends_on DESC, id LIMIT 50`, clientID, c.today())
	if err != nil {
		return nil, fmt.Errorf("policies of client %d: %w", clientID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClaimPolicy, error) {
		var p ClaimPolicy
		return p, r.Scan(&p.ID, &p.Number, &p.Line, &p.Insurer, &p.Status, &p.StartsOn, &p.EndsOn, &p.SumInsured, &p.Currency)
	})
}

func (c *Claims) policy(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, clientID, policyID int64) (*ClaimPolicy, error) {
	var p ClaimPolicy
	err := q.QueryRow(ctx, `SELECT id, policy_number, line, insurer, status, starts_on, ends_on, sum_insured, currency::text
		FROM insurance_policies WHERE id = $1 AND client_id = $2 AND status <> 'quoted'`, policyID, clientID).
		Scan(&p.ID, &p.Number, &p.Line, &p.Insurer, &p.Status, &p.StartsOn, &p.EndsOn, &p.SumInsured, &p.Currency)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errPolicyNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("policy %d of client %d: %w", policyID, clientID, err)
	}
	return &p, nil
}

// NewClaim is the client's first notice of loss.
type NewClaim struct {
	PolicyID    int64
	Description string // what happened
	IncidentOn  string // when, YYYY-MM-DD
	Place       string // where
	Amount      string // the estimate, decimal text in the policy's currency
	Files       []servicedesk.Upload
	// IdempotencyKey makes a repeated submission report one claim.
	IdempotencyKey string
}

// claimFieldOrder is the order of the form's fields, in which problems
// are listed.
var claimFieldOrder = []string{"policy_id", "description", "incident_on", "place", "to", "amount", "message", "body", "attachments", "key"}

// claimProblem is one thing wrong with a claim's input: the field, the
// catalogue key of the message and its arguments (sizes, amounts, dates,
// shown in the reader's language by TranslateClaimError).
type claimProblem struct {
	Field string
	Key   string
	Args  []any
}

// Argument kinds a problem's message formats in the reader's language.
type (
	fileSize int64
	dateArg  time.Time
)

// ClaimInputError is the EINVALID error of a claim's input; its messages
// state the limit broken (TranslateClaimError says them).
type ClaimInputError struct{ Problems []claimProblem }

func (e *ClaimInputError) Error() string {
	var parts []string
	for _, p := range e.Problems {
		parts = append(parts, p.Field+": "+p.Key)
	}
	return "invalid claim input: " + strings.Join(parts, "; ")
}

// Unwrap is the application error with catalogue keys.
func (e *ClaimInputError) Unwrap() error {
	out := &ecrm.Error{Code: ecrm.EINVALID, Message: "insurance.claim.error.invalid"}
	for _, p := range e.Problems {
		out.Fields = append(out.Fields, ecrm.FieldError{Field: p.Field, Message: p.Key})
	}
	if len(out.Fields) == 1 {
		out.Field = out.Fields[0].Field
	}
	return out
}

func claimInvalid(problems []claimProblem) error {
	if len(problems) == 0 {
		return nil
	}
	slices.SortStableFunc(problems, func(a, b claimProblem) int {
		return slices.Index(claimFieldOrder, a.Field) - slices.Index(claimFieldOrder, b.Field)
	})
	return &ClaimInputError{Problems: problems}
}

// checkText adds a problem when s is empty (if required) or too long.
func checkText(problems *[]claimProblem, field, s string, required bool, maxLen int) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		*problems = append(*problems, claimProblem{Field: field, Key: "insurance.claim.error.required_" + field})
	case utf8.RuneCountInString(s) > maxLen:
		*problems = append(*problems, claimProblem{Field: field, Key: "insurance.claim.error.too_long", Args: []any{maxLen}})
	case ecrm.CheckText(s) != nil:
		*problems = append(*problems, claimProblem{Field: field, Key: "insurance.claim.error.characters"})
	}
}

// checkedFile is a file that passed the limits.
type checkedFile struct {
	Name, ContentType, SHA256 string
	Data                      []byte
}

// parseAmount reads a positive amount in currency; problems name field.
func parseAmount(problems *[]claimProblem, field, s, currency string) *decimal.Decimal {
	d, err := ecrm.ParseDecimal(strings.TrimSpace(s))
	units, _ := ecrm.CurrencyMinorUnits(currency)
	switch {
	case strings.TrimSpace(s) == "":
		*problems = append(*problems, claimProblem{Field: field, Key: "insurance.claim.error.amount_required"})
	case err != nil:
		*problems = append(*problems, claimProblem{Field: field, Key: "insurance.claim.error.amount"})
	case !d.IsPositive():
		*problems = append(*problems, claimProblem{Field: field, Key: "insurance.claim.error.amount_positive"})
	case !d.Equal(d.Truncate(units)):
		*problems = append(*problems, claimProblem{Field: field, Key: "insurance.claim.error.amount_places", Args: []any{int(units), currency}})
	default:
		return &d
	}
	return nil
}

// Report records the client's first notice of loss on her policy: the
// claim with its reference, its first status, its files, a deal in the
// claims pipeline with its task and deadline, and the e-mail telling her
// — in one transaction. A repeated IdempotencyKey returns the claim it
// reported. Problems name the field and state the limit broken.
func (c *Claims) Report(ctx context.Context, clientID int64, in NewClaim) (string, error) {
	if in.IdempotencyKey != "" {
		if ref, ok, err := c.byKey(ctx, clientID, in.IdempotencyKey); err != nil || ok {
			return ref, err
		}
	}
	pol, err := c.ClientPolicy(ctx, clientID, in.PolicyID)
	if err != nil {
		return "", err
	}
	var problems []claimProblem
	checkText(&problems, "description", in.Description, true, MaxClaimDescription)
	checkText(&problems, "place", in.Place, true, MaxClaimPlace)
	var incident time.Time
	if s := strings.TrimSpace(in.IncidentOn); s == "" {
		problems = append(problems, claimProblem{Field: "incident_on", Key: "insurance.claim.error.incident_on_required"})
	} else if d, err := time.Parse(time.DateOnly, s); err != nil {
		problems = append(problems, claimProblem{Field: "incident_on", Key: "insurance.claim.error.date"})
	} else if d.After(c.today()) {
		problems = append(problems, claimProblem{Field: "incident_on", Key: "insurance.claim.error.date_future"})
	} else if d.Before(pol.StartsOn) || d.After(pol.EndsOn) {
		problems = append(problems, claimProblem{Field: "incident_on", Key: "insurance.claim.error.date_term",
			Args: []any{dateArg(pol.StartsOn), dateArg(pol.EndsOn)}})
	} else {
		incident = d
	}
	amount := parseAmount(&problems, "amount", in.Amount, pol.Currency)
	if amount != nil && amount.GreaterThan(pol.SumInsured) {
		problems = append(problems, claimProblem{Field: "amount", Key: "insurance.claim.error.amount_sum_insured",
			Args: []any{ecrm.Money{Amount: pol.SumInsured, Currency: pol.Currency}}})
	}
	files, fileProblems := c.checkFiles(in.Files, 0)
	if err := claimInvalid(append(problems, fileProblems...)); err != nil {
		return "", err
	}
	var ref string
	err = pgdb.Transact(ctx, c.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		now := c.now()
		var id int64
		if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('claims', 'id'))`).Scan(&id); err != nil {
			return err
		}
		// The reference people read out: year reported and a number
		// unique by construction (the seed's claims are numbered alike).
		ref = fmt.Sprintf("CLM-%d-%08d", now.In(c.zone).Year(), id)
		var key *string
		if in.IdempotencyKey != "" {
			key = &in.IdempotencyKey
		}
		if _, err := tx.Exec(ctx, `INSERT INTO claims (id, policy_id, client_id, reference, incident_on, reported_at, description, place,
				claimed_amount, currency, status, updated_at, idempotency_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'received', $6, $11)`,
			id, pol.ID, clientID, ref, incident, now, strings.TrimSpace(in.Description), strings.TrimSpace(in.Place), amount, pol.Currency, key); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO claim_status_history (claim_id, to_status, amount, at) VALUES ($1, 'received', $2, $3)`, id, amount, now); err != nil {
			return err
		}
		if err := c.addFiles(ctx, tx, id, 0, "client", files); err != nil {
			return err
		}
		// The deal: the client's advisor, else the service team, handles
		// it. A firm with neither still records the claim; the first
		// member of staff to move it opens the deal.
		owner, err := pipeline.ClientOwnerTx(ctx, tx, clientID)
		if err != nil && !errors.Is(err, pipeline.ErrNoOwner) {
			return err
		}
		if owner != 0 {
			if err := c.openDeal(ctx, tx, id, ref, pol.Line, clientID, owner, *amount, pol.Currency); err != nil {
				return err
			}
		}
		return c.tellClient(ctx, tx, id, ClaimReceived)
	})
	if isUniqueViolation(err) && in.IdempotencyKey != "" {
		ref, _, err = c.byKey(ctx, clientID, in.IdempotencyKey)
		return ref, err
	}
	if err != nil {
		return "", fmt.Errorf("report a claim for client %d: %w", clientID, err)
	}
	return ref, nil
}

func (c *Claims) openDeal(ctx context.Context, tx pgx.Tx, claimID int64, ref, line string, clientID, owner int64, amount decimal.Decimal, currency string) error {
	if c.deals == nil {
		return nil
	}
	dealID, err := c.deals.CreateDealTx(ctx, tx, pipeline.DealInput{Pipeline: claimsPipeline, ClientID: clientID,
		Title: ref + " · " + line, Amount: amount.StringFixed(2), Currency: currency, Source: "web", OwnerStaffID: owner}, 0)
	if err != nil {
		return fmt.Errorf("the claim's deal: %w", err)
	}
	_, err = tx.Exec(ctx, `UPDATE claims SET deal_id = $2 WHERE id = $1`, claimID, dealID)
	return err
}

func (c *Claims) byKey(ctx context.Context, clientID int64, key string) (string, bool, error) {
	var ref string
	err := c.pool.QueryRow(ctx, `SELECT reference FROM claims WHERE client_id = $1 AND idempotency_key = $2`, clientID, key).Scan(&ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return ref, err == nil, err
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// checkFiles returns the files to store, or what is wrong with them; a
// claim holding already files may take MaxFiles − already more.
func (c *Claims) checkFiles(uploads []servicedesk.Upload, already int) ([]checkedFile, []claimProblem) {
	lim := c.limits
	if already+len(uploads) > lim.MaxFiles {
		return nil, []claimProblem{{Field: "attachments", Key: "insurance.claim.error.attachment_count", Args: []any{lim.MaxFiles, already}}}
	}
	var files []checkedFile
	var problems []claimProblem
	for _, u := range uploads {
		name := servicedesk.CleanFileName(u.Name)
		switch {
		case u.TooLarge || int64(len(u.Data)) > lim.MaxBytes:
			problems = append(problems, claimProblem{Field: "attachments", Key: "insurance.claim.error.attachment_size", Args: []any{name, fileSize(lim.MaxBytes)}})
			continue
		case len(u.Data) == 0:
			problems = append(problems, claimProblem{Field: "attachments", Key: "insurance.claim.error.attachment_empty", Args: []any{name}})
			continue
		}
		ct := servicedesk.Sniff(u.Data)
		if !slices.ContainsFunc(lim.Types, func(t servicedesk.FileType) bool { return t.ContentType == ct }) {
			problems = append(problems, claimProblem{Field: "attachments", Key: "insurance.claim.error.attachment_type", Args: []any{name, lim.TypeLabels()}})
			continue
		}
		files = append(files, checkedFile{Name: name, ContentType: ct, SHA256: servicedesk.SHA256(u.Data), Data: u.Data})
	}
	return files, problems
}

func (c *Claims) addFiles(ctx context.Context, tx pgx.Tx, claimID, messageID int64, author string, files []checkedFile) error {
	if len(files) == 0 {
		return nil
	}
	var msg *int64
	if messageID != 0 {
		msg = &messageID
	}
	rows := make([][]any, len(files))
	for i, f := range files {
		rows[i] = []any{claimID, msg, author, f.Name, f.ContentType, len(f.Data), f.SHA256, f.Data}
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"claim_attachments"},
		[]string{"claim_id", "message_id", "author", "file_name", "content_type", "size", "sha256", "content"}, pgx.CopyFromRows(rows))
	return err
}

// Write is a message on a claim, with files.
type Write struct {
	// FilesOnly adds files without a message (the API's upload).
	FilesOnly      bool
	Body           string
	Files          []servicedesk.Upload
	IdempotencyKey string
}

// ClientWrite adds the client's message (and files, while the claim is
// open) to her claim. Answering a request for more information puts the
// claim back in review: its deal returns to assessment with a fresh
// deadline, and the client is told.
func (c *Claims) ClientWrite(ctx context.Context, clientID int64, reference string, in Write) error {
	return c.write(ctx, `k.client_id = $1 AND k.reference = $2`, []any{clientID, strings.TrimSpace(reference)}, "client", pipeline.Viewer{All: true}, in)
}

func (c *Claims) write(ctx context.Context, where string, args []any, author string, v pipeline.Viewer, in Write) error {
	var problems []claimProblem
	if in.FilesOnly {
		if len(in.Files) == 0 {
			problems = append(problems, claimProblem{Field: "attachments", Key: "insurance.claim.error.attachment_none"})
		}
	} else {
		checkText(&problems, "body", in.Body, true, MaxClaimMessage)
	}
	err := pgdb.Transact(ctx, c.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		var id, dealID int64
		var status string
		var files int
		err := tx.QueryRow(ctx, `SELECT k.id, k.status, coalesce(k.deal_id, 0), (SELECT count(*) FROM claim_attachments a WHERE a.claim_id = k.id)
			FROM claims k JOIN clients c ON c.id = k.client_id LEFT JOIN deals d ON d.id = k.deal_id
			WHERE `+where+` FOR UPDATE OF k`, args...).Scan(&id, &status, &dealID, &files)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrClaimNotFound
		}
		if err != nil {
			return err
		}
		if len(in.Files) > 0 && !claimOpen(status) && author == "client" {
			problems = append(problems, claimProblem{Field: "attachments", Key: "insurance.claim.error.attachment_closed"})
		}
		checked, fileProblems := c.checkFiles(in.Files, files)
		if err := claimInvalid(append(problems, fileProblems...)); err != nil {
			return err
		}
		now := c.now()
		var staff *int64
		if author == "staff" {
			staff = &v.StaffID
		}
		var key *string
		if in.IdempotencyKey != "" {
			key = &in.IdempotencyKey
		}
		var msgID int64
		if !in.FilesOnly {
			if err := tx.QueryRow(ctx, `INSERT INTO claim_messages (claim_id, author, staff_id, body, created_at, idempotency_key)
				VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, id, author, staff, strings.TrimSpace(in.Body), now, key).Scan(&msgID); err != nil {
				return err
			}
		}
		if err := c.addFiles(ctx, tx, id, msgID, author, checked); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE claims SET updated_at = $2 WHERE id = $1`, id, now); err != nil {
			return err
		}
		if author == "client" {
			if err := c.tellStaff(ctx, tx, id); err != nil {
				return err
			}
		}
		if author == "client" && status == ClaimMoreInfo {
			return c.move(ctx, tx, id, dealID, status, ClaimInReview, nil, "", pipeline.Viewer{All: true}, now, "")
		}
		if author == "staff" {
			return c.tellClient(ctx, tx, id, "")
		}
		return nil
	})
	if isUniqueViolation(err) && in.IdempotencyKey != "" {
		return nil // the same message sent twice: the first one stands
	}
	return err
}

// ClientFile returns a file of the client's claim.
func (c *Claims) ClientFile(ctx context.Context, clientID int64, reference string, fileID int64) (*servicedesk.File, error) {
	return c.file(ctx, `k.client_id = $3`, reference, fileID, clientID)
}

func (c *Claims) file(ctx context.Context, who, reference string, fileID int64, args ...any) (*servicedesk.File, error) {
	var f servicedesk.File
	err := c.pool.QueryRow(ctx, `SELECT a.id, a.file_name, a.content_type, a.size, a.sha256, a.content
		FROM claim_attachments a JOIN claims k ON k.id = a.claim_id JOIN clients c ON c.id = k.client_id LEFT JOIN deals d ON d.id = k.deal_id
		WHERE k.reference = $1 AND a.id = $2 AND `+who, append([]any{strings.TrimSpace(reference), fileID}, args...)...).
		Scan(&f.ID, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.Data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrClaimNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("file %d of claim %s: %w", fileID, reference, err)
	}
	return &f, nil
}
