package demodata

import "math/rand/v2"

// Interactions: every contact with the client over three years, on every
// channel of the mission (phone, fax, web, mail, visit, e-mail).

type topic struct{ subject, notes string }

// topics by channel and direction (0 inbound, 1 outbound).
var topics = map[string][2][]topic{
	"phone": {{
		{"Card blocked abroad", "Client travelling; card unblocked after identity check."},
		{"Question about loan instalment", "Explained the instalment breakdown and the next due date."},
		{"Change of address", "New address recorded; confirmation sent by post."},
		{"Lost card", "Card cancelled and a replacement ordered."},
		{"Mortgage refinancing enquiry", "Client asked about refinancing; meeting proposed."},
		{"Travel insurance question", "Explained cover for winter sports."},
	}, {
		{"Annual portfolio review call", "Reviewed allocation and risk profile; no changes requested."},
		{"Term deposit maturity reminder", "Client will roll the deposit over for 12 months."},
		{"KYC update request", "Asked the client to upload a valid ID document."},
		{"Follow-up on loan application", "Documents received; application sent to underwriting."},
		{"Offer: savings account", "Client interested; details sent by e-mail."},
	}},
	"email": {{
		{"Statement request", "Sent the requested statements as PDF."},
		{"Documents for KYC update", "ID copy and proof of address received."},
		{"Complaint about card fee", "Fee explained; goodwill refund approved."},
		{"Question about investment account", "Answered questions on custody fees."},
	}, {
		{"Your annual statement is available", "Sent with the portal link."},
		{"Premium payment reminder", "Reminder for the overdue instalment."},
		{"Offer: term deposit 12 months", "Personalised rate sent."},
		{"Documents needed for your application", "Checklist sent."},
	}},
	"web": {{
		{"Secure message: dispute card transaction", "Chargeback opened with the card scheme."},
		{"Online claim submitted", "Claim forwarded to the insurer."},
		{"Password reset assistance", "Guided the client through the reset."},
		{"Secure message: change of standing order", "Standing order amount updated."},
	}, {
		{"Secure message: reply to your request", "Answered in the portal inbox."},
		{"New document in your inbox", "Contract addendum published."},
	}},
	"visit": {{
		{"Branch meeting: investment advice", "Discussed goals; suitability questionnaire completed."},
		{"Signed mortgage contract", "Contract signed; disbursement scheduled."},
		{"Opened term deposit", "Deposit opened at the branch."},
		{"Cash deposit and account questions", "Cash deposited; explained online banking."},
		{"Power of attorney registration", "Power of attorney checked and registered."},
	}, {
		{"Advisor visit at the client's home", "Reviewed accounts and beneficiaries with the client."},
		{"Meeting at the client's office", "Presented the business account offer."},
	}},
	"mail": {{
		{"Consent form received", "Paper consent form scanned and recorded."},
		{"Signed contract returned", "Signed copy archived."},
		{"Complaint letter", "Complaint registered; reply due in 15 days."},
	}, {
		{"Annual statement sent", "Statement posted to the home address."},
		{"Policy renewal notice", "Renewal terms posted."},
		{"New card sent", "Replacement card posted."},
	}},
	"fax": {{
		{"Signed instruction received by fax", "Transfer instruction verified by call-back."},
		{"Power of attorney (fax copy)", "Original requested by post."},
	}, {
		{"Confirmation sent by fax", "Confirmation of executed instruction."},
	}},
}

var interactionChannels = []string{"phone", "email", "web", "visit", "mail", "fax"}

// Share of contacts on each channel, and of those that the client starts.
var (
	channelMix   = weights{35, 25, 20, 12, 7, 1}
	inboundShare = map[string]float64{"phone": 0.6, "email": 0.5, "web": 0.8, "visit": 0.85, "mail": 0.3, "fax": 0.7}
)

var interactionColumns = []string{"id", "client_id", "staff_id", "channel", "direction", "subject", "notes", "occurred_at"}

func (gen *generator) writeInteractions(w *rowWriter) error {
	return gen.forEachGroup(w, needProfile, func(grp *group) {
		for _, c := range grp.members {
			gen.writeClientInteractions(w, c)
		}
	})
}

// writeClientInteractions draws a Poisson number of contacts that grows
// with the client's value (private clients hear from their advisor
// monthly, mass clients a few times in three years) and vulnerability,
// tilted to the client's preferred channel.
func (gen *generator) writeClientInteractions(w *rowWriter, c *client) {
	r := gen.rand(streamInteractions, uint64(c.index))
	from := max(c.since, gen.asOf.addMonths(-36))
	span := int(gen.asOf - from)
	if span <= 0 {
		return
	}
	mean := []float64{3, 5, 8, 14}[segmentRank(c.segment)]
	if c.vulnerable {
		mean += 2
	}
	mean *= float64(span) / (3 * 365)
	mix := gen.channelWeights[:0]
	for i, ch := range interactionChannels {
		x := channelMix[i]
		if ch == c.channel {
			x *= 2.5
		}
		mix = append(mix, x)
	}
	n := poisson(r, mean)
	if c.id == DemoClientID {
		n = len(interactionChannels) + 4
	}
	for k := range n {
		channel := interactionChannels[mix.pick(r)]
		if c.id == DemoClientID && k < len(interactionChannels) {
			channel = interactionChannels[k] // one contact on every channel
		}
		direction := 1
		if chance(r, inboundShare[channel]) {
			direction = 0
		}
		t := oneOf(r, topics[channel][direction])
		d := from + day(r.IntN(span))
		hour := 6 + r.IntN(15)
		if channel == "phone" || channel == "visit" || channel == "fax" || channel == "mail" {
			d = d.businessDay()
			hour = 7 + r.IntN(8) // branch and call-centre hours (09-17 Bucharest)
			if d > gen.asOf {
				d -= 3
			}
		}
		staff := gen.interactionStaff(r, c, channel, direction)
		gen.counters.interactions++
		w.row(len(interactionColumns))
		w.int8(gen.counters.interactions)
		w.int8(c.id)
		w.int8OrNull(staff)
		w.text(channel)
		if direction == 0 {
			w.text("inbound")
		} else {
			w.text("outbound")
		}
		w.text(t.subject)
		w.text(t.notes)
		w.timestamptz(d.at(hour, r.IntN(60), r.IntN(60)))
	}
}

