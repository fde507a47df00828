package crosssell

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/pgdb"
	"github.com/ecrm-project/ecrm/products"
)

// Campaigns (issue 14, item 6; docs/campaigns.md): one product offered on
// one channel (e-mail through the outbox, or the portal's offer list) to
// an audience, with a random control group held out. Every treatment
// recipient's offer goes through the compliance gate and is recorded;
// control recipients are offered nothing, so that the report can compare
// the two groups' conversion with one outcome definition and say what the
// campaign changed (uplift against control), with its uncertainty.

// CampaignEngine and CampaignVersion name campaigns in decision records;
// change the version whenever the pricing or the outcome rules change.
const (
	CampaignEngine  = "crosssell.campaign"
	CampaignVersion = "campaign-1"
)

// Channels of a campaign.
const (
	ChannelEmail  = "email"
	ChannelPortal = "portal"
)

// Statuses of a campaign.
const (
	CampaignDraft   = "draft"
	CampaignRunning = "running"
	CampaignDone    = "done"
)

// DefaultControlPercent is the control share when none is given: 10 % is
// the usual hold-out of a direct-marketing test, large enough to measure a
// difference of a few points on a few thousand clients.
var DefaultControlPercent = decimal.NewFromInt(10)

// maxControlPercent: a campaign reaches at least half its audience.
var maxControlPercent = decimal.NewFromInt(50)

// Segments are the client segments an audience may name (clients.segment).
var Segments = []string{"mass", "emerging_affluent", "affluent", "private", "prospect"}

// LifeStages are the life stages an audience may name (ecrm.LifeStage).
var LifeStages = []string{ecrm.LifeStageStartingOut, ecrm.LifeStageSingle, ecrm.LifeStageCouple, ecrm.LifeStageFamily,
	ecrm.LifeStagePreRetirement, ecrm.LifeStageRetired, ecrm.LifeStageUnknown}

// Audience is who a campaign is for: every condition set must hold; none
// set is every client (of the advisor's book, for an advisor).
type Audience struct {
	Segment   string `json:"segment,omitempty"`
	LifeStage string `json:"life_stage,omitempty"`
	// AgeBand is one of AgeBands (age on the day the run starts).
	AgeBand string `json:"age_band,omitempty"`
	// AdvisorID limits the audience to one advisor's book.
	AdvisorID int64 `json:"advisor_id,omitempty"`
}

// CampaignInput is a campaign as staff write it.
type CampaignInput struct {
	Name string
	// Product is the product's code.
	Product string
	Channel string
	// ControlPercent is the share held out, 0 to 50 (nil: 10).
	ControlPercent *decimal.Decimal
	// Seed makes the control assignment reproducible (nil: a random one).
	Seed *int64
	Audience
}

// Campaign is a stored campaign.
type Campaign struct {
	ID          int64
	Name        string
	ProductID   int64
	ProductCode string
	ProductName ecrm.Text
	Channel     string
	Audience    Audience
	// ControlShare is the share held out (0.100 for 10 %).
	ControlShare decimal.Decimal
	Seed         int64
	Status       string
	CreatedBy    int64
	CreatedAt    time.Time
	LaunchedBy   *int64
	LaunchedAt   *time.Time
	FinishedAt   *time.Time
}

// CampaignStaff is who works with campaigns: an advisor (Book) creates,
// launches and reads campaigns for her own book only; an administrator
// for any audience; compliance reads them (the console decides who may
// write).
type CampaignStaff struct {
	StaffID int64
	Book    bool
}

// Campaigns stores campaigns, runs them and reports on them.
type Campaigns struct {
	pool    *pgxpool.Pool
	arbiter *Arbiter
	mailer  mailer
	baseURL string
	// Now is the clock (tests, demo data).
	Now func() time.Time
	// Batch is how many recipients one run step presents (DefaultBatch).
	Batch int
	queue jobQueue
}

// NewCampaigns returns the campaigns of pool; offers are priced by the
// arbiter's catalogue and presented through its gate.
func NewCampaigns(pool *pgxpool.Pool, arbiter *Arbiter) *Campaigns {
	return &Campaigns{pool: pool, arbiter: arbiter, Now: time.Now, Batch: DefaultBatch}
}

// fieldOrder is the order of the form's fields, in which problems are listed.
var campaignFields = []string{"name", "product", "channel", "control_percent", "segment", "life_stage", "age_band", "advisor_id"}

func invalidCampaign(problems []ecrm.FieldError) error {
	slices.SortStableFunc(problems, func(a, b ecrm.FieldError) int {
		return slices.Index(campaignFields, a.Field) - slices.Index(campaignFields, b.Field)
	})
	e := &ecrm.Error{Code: ecrm.EINVALID, Message: "crosssell.campaign.error.invalid", Fields: problems}
	if len(problems) == 1 {
		e.Field = problems[0].Field
	}
	return e
}

