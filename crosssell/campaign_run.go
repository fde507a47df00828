package crosssell

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/compliance"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/jobs"
	"github.com/ecrm-project/ecrm/internal/outbox"
	"github.com/ecrm-project/ecrm/products"
)

// A campaign runs as a job of the PostgreSQL queue. Its first step writes
// the audience (every recipient with its group, control assigned by
// InControl) in one transaction; then batches of pending treatment
// recipients are taken with FOR UPDATE SKIP LOCKED, each recipient's offer
// priced and put through the gate, and the batch's outcomes written with
// their e-mails in one transaction. A job works for at most runSlice and
// queues its successor with its last batch, so a large campaign never
// outlives the queue's job timeout, and a process that dies mid-batch
// leaves the batch pending for the retry.
//
// The retry presents the batch's offers again. Within the gate's
// presentation window (30 minutes) that is the same presentation: the
// decisions already recorded, nothing appended; after it, the offer is
// decided afresh and recorded again. An e-mail is written only with the
// recipient's outcome, so nobody is mailed twice.

// DefaultBatch is how many recipients one transaction presents.
const DefaultBatch = 100

// runSlice is how long one job works before it hands over to the next.
const runSlice = 20 * time.Second

// Reasons a recipient is blocked without a gate decision: nothing could
// be presented to her.
const (
	// BlockedNoEmail: an e-mail campaign, and she has no address.
	BlockedNoEmail = "no_email"
	// BlockedIneligible: the product is not for her today (she holds one
	// already and no need calls for another, the catalogue's rules or
	// matching refuse her, an application for it is in progress, or it is
	// no longer on sale), exactly as the next best offers would decide.
	BlockedIneligible = "ineligible"
)

type mailer interface {
	Enqueue(ctx context.Context, tx pgx.Tx, m outbox.Message) (int64, error)
}

type jobQueue interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args jobs.Args) error
}

// runCampaignArgs is the job running one campaign.
type runCampaignArgs struct {
	CampaignID int64 `json:"campaign_id"`
}

func (runCampaignArgs) Kind() string { return "crosssell.campaign_run" }

// SetRunner lets campaigns run: launches queue their run on queue, e-mail
// is written to mail, and links in it start with baseURL.
func (c *Campaigns) SetRunner(queue *jobs.Queue, mail *outbox.Outbox, baseURL string) {
	c.queue, c.mailer, c.baseURL = queue, mail, strings.TrimRight(baseURL, "/")
}

// RegisterJobs adds the run job to the queue's registry.
func (c *Campaigns) RegisterJobs(reg *jobs.Registry) {
	jobs.Handle(reg, func(ctx context.Context, job *jobs.Job[runCampaignArgs]) error {
		_, err := c.Run(ctx, job.Args.CampaignID, runSlice)
		return err
	})
}

// Run works the campaign for about budget (0: until it is done) and
// reports whether it is done. A campaign that is not running is left
// alone. When the budget ends first, the next run is queued with the last
// batch.
func (c *Campaigns) Run(ctx context.Context, id int64, budget time.Duration) (done bool, err error) {
	start := time.Now()
	x, err := c.Campaign(ctx, id, CampaignStaff{})
	if errors.Is(err, errCampaignNotFound) {
		return true, jobs.Cancel(err)
	}
	if err != nil {
		return false, err
	}
	if x.Status != CampaignRunning {
		return true, nil
	}
	if err := c.writeAudience(ctx, x); err != nil {
		return false, err
	}
	cat, err := c.arbiter.catalogue.Catalogue(ctx)
	if err != nil {
		return false, err
	}
	product, onSale := productOnSale(cat, x.ProductID)
	for {
		last := budget > 0 && time.Since(start) > budget
		n, err := c.runBatch(ctx, x, product, onSale, cat, last)
		if err != nil {
			return false, fmt.Errorf("campaign %d: %w", id, err)
		}
		if n == 0 {
			_, err := c.pool.Exec(ctx, `UPDATE campaigns SET status = 'done', finished_at = $2 WHERE id = $1 AND status = 'running'`, id, c.Now())
			return err == nil, err
		}
		if last {
			return false, nil
		}
	}
}

func productOnSale(cat *products.Catalogue, id int64) (products.Product, bool) {
	all := cat.Products()
	i := slices.IndexFunc(all, func(p products.Product) bool { return p.ID == id })
	if i < 0 {
		return products.Product{}, false
	}
	return all[i], true
}

