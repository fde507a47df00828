package selfservice

import (
	"bytes"
	"cmp"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// Quick actions put on the portal home what this client does most often,
// learned from two signals:
//
//   - a year of the client's own recurring payments (standing orders and
//     transfers to a payee, direct debits, card top-ups), grouped by account
//     and counterparty: how many, how regular, how recent;
//   - the client's portal actions (account and payee pages opened, profile,
//     consents, data download, calculators), each weighing less as it ages.
//
// Every candidate gets a score; the highest six are shown. The score is
// simple enough to explain to the client in one line, which each action
// carries as its reason.

// Quick action kinds, in the order that breaks ties between equal scores:
// things the client does with money first.
const (
	QuickPayPayee       = "pay_payee"
	QuickTopUpCard      = "top_up_card"
	QuickDirectDebit    = "review_direct_debit"
	QuickOpenAccount    = "open_account"
	QuickOpenCalculator = "open_calculator"
	QuickUpdateProfile  = "update_profile"
	QuickManageConsents = "manage_consents"
	QuickDownloadData   = "download_data"
)

var quickKindOrder = []string{
	QuickPayPayee, QuickTopUpCard, QuickDirectDebit, QuickOpenAccount,
	QuickOpenCalculator, QuickUpdateProfile, QuickManageConsents, QuickDownloadData,
}

// Frequencies a payment pattern can be recognised as.
const (
	FrequencyWeekly    = "weekly"
	FrequencyMonthly   = "monthly"
	FrequencyQuarterly = "quarterly"
)

const (
	// maxQuickActions is how many actions the portal home shows.
	maxQuickActions = 6
	// paymentWindow is how far back payments are looked at.
	paymentWindow = 365 * 24 * time.Hour
	// portalWindow is how far back portal actions are looked at.
	portalWindow = 180 * 24 * time.Hour
	// paymentHalfLife: a pattern whose last payment is this old counts
	// half, so a payee the client stopped paying drops out within months
	// while a monthly one (last paid weeks ago) keeps nearly all its weight.
	paymentHalfLife = 60 * 24 * time.Hour
	// portalHalfLife: a portal action counts half after a month; what the
	// client opened last week matters more than what they opened in spring.
	portalHalfLife = 30 * 24 * time.Hour
	// regularBonus multiplies a pattern recognised as weekly, monthly or
	// quarterly: a habit is a better guess of the next action than the
	// same number of scattered payments.
	regularBonus = 1.5
	// directDebitWeight: direct debits are collected without the client
	// doing anything, so they suggest a look rather than an action.
	directDebitWeight = 0.5
	// minOccurrences: one payment or one visit is not a habit.
	minOccurrences = 2
)

// QuickAction is one shortcut on the portal home.
type QuickAction struct {
	Kind string `json:"kind"`
	// Label and Reason are in the request's language.
	Label  string `json:"label"`
	Reason string `json:"reason"`
	Href   string `json:"href"`
	// The data behind the label, for apps that lay it out themselves.
	AccountID  int64  `json:"account_id,omitempty"`
	Payee      string `json:"payee,omitempty"`
	LastAmount *Money `json:"last_amount,omitempty"`
	Frequency  string `json:"frequency,omitempty"`
	// Occurrences counts the payments and portal visits behind the action.
	Occurrences int `json:"occurrences"`

	key   string
	score float64
}

// paymentPattern summarises a year of the client's recurring payments from
// one account to one counterparty.
type paymentPattern struct {
	// Class is "payment" (standing orders and transfers), "direct_debit"
	// or "card_top_up".
	Class        string
	AccountID    int64
	AccountName  ecrm.Text
	AccountKind  string
	Counterparty string
	Count        int
	// Months counts the distinct calendar months with a payment.
	Months      int
	First, Last time.Time
	// LastAmount is the latest payment as a positive amount.
	LastAmount Money
}

// recentPayment is one recurring outgoing payment as read for the ranking.
// The overview query hands Kind, Counterparty and Currency to
// paymentGrouper.add as the row's bytes instead; tests fill them in.
type recentPayment struct {
	Kind         string
	AccountID    int64
	Counterparty string
	BookedAt     time.Time
	ID           int64
	Cents        int64
	Currency     string
}

// paymentClass folds transaction kinds into the patterns the client sees:
// standing orders and one-off transfers to a payee are both "paying that
// payee". It takes the kind as read from the row, without a copy.
func paymentClass(kind []byte) string {
	switch {
	case bytes.Equal(kind, []byte("direct_debit")):
		return "direct_debit"
	case bytes.Equal(kind, []byte("card_top_up")):
		return "card_top_up"
	}
	return "payment"
}

// paymentGrouper groups payments by class, account and counterparty as
// they are read, newest first.
type paymentGrouper struct {
	zone *time.Location
	// groups is keyed by class and account, then by counterparty, so that
	// looking a row up needs no string copy of its counterparty.
	groups map[classAccount]map[string]*paymentGroup
	order  []*paymentGroup
}

type classAccount struct {
	class     string
	accountID int64
}

type paymentGroup struct {
	pattern   paymentPattern
	currency  string
	lastID    int64
	lastCents int64
	lastMonth int
}

// newPaymentGrouper counts months in zone.
func newPaymentGrouper(zone *time.Location) *paymentGrouper {
	return &paymentGrouper{zone: zone, groups: map[classAccount]map[string]*paymentGroup{}}
}

// add counts one payment. kind, counterparty and currency may be reused
// by the caller after add returns; they are copied only for a new group.
func (g *paymentGrouper) add(kind, counterparty, currency []byte, p recentPayment) {
	ca := classAccount{paymentClass(kind), p.AccountID}
	byCounterparty, ok := g.groups[ca]
	if !ok {
		byCounterparty = map[string]*paymentGroup{}
		g.groups[ca] = byCounterparty
	}
	y, m, _ := p.BookedAt.In(g.zone).Date()
	month := y*12 + int(m)
	grp, seen := byCounterparty[string(counterparty)]
	if !seen {
		grp = &paymentGroup{pattern: paymentPattern{
			Class: ca.class, AccountID: p.AccountID, Counterparty: string(counterparty),
			First: p.BookedAt, Last: p.BookedAt,
		}}
		byCounterparty[grp.pattern.Counterparty] = grp
		g.order = append(g.order, grp)
	}
	pat := &grp.pattern
	pat.Count++
	if !seen || month != grp.lastMonth {
		pat.Months++
		grp.lastMonth = month
	}
	if p.BookedAt.Before(pat.First) {
		pat.First = p.BookedAt
	}
	// Payments come newest first; among payments booked at the same
	// instant the highest id is the latest, so the amount kept does not
	// depend on the order PostgreSQL returns ties in.
	if !seen || p.BookedAt.After(pat.Last) || (p.BookedAt.Equal(pat.Last) && p.ID > grp.lastID) {
		pat.Last, grp.lastID, grp.lastCents = p.BookedAt, p.ID, p.Cents
		if grp.currency != string(currency) {
			grp.currency = string(currency)
		}
	}
}

// addPayment counts a payment given as a whole, for tests.
func (g *paymentGrouper) addPayment(p recentPayment) {
	g.add([]byte(p.Kind), []byte(p.Counterparty), []byte(p.Currency), p)
}

// patterns returns the groups on the client's open accounts, in the order
// first seen. Payments from other accounts (blocked, closed) are left out:
// no action can start there.
func (g *paymentGrouper) patterns(accounts []Account) []paymentPattern {
	if g == nil {
		return nil
	}
	open := map[int64]*Account{}
	for i := range accounts {
		if accounts[i].Status == "open" {
			open[accounts[i].ID] = &accounts[i]
		}
	}
	patterns := make([]paymentPattern, 0, len(g.order))
	for _, grp := range g.order {
		a, ok := open[grp.pattern.AccountID]
		if !ok {
			continue
		}
		p := grp.pattern
		p.AccountName, p.AccountKind = a.Name, a.Kind
		p.LastAmount = newMoney(decimal.New(grp.lastCents, -2).Abs(), grp.currency)
		patterns = append(patterns, p)
	}
	return patterns
}

// portalEvent is one portal action to record.
type portalEvent struct {
	Action string
	Target string
	At     time.Time
}

// portalUse sums the client's recent portal actions per action and target:
// how many, and their weight, each action halving in weight every
// portalHalfLife of age.
type portalUse struct {
	now time.Time
	// byAction is keyed by action, then target, so that looking a row up
	// needs no string copy.
	byAction map[string]map[string]*actionUse
	order    []*actionUse
}

type actionUse struct {
	action, target string
	count          int
	weight         float64
}

func newPortalUse(now time.Time) *portalUse {
	return &portalUse{now: now, byAction: map[string]map[string]*actionUse{}}
}

// add counts one portal action. action and target may be reused by the
// caller after add returns.
func (u *portalUse) add(action, target []byte, at time.Time) {
	age := u.now.Sub(at)
	if age > portalWindow {
		return
	}
	byTarget, ok := u.byAction[string(action)]
	if !ok {
		byTarget = map[string]*actionUse{}
		u.byAction[string(action)] = byTarget
	}
	use, ok := byTarget[string(target)]
	if !ok {
		use = &actionUse{action: string(action), target: string(target)}
		byTarget[use.target] = use
		u.order = append(u.order, use)
	}
	use.count++
	use.weight += decay(age, portalHalfLife)
}

// frequency recognises weekly, monthly and quarterly habits from the mean
// gap between payments; "" means no regular rhythm. Monthly also needs
// (nearly) one payment per month, so that twelve payments made in two
// bursts do not pass for a monthly habit.
func (p paymentPattern) frequency() string {
	if p.Count < 3 {
		return ""
	}
	gap := p.Last.Sub(p.First).Hours() / 24 / float64(p.Count-1)
	switch {
	case gap >= 5 && gap <= 9:
		return FrequencyWeekly
	case gap >= 25 && gap <= 35 && p.Months >= p.Count-1:
		return FrequencyMonthly
	case gap >= 80 && gap <= 100 && p.Months == p.Count:
		return FrequencyQuarterly
	}
	return ""
}

// decay halves weight every halfLife of age; the future counts as now.
func decay(age, halfLife time.Duration) float64 {
	if age < 0 {
		age = 0
	}
	return math.Exp2(-float64(age) / float64(halfLife))
}

// candidate gathers the signals behind one possible quick action.
type candidate struct {
	action  QuickAction
	pattern *paymentPattern
	// visits counts the portal actions merged into the candidate.
	visits      int
	visitScore  float64
	targetLabel string    // calculator kind, for the label
	accountName ecrm.Text // the account to open, for the label
}

// rankQuickActions turns the signals into at most maxQuickActions actions,
// best first: by score, then by kind (quickKindOrder), then by key, so
// equal scores always come out in the same order.
func rankQuickActions(now time.Time, accounts []Account, patterns []paymentPattern, use *portalUse, l *i18n.Localizer) []QuickAction {
	byKey := map[string]*candidate{}
	var keys []string
	add := func(key string, c *candidate) *candidate {
		if existing, ok := byKey[key]; ok {
			return existing
		}
		c.action.key = key
		byKey[key] = c
		keys = append(keys, key)
		return c
	}

	for i := range patterns {
		p := &patterns[i]
		kind := QuickPayPayee
		switch p.Class {
		case "direct_debit":
			kind = QuickDirectDebit
		case "card_top_up":
			kind = QuickTopUpCard
		}
		add(patternKey(p.Class, p.AccountID, p.Counterparty), &candidate{
			action: QuickAction{
				Kind:       kind,
				AccountID:  p.AccountID,
				Payee:      p.Counterparty,
				LastAmount: &p.LastAmount,
				Frequency:  p.frequency(),
			},
			pattern: p,
		})
	}

	accountByID := map[int64]*Account{}
	for i := range accounts {
		accountByID[accounts[i].ID] = &accounts[i]
	}
	if use != nil {
		for _, u := range use.order {
			c := useCandidate(u, byKey, accountByID, add)
			if c == nil {
				continue
			}
			c.visits += u.count
			c.visitScore += u.weight
		}
	}

	type scored struct {
		action    QuickAction
		candidate *candidate
	}
	var ranked []scored
	for _, key := range keys {
		c := byKey[key]
		occurrences := c.visits
		score := c.visitScore
		if p := c.pattern; p != nil {
			occurrences += p.Count
			weight := float64(p.Count) * decay(now.Sub(p.Last), paymentHalfLife)
			if c.action.Frequency != "" {
				weight *= regularBonus
			}
			if p.Class == "direct_debit" {
				weight *= directDebitWeight
			}
			score += weight
		}
		if occurrences < minOccurrences {
			continue
		}
		a := c.action
		a.Occurrences = occurrences
		a.score = score
		ranked = append(ranked, scored{a, c})
	}
	slices.SortStableFunc(ranked, func(x, y scored) int {
		a, b := x.action, y.action
		if a.score != b.score {
			return cmp.Compare(b.score, a.score)
		}
		if d := cmp.Compare(slices.Index(quickKindOrder, a.Kind), slices.Index(quickKindOrder, b.Kind)); d != 0 {
			return d
		}
		return strings.Compare(a.key, b.key)
	})
	if len(ranked) > maxQuickActions {
		ranked = ranked[:maxQuickActions]
	}
	// Only the actions shown are put into words.
	out := make([]QuickAction, len(ranked))
	for i, r := range ranked {
		out[i] = r.action
		out[i].Href = href(r.candidate)
		out[i].Label, out[i].Reason = describe(r.candidate, l)
	}
	return out
}

// useCandidate finds or creates the candidate a portal action counts for,
// or returns nil for an action that suggests nothing (or names an account
// that is not among the client's accounts).
func useCandidate(u *actionUse, byKey map[string]*candidate, accounts map[int64]*Account, add func(string, *candidate) *candidate) *candidate {
	openAccount := func(id int64) *candidate {
		a, ok := accounts[id]
		if !ok {
			return nil
		}
		return add("account:"+strconv.FormatInt(id, 10), &candidate{action: QuickAction{
			Kind: QuickOpenAccount, AccountID: id,
		}, accountName: a.Name})
	}
	switch u.action {
	case ActionAccountView:
		id, err := strconv.ParseInt(u.target, 10, 64)
		if err != nil {
			return nil
		}
		return openAccount(id)
	case ActionPayeeView:
		// Looking at the payments to a payee counts for the payments
		// to that payee; for any other counterparty, for the account.
		idText, counterparty, ok := strings.Cut(u.target, ":")
		id, err := strconv.ParseInt(idText, 10, 64)
		if !ok || err != nil {
			return nil
		}
		for _, class := range []string{"payment", "card_top_up", "direct_debit"} {
			if c, ok := byKey[patternKey(class, id, counterparty)]; ok {
				return c
			}
		}
		return openAccount(id)
	case ActionProfileView, ActionProfileUpdate:
		return add("profile", &candidate{action: QuickAction{Kind: QuickUpdateProfile}})
	case ActionConsentChange:
		return add("consents", &candidate{action: QuickAction{Kind: QuickManageConsents}})
	case ActionDataExport:
		return add("data", &candidate{action: QuickAction{Kind: QuickDownloadData}})
	case ActionCalculatorOpen:
		if !slices.Contains(calculatorKinds, u.target) {
			return nil
		}
		return add("calculator:"+u.target, &candidate{action: QuickAction{Kind: QuickOpenCalculator}, targetLabel: u.target})
	}
	return nil
}

// calculatorKinds are the calculators the products package offers.
var calculatorKinds = []string{"loan", "deposit"}

func patternKey(class string, accountID int64, counterparty string) string {
	return class + ":" + strconv.FormatInt(accountID, 10) + ":" + counterparty
}

// accountHref links to an account's page, filtered to one counterparty
// when given.
func accountHref(accountID int64, counterparty string) string {
	href := "/portal/accounts/" + strconv.FormatInt(accountID, 10)
	if counterparty != "" {
		href += "?" + url.Values{"counterparty": {counterparty}}.Encode()
	}
	return href
}

// href is the page that performs the action.
func href(c *candidate) string {
	switch c.action.Kind {
	case QuickPayPayee, QuickTopUpCard, QuickDirectDebit, QuickOpenAccount:
		return accountHref(c.action.AccountID, c.action.Payee)
	case QuickOpenCalculator:
		return "/portal/calculators/" + c.targetLabel
	case QuickUpdateProfile:
		return "/portal/profile"
	case QuickManageConsents:
		return "/portal/profile#consents"
	case QuickDownloadData:
		return "/portal/data"
	}
	return "/portal"
}

// describe writes the action's label and the one-line reason it is shown.
func describe(c *candidate, l *i18n.Localizer) (label, reason string) {
	a := c.action
	switch a.Kind {
	case QuickPayPayee:
		label = l.T("portal.quick.label.pay_payee", a.Payee)
	case QuickDirectDebit:
		label = l.T("portal.quick.label.review_direct_debit", a.Payee)
	case QuickTopUpCard:
		name := a.Payee
		if p := c.pattern; p.AccountKind == "card" || name == "" {
			name = l.Text(p.AccountName)
		}
		label = l.T("portal.quick.label.top_up_card", name)
	case QuickOpenAccount:
		label = l.T("portal.quick.label.open_account", l.Text(c.accountName))
	case QuickOpenCalculator:
		label = l.T("portal.quick.label.calculator." + c.targetLabel)
	default:
		label = l.T("portal.quick.label." + a.Kind)
	}

	if p := c.pattern; p != nil {
		if a.Frequency != "" {
			return label, l.T("portal.quick.reason." + p.Class + "." + a.Frequency)
		}
		return label, l.T("portal.quick.reason."+p.Class+".count", p.Count)
	}
	return label, l.T("portal.quick.reason.visits", c.visits)
}