// interactionStaff: the client's advisor makes the outbound calls and the
// visits; inbound calls reach the advisor or the call centre; portal and
// e-mail messages are often answered by the back office (no staff user),
// and posted statements go out from the system.
func (gen *generator) interactionStaff(r *rand.Rand, c *client, channel string, direction int) int64 {
	advisor := c.advisorID
	if advisor == 0 {
		advisor = gen.staff.advisorFor(r)
	}
	switch {
	case direction == 1 && channel == "mail":
		if chance(r, 0.7) {
			return 0
		}
		return advisor
	case direction == 1 || channel == "visit" || channel == "fax":
		return advisor
	case channel == "phone":
		if c.advisorID != 0 && chance(r, 0.5) {
			return c.advisorID
		}
		return gen.staff.advisorFor(r)
	default:
		if c.advisorID != 0 && chance(r, 0.4) {
			return c.advisorID
		}
		return 0
	}
}

// Consents: a history of gives and withdrawals per purpose and channel.

// consentWordings are the versions of the consent text; each row records
// the version the client saw.
var consentWordings = []struct {
	from    day
	version string
}{
	{dayOf(2018, 5, 25), "2018-05"}, // GDPR applies
	{dayOf(2020, 1, 15), "2020-01"},
	{dayOf(2022, 6, 1), "2022-06"},
	{dayOf(2024, 3, 1), "2024-03"},
}

func wordingAt(d day) string {
	v := consentWordings[0].version
	for _, w := range consentWordings {
		if d >= w.from {
			v = w.version
		}
	}
	return v
}

// consentTopics: how many clients are ever asked (have a record) and how
// many of those say yes at first. Calibrated so that, after later
// withdrawals and re-grants, about 60 % consent to marketing e-mail, 35 %
// to SMS, 25 % to calls, 70 % to profiling (about 15 % object to it).
var consentTopics = []struct {
	purpose, channel string
	recorded, yes    float64
}{
	{"marketing", "email", 0.9, 0.72},
	{"marketing", "sms", 0.8, 0.42},
	{"marketing", "phone", 0.75, 0.28},
	{"profiling", "any", 0.85, 0.93},
	{"third_party_sharing", "any", 0.15, 0.3},
	// Personalised offers in the portal and the app (added last so that
	// the draws of the older topics stay as they were).
	{"marketing", "web", 0.85, 0.8},
}

var consentColumns = []string{"id", "client_id", "purpose", "channel", "granted", "wording_version", "source", "staff_id", "recorded_at"}

func (gen *generator) writeConsents(w *rowWriter) error {
	return gen.forEachGroup(w, needProfile, func(grp *group) {
		for _, c := range grp.members {
			gen.writeClientConsents(w, c)
		}
	})
}

func (gen *generator) writeClientConsents(w *rowWriter, c *client) {
	r := gen.rand(streamConsents, uint64(c.index))
	gdpr := consentWordings[0].from
	first := max(c.since, gdpr) + day(r.IntN(60))
	if first > gen.asOf {
		first = gen.asOf
	}
	record := func(purpose, channel string, granted bool, at day, source string) {
		staff := int64(0)
		if source == "advisor" {
			staff = c.advisorID
			if staff == 0 {
				staff = gen.staff.advisorFor(r)
			}
		}
		gen.counters.consents++
		w.row(len(consentColumns))
		w.int8(gen.counters.consents)
		w.int8(c.id)
		w.text(purpose)
		w.text(channel)
		w.bool(granted)
		w.text(wordingAt(at))
		w.text(source)
		w.int8OrNull(staff)
		w.timestamptz(at.at(7+r.IntN(13), r.IntN(60), r.IntN(60)))
	}
	source := func(d day) string {
		if d < dayOf(2020, 1, 1) {
			return []string{"paper", "advisor", "import"}[weights{60, 30, 10}.pick(r)]
		}
		return []string{"portal", "advisor", "paper"}[weights{60, 30, 10}.pick(r)]
	}
	firstSource := source(first)
	for _, t := range consentTopics {
		recorded, yes := chance(r, t.recorded), chance(r, t.yes)
		if c.id == DemoClientID {
			recorded = true
			yes = t.purpose != "third_party_sharing" && t.channel != "phone"
		}
		if !recorded {
			continue
		}
		record(t.purpose, t.channel, yes, first, firstSource)
		at := first
		// A new wording is confirmed by some clients when it appears.
		for _, wv := range consentWordings {
			if wv.from > at && wv.from <= gen.asOf && chance(r, 0.08) {
				at = wv.from + day(r.IntN(90))
				if at > gen.asOf {
					break
				}
				record(t.purpose, t.channel, yes, at, "portal")
			}
		}
		// Some change their mind later (withdraw, or agree after refusing).
		if c.id != DemoClientID && chance(r, 0.12) && at < gen.asOf {
			at += day(1 + r.IntN(int(gen.asOf-at)))
			record(t.purpose, t.channel, !yes, at, source(at))
		}
	}
}