// writeAudience writes the recipients, once: the campaign row is locked,
// so two runs at once write them once.
func (c *Campaigns) writeAudience(ctx context.Context, x Campaign) error {
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var written bool
	if err := tx.QueryRow(ctx, `SELECT audience_at IS NOT NULL FROM campaigns WHERE id = $1 FOR UPDATE`, x.ID).Scan(&written); err != nil {
		return err
	}
	if written {
		return nil
	}
	now := c.Now()
	// Conditions on stored columns in SQL; the life stage and the age
	// band from their own definitions (ecrm.LifeStage, AgeBands) in Go,
	// so a campaign's audience is the client 360's and the reports'.
	rows, err := tx.Query(ctx, `SELECT id, birth_date, coalesce(marital_status, ''), dependants, coalesce(employment_status, '')
		FROM clients
		WHERE ($1 = '' OR segment = $1) AND ($2::bigint = 0 OR advisor_id = $2)
		ORDER BY id`, x.Audience.Segment, x.Audience.AdvisorID)
	if err != nil {
		return fmt.Errorf("campaign %d audience: %w", x.ID, err)
	}
	var ids []int64
	var groups, states []string
	today := now.UTC()
	var (
		id         int64
		birth      *time.Time
		marital    string
		dependants int
		employment string
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &birth, &marital, &dependants, &employment}, func() error {
		age := ageOn(birth, today)
		if x.Audience.LifeStage != "" && ecrm.LifeStage(age, marital, dependants, employment) != x.Audience.LifeStage {
			return nil
		}
		if x.Audience.AgeBand != "" && ageBandOf(age) != x.Audience.AgeBand {
			return nil
		}
		ids = append(ids, id)
		if InControl(x.Seed, id, x.ControlShare) {
			groups, states = append(groups, "control"), append(states, "held_out")
		} else {
			groups, states = append(groups, "treatment"), append(states, "pending")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("campaign %d audience: %w", x.ID, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO campaign_recipients (campaign_id, client_id, grp, state, processed_at)
		SELECT $1, u.client, u.grp, u.state, CASE WHEN u.state = 'held_out' THEN $5::timestamptz END
		FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u (client, grp, state)`, x.ID, ids, groups, states, now); err != nil {
		return fmt.Errorf("campaign %d recipients: %w", x.ID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE campaigns SET audience_at = $2 WHERE id = $1`, x.ID, now); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// ageBandOf names the band of an age (nil: unknown), as the fairness
// groups do.
func ageBandOf(age *int) string {
	if age == nil {
		return unknownGroup
	}
	return ageBandName(float64(*age))
}

// recipient is a pending treatment recipient of a batch.
type recipient struct {
	clientID            int64
	email               *string
	given, family, lang string
}

// runBatch presents the next batch and writes its outcomes; it returns
// how many recipients it took (0: none left). When handOver is set, the
// campaign's next run is queued in the same transaction.
func (c *Campaigns) runBatch(ctx context.Context, x Campaign, product products.Product, onSale bool, cat *products.Catalogue, handOver bool) (int, error) {
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT r.client_id, c.email, c.given_name, c.family_name, c.preferred_language
		FROM campaign_recipients r JOIN clients c ON c.id = r.client_id
		WHERE r.campaign_id = $1 AND r.state = 'pending'
		ORDER BY r.client_id LIMIT $2
		FOR UPDATE OF r SKIP LOCKED`, x.ID, max(c.Batch, 1))
	if err != nil {
		return 0, err
	}
	batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (recipient, error) {
		var p recipient
		err := r.Scan(&p.clientID, &p.email, &p.given, &p.family, &p.lang)
		return p, err
	})
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	now := c.Now()
	for _, p := range batch {
		state, seq, reasons := "blocked", int64(0), []string(nil)
		var messageID *int64
		var token *string
		switch {
		case x.Channel == ChannelEmail && p.email == nil:
			reasons = []string{BlockedNoEmail}
		case !onSale:
			reasons = []string{BlockedIneligible}
		default:
			lang, ok := i18n.ParseLanguage(p.lang)
			if !ok {
				lang = i18n.English
			}
			l := i18n.NewLocalizer(lang)
			offer, err := c.price(ctx, cat, product, p.clientID, now, l)
			if err != nil {
				return 0, err
			}
			if offer == nil {
				reasons = []string{BlockedIneligible}
				break
			}
			v, err := c.present(ctx, x, offer, p.clientID, l)
			if err != nil {
				return 0, err
			}
			seq = v.Seq
			if !v.Shown {
				reasons = v.Blocked()
				break
			}
			state = "shown"
			if x.Channel == ChannelEmail {
				t := newUnsubscribeToken()
				token = &t
				id, err := c.mailer.Enqueue(ctx, tx, c.offerMail(x, offer, p, seq, t, l))
				if err != nil {
					return 0, err
				}
				messageID = &id
			}
		}
		var decision *int64
		if seq != 0 {
			decision = &seq
		}
		if _, err := tx.Exec(ctx, `UPDATE campaign_recipients SET state = $3, decision_seq = $4, blocked_reasons = $5,
				outbox_message_id = $6, unsubscribe_token = $7, processed_at = $8
			WHERE campaign_id = $1 AND client_id = $2`,
			x.ID, p.clientID, state, decision, append([]string{}, reasons...), messageID, token, now); err != nil {
			return 0, fmt.Errorf("recipient %d: %w", p.clientID, err)
		}
	}
	if handOver {
		if err := c.queue.InsertTx(ctx, tx, runCampaignArgs{CampaignID: x.ID}); err != nil {
			return 0, err
		}
	}
	return len(batch), tx.Commit(ctx)
}

// campaignOffer is the product priced for one recipient.
type campaignOffer struct {
	product   products.Product
	profile   products.Profile
	request   products.MatchRequest
	terms     products.Terms
	need      *Need
	value     decimal.Decimal
	valueNote string
	reasons   []i18n.Message
}

// price prices the campaign's product for the client with the next best
// offers' own rules (requestFor, the catalogue's matching, expectedMargin):
// the amount her needs call for, else the usual one, on the terms matching
// gives her. nil: the product is not for her (BlockedIneligible).
func (c *Campaigns) price(ctx context.Context, cat *products.Catalogue, p products.Product, clientID int64, now time.Time, l *i18n.Localizer) (*campaignOffer, error) {
	profile, err := products.LoadProfile(ctx, c.pool, clientID)
	if err != nil {
		return nil, err
	}
	facts, err := LoadFacts(ctx, c.pool, clientID, now)
	if err != nil {
		return nil, err
	}
	needs, err := EvaluateNeeds(facts)
	if err != nil {
		return nil, err
	}
	fp, err := c.arbiter.fingerprint(ctx, clientID, now)
	if err != nil {
		return nil, err
	}
	if slices.Contains(fp.pending, p.ID) {
		return nil, nil
	}
	need := needFor(p, needs, facts)
	req, ok := requestFor(p, profile, facts, need, nil, fp.riskClass)
	if !ok {
		return nil, nil
	}
	res, err := cat.Match(profile, req, l)
	if err != nil {
		return nil, nil // no product of the goal takes this request
	}
	i := slices.IndexFunc(res.Eligible, func(o products.Offer) bool { return o.ProductVersionID == p.VersionID })
	if i < 0 {
		return nil, nil
	}
	o := &campaignOffer{product: p, profile: profile, request: req, terms: res.Eligible[i].Terms, need: need}
	o.value, o.valueNote = expectedMargin(p, req, o.terms)
	o.reasons = []i18n.Message{l.Say("crosssell.campaign.why")}
	if need != nil {
		o.reasons = append(o.reasons, l.Say("crosssell.nbo.why.need", i18n.Key("crosssell.need."+need.Code)))
	}
	for _, r := range res.Eligible[i].Reasons {
		if r.Check != "term" {
			o.reasons = append(o.reasons, r.Message())
			break
		}
	}
	return o, nil
}

// campaignInputs are recorded with every campaign decision
// (engine_inputs): which campaign, and how the offer was priced.
type campaignInputs struct {
	Version    string          `json:"version"`
	CampaignID int64           `json:"campaign_id"`
	LaunchedBy int64           `json:"launched_by,omitempty"`
	Group      string          `json:"group"`
	Family     string          `json:"family"`
	Need       string          `json:"need,omitempty"`
	NeedRules  string          `json:"need_rules"`
	ValueEUR   decimal.Decimal `json:"value_eur"`
	Value      string          `json:"value"`
}

// gateChannel is the gate's channel of a campaign channel: the portal's
// offer list is the web.
func gateChannel(channel string) string {
	if channel == ChannelEmail {
		return "email"
	}
	return "web"
}

// present puts one offer through the gate. The actor is the system even
// when staff launched the campaign: nobody judged this client's case, so
// the gate's protections of an automated offer (a vulnerable client is
// never pushed a complex product) apply; who launched it is recorded in
// the engine inputs.
func (c *Campaigns) present(ctx context.Context, x Campaign, o *campaignOffer, clientID int64, l *i18n.Localizer) (compliance.Verdict, error) {
	in := campaignInputs{Version: CampaignVersion, CampaignID: x.ID, Group: "treatment", Family: familyOf(o.product),
		NeedRules: NeedsRuleSetVersion, ValueEUR: o.value, Value: o.valueNote}
	if x.LaunchedBy != nil {
		in.LaunchedBy = *x.LaunchedBy
	}
	if o.need != nil {
		in.Need = o.need.Code
	}
	req := o.request
	p := compliance.Presentation{
		ClientID: clientID, Channel: gateChannel(x.Channel), Actor: compliance.Actor{Kind: compliance.ActorSystem},
		Purpose: compliance.PurposeMarketing, Engine: CampaignEngine, EngineVersion: CampaignVersion,
		Profile: o.profile, Localizer: l,
		Offers: []compliance.Candidate{{
			Product: o.product, Terms: o.terms, Request: &req, EngineInputs: in,
			Score:       &compliance.Score{Value: o.value, Components: []compliance.ScoreComponent{{Name: "value_eur", Value: o.value}}},
			Reasons:     o.reasons,
			Disclosures: compliance.OfferDisclosures(o.product, o.terms, c.arbiter.gate.Firm, l),
		}},
	}
	verdicts, err := c.arbiter.gate.Present(ctx, p)
	if err != nil {
		return compliance.Verdict{}, err
	}
	return verdicts[0], nil
}

func newUnsubscribeToken() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// offerMail is the recipient's e-mail, in her language: the offer's main
// terms and the link to the offer's page, where she reads why she gets
// it, its disclosures, and answers; the outbox adds the unsubscribe link.
func (c *Campaigns) offerMail(x Campaign, o *campaignOffer, p recipient, seq int64, token string, l *i18n.Localizer) outbox.Message {
	name := l.Text(o.product.Name)
	var b strings.Builder
	b.WriteString(l.T("crosssell.campaign.mail.greeting", p.given+" "+p.family))
	b.WriteString("\n\n")
	b.WriteString(l.T("crosssell.campaign.mail.intro", name))
	b.WriteString("\n\n")
	for _, line := range termLines(o, l) {
		b.WriteString("  " + line + "\n")
	}
	b.WriteString("\n")
	b.WriteString(l.T("crosssell.campaign.mail.link", c.baseURL+"/portal/offers/"+strconv.FormatInt(seq, 10)))
	return outbox.Message{Kind: outbox.Marketing, To: *p.email, ToName: p.given + " " + p.family, ClientID: p.clientID,
		Language: l.Lang().String(), Subject: l.T("crosssell.campaign.mail.subject", name), Body: b.String(),
		UnsubscribeURL: c.baseURL + "/unsubscribe/" + token}
}

// termLines are the offer's figures in the reader's format.
func termLines(o *campaignOffer, l *i18n.Localizer) []string {
	t := o.terms
	var out []string
	if o.product.Line == products.LineInsurance {
		out = append(out, l.T("crosssell.campaign.mail.sum_insured", l.Money(o.request.Amount)))
	} else {
		out = append(out, l.T("crosssell.campaign.mail.amount", l.Money(o.request.Amount)))
	}
	out = append(out, l.T("crosssell.campaign.mail.term", o.request.Months))
	if t.NominalAnnualRate != nil {
		out = append(out, l.T("crosssell.campaign.mail.rate", l.Percent(*t.NominalAnnualRate, 2)))
	}
	if t.APR != nil {
		out = append(out, l.T("crosssell.campaign.mail.apr", l.Percent(*t.APR, 2)))
	}
	if t.MonthlyPayment != nil {
		out = append(out, l.T("crosssell.campaign.mail.monthly_payment", l.Money(*t.MonthlyPayment)))
	}
	if t.Premium != nil {
		out = append(out, l.T("crosssell.campaign.mail.premium", l.Money(*t.Premium)))
	}
	return out
}

// UnsubscribeWording names the consent row an unsubscribe link writes.
const UnsubscribeWording = "unsubscribe-link"

var errUnsubscribeToken = ecrm.Errorf(ecrm.ENOTFOUND, "crosssell.campaign.error.unsubscribe_token")

// Unsubscribe withdraws the consent to offers by e-mail of the client
// whose campaign e-mail carried token: a new consent row (the history is
// kept; the gate reads the newest), written once however often the link
// is followed. ENOTFOUND for a token no e-mail carried.
func (c *Campaigns) Unsubscribe(ctx context.Context, token string) error {
	if len(token) != 36 {
		return errUnsubscribeToken
	}
	tag, err := c.pool.Exec(ctx, `INSERT INTO consents (client_id, purpose, channel, granted, wording_version, source, recorded_at)
		SELECT r.client_id, 'marketing', 'email', false, $2, 'portal', $3
		FROM campaign_recipients r
		WHERE r.unsubscribe_token = $1
		  AND coalesce((SELECT k.granted FROM consents k WHERE k.client_id = r.client_id AND k.purpose = 'marketing' AND k.channel = 'email'
		                ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1), true)`, token, UnsubscribeWording, c.Now())
	if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	if tag.RowsAffected() == 0 {
		var known bool
		if err := c.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM campaign_recipients WHERE unsubscribe_token = $1)`, token).Scan(&known); err != nil {
			return err
		}
		if !known {
			return errUnsubscribeToken
		}
	}
	return nil
}