// Create validates and stores a draft campaign; every field at fault is
// named and nothing is stored.
func (c *Campaigns) Create(ctx context.Context, in CampaignInput, by CampaignStaff) (int64, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Product = strings.TrimSpace(in.Product)
	var problems []ecrm.FieldError
	bad := func(field, key string) { problems = append(problems, ecrm.FieldError{Field: field, Message: key}) }
	switch n := len([]rune(in.Name)); {
	case n == 0:
		bad("name", "crosssell.campaign.error.name_required")
	case n > 200:
		bad("name", "crosssell.campaign.error.name_long")
	}
	var productID int64
	if in.Product == "" {
		bad("product", "crosssell.campaign.error.product_required")
	} else {
		var kind string
		err := c.pool.QueryRow(ctx, `SELECT id, kind FROM products WHERE code = $1 AND active`, in.Product).Scan(&productID, &kind)
		switch {
		case errors.Is(err, pgx.ErrNoRows) || (err == nil && products.GoalOf(kind) == ""):
			// A current account or a card is not offered by campaign:
			// no request prices it (as for the next best offers).
			bad("product", "crosssell.campaign.error.product_unknown")
		case err != nil:
			return 0, fmt.Errorf("campaign product %q: %w", in.Product, err)
		}
	}
	switch in.Channel {
	case ChannelEmail, ChannelPortal:
	case "":
		bad("channel", "crosssell.campaign.error.channel_required")
	default:
		bad("channel", "crosssell.campaign.error.channel_unknown")
	}
	share := DefaultControlPercent
	if in.ControlPercent != nil {
		share = *in.ControlPercent
	}
	if share.IsNegative() || share.GreaterThan(maxControlPercent) || share.Exponent() < -1 {
		bad("control_percent", "crosssell.campaign.error.control_percent")
	}
	if in.Segment != "" && !slices.Contains(Segments, in.Segment) {
		bad("segment", "crosssell.campaign.error.segment")
	}
	if in.LifeStage != "" && !slices.Contains(LifeStages, in.LifeStage) {
		bad("life_stage", "crosssell.campaign.error.life_stage")
	}
	if in.AgeBand != "" && !slices.Contains(AgeBands, in.AgeBand) {
		bad("age_band", "crosssell.campaign.error.age_band")
	}
	switch {
	case by.Book && in.AdvisorID != 0 && in.AdvisorID != by.StaffID:
		// An advisor's campaign is for her own book, never a colleague's.
		bad("advisor_id", "crosssell.campaign.error.advisor_book")
	case by.Book:
		in.AdvisorID = by.StaffID
	case in.AdvisorID != 0:
		var ok bool
		if err := c.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM staff_users WHERE id = $1 AND 'advisor' = ANY (roles))`, in.AdvisorID).Scan(&ok); err != nil {
			return 0, err
		}
		if !ok {
			bad("advisor_id", "crosssell.campaign.error.advisor_unknown")
		}
	}
	if len(problems) > 0 {
		return 0, invalidCampaign(problems)
	}
	seed := int64(0)
	if in.Seed != nil {
		seed = *in.Seed
	} else {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = int64(binary.BigEndian.Uint64(b[:]) >> 1)
	}
	var id int64
	err := c.pool.QueryRow(ctx, `INSERT INTO campaigns (name, product_id, channel, audience_segment, audience_life_stage, audience_age_band,
			audience_advisor_id, control_share, seed, created_by, created_at)
		VALUES ($1, $2, $3, nullif($4, ''), nullif($5, ''), nullif($6, ''), nullif($7, 0), $8, $9, $10, $11) RETURNING id`,
		in.Name, productID, in.Channel, in.Segment, in.LifeStage, in.AgeBand, in.AdvisorID, share.Div(decimal.NewFromInt(100)), seed,
		by.StaffID, c.Now()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("create campaign: %w", err)
	}
	return id, nil
}

const campaignColumns = `c.id, c.name, c.product_id, p.code, v.name, v.name_ro, c.channel, coalesce(c.audience_segment, ''),
	coalesce(c.audience_life_stage, ''), coalesce(c.audience_age_band, ''), coalesce(c.audience_advisor_id, 0), c.control_share, c.seed,
	c.status, c.created_by, c.created_at, c.launched_by, c.launched_at, c.finished_at`

// campaignFrom joins a campaign's product and its newest version's names.
const campaignFrom = `campaigns c JOIN products p ON p.id = c.product_id
	CROSS JOIN LATERAL (SELECT pv.name, pv.name_ro FROM product_versions pv WHERE pv.product_id = p.id ORDER BY pv.version DESC LIMIT 1) v`

// visibleTo is the condition on campaigns c a staff member may read: an
// advisor those she created or that are for her book.
const visibleTo = `($1::bigint IS NULL OR c.created_by = $1 OR c.audience_advisor_id = $1)`

func scanCampaign(row pgx.Row) (Campaign, error) {
	var x Campaign
	err := row.Scan(&x.ID, &x.Name, &x.ProductID, &x.ProductCode, &x.ProductName.EN, &x.ProductName.RO, &x.Channel, &x.Audience.Segment,
		&x.Audience.LifeStage, &x.Audience.AgeBand, &x.Audience.AdvisorID, &x.ControlShare, &x.Seed, &x.Status, &x.CreatedBy, &x.CreatedAt,
		&x.LaunchedBy, &x.LaunchedAt, &x.FinishedAt)
	return x, err
}

func (s CampaignStaff) book() *int64 {
	if s.Book {
		return &s.StaffID
	}
	return nil
}

// List returns the campaigns the staff member may read, newest first.
func (c *Campaigns) List(ctx context.Context, by CampaignStaff) ([]Campaign, error) {
	rows, err := c.pool.Query(ctx, `SELECT `+campaignColumns+` FROM `+campaignFrom+`
		WHERE `+visibleTo+` ORDER BY c.created_at DESC, c.id DESC LIMIT 500`, by.book())
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Campaign, error) { return scanCampaign(r) })
}

var errCampaignNotFound = ecrm.Errorf(ecrm.ENOTFOUND, "crosssell.campaign.error.not_found")

// Campaign returns one campaign the staff member may read (ENOTFOUND for
// one she may not: she does not learn that it exists).
func (c *Campaigns) Campaign(ctx context.Context, id int64, by CampaignStaff) (Campaign, error) {
	x, err := scanCampaign(c.pool.QueryRow(ctx, `SELECT `+campaignColumns+` FROM `+campaignFrom+`
		WHERE c.id = $2 AND `+visibleTo, by.book(), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Campaign{}, errCampaignNotFound
	}
	if err != nil {
		return Campaign{}, fmt.Errorf("campaign %d: %w", id, err)
	}
	return x, nil
}

// Launch starts the campaign's run: the draft becomes running and the run
// job is queued, in one transaction. Launching a campaign that is already
// running or done changes nothing and queues nothing (started false): a
// double click, or two managers at once, send once.
func (c *Campaigns) Launch(ctx context.Context, id int64, by CampaignStaff) (started bool, err error) {
	if c.queue == nil {
		return false, errors.New("crosssell: launch without a job queue (SetRunner)")
	}
	if _, err := c.Campaign(ctx, id, by); err != nil {
		return false, err
	}
	err = pgdb.Transact(ctx, c.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE campaigns SET status = 'running', launched_by = $2, launched_at = $3 WHERE id = $1 AND status = 'draft'`,
			id, by.StaffID, c.Now())
		if err != nil {
			return err
		}
		if started = tag.RowsAffected() == 1; !started {
			return nil
		}
		return c.queue.InsertTx(ctx, tx, runCampaignArgs{CampaignID: id})
	})
	if err != nil {
		return false, fmt.Errorf("launch campaign %d: %w", id, err)
	}
	return started, nil
}

// InControl reports whether a client is held out of a campaign with this
// seed and control share: the first 8 bytes of SHA-256("seed:client") as
// a fraction of 2⁶⁴ below the share. The hash spreads clients uniformly
// and independently of anything about them, and anyone with the seed can
// recompute the groups.
func InControl(seed, clientID int64, share decimal.Decimal) bool {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d:%d", seed, clientID))
	u := binary.BigEndian.Uint64(sum[:8])
	// u / 2^64 < share, exactly: compare u with share × 2^64 in decimals.
	limit := share.Mul(decimal.NewFromBigInt(twoTo64(), 0))
	return decimal.NewFromUint64(u).LessThan(limit)
}

func twoTo64() *big.Int { return new(big.Int).Lsh(big.NewInt(1), 64) }

// Products are the products on sale a campaign may offer (those a request
// prices: not current accounts or cards), by code.
func (c *Campaigns) Products(ctx context.Context) ([]products.Product, error) {
	cat, err := c.arbiter.catalogue.Catalogue(ctx)
	if err != nil {
		return nil, err
	}
	var out []products.Product
	for _, p := range cat.Products() {
		if products.GoalOf(p.Kind) != "" {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b products.Product) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}
