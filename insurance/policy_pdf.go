package insurance

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/document"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// The policy schedule: the document that states what a policy covers and
// on which terms (the insured, the insurer, the period, the sum insured,
// the terms and conditions version, the premium schedule), made from the
// versioned template internal/document/templates/policy_schedule.v<N>.*
// in the reader's language.

// policyScheduleKind is the document template's kind.
const policyScheduleKind = "policy_schedule"

// PolicyScheduleDoc is what the template is filled with, every value
// already written in the reader's language.
type PolicyScheduleDoc struct {
	Firm         string
	Number       string
	Insured      string
	Insurer      string
	Line         string
	Status       string
	Period       string
	SumInsured   string
	Premium      string
	Frequency    string
	TermPremium  string
	TermsVersion string
	Renews       string
	Instalments  []PolicyScheduleLine
	Issued       string
}

// PolicyScheduleLine is one instalment of the schedule.
type PolicyScheduleLine struct {
	Due, Amount, Status string
}

// PolicySchedule makes the policy schedule PDF of the client's policy in
// l's language.
func PolicySchedule(ctx context.Context, policies *Policies, docs *document.Renderer, firm string, clientID, id int64, l *i18n.Localizer) (document.Document, *PolicyDetail, error) {
	d, err := policies.Get(ctx, clientID, id)
	if err != nil {
		return document.Document{}, nil, err
	}
	var given, family string
	if err := policies.pool.QueryRow(ctx, `SELECT given_name, family_name FROM clients WHERE id = $1`, clientID).Scan(&given, &family); err != nil {
		return document.Document{}, nil, fmt.Errorf("policy schedule: client: %w", err)
	}
	last := d.LastDay()
	data := PolicyScheduleDoc{
		Firm: firm, Number: d.PolicyNumber, Insured: given + " " + family, Insurer: d.Insurer,
		Line:       l.T("portal.policy_line." + d.Line),
		Status:     l.T("portal.policy_status." + d.Status),
		Period:     l.T("insurance.policy.period", l.Date(d.StartsOn.Time), l.Date(last)),
		SumInsured: l.Money(d.SumInsured),
		Premium:    l.Money(d.Premium),
		Frequency:  l.T("insurance.policy.frequency." + d.PremiumFrequency),
		Issued:     l.Date(policies.Today()),
	}
	if d.TermPremium != nil {
		data.TermPremium = l.Money(*d.TermPremium)
	}
	data.TermsVersion = d.TermsVersion
	if data.TermsVersion == "" {
		data.TermsVersion = l.T("insurance.policy.terms_not_recorded")
	}
	if len(d.History) > 0 {
		data.Renews = d.History[0].PolicyNumber
	}
	for _, in := range d.Instalments {
		data.Instalments = append(data.Instalments, PolicyScheduleLine{
			Due: l.Date(in.DueOn.Time), Amount: l.Money(in.Amount), Status: l.T("insurance.policy.payment." + in.PaymentStatus),
		})
	}
	doc, err := docs.Make(policyScheduleKind, l.Lang().String(), data)
	if err != nil {
		return document.Document{}, nil, err
	}
	return doc, d, nil
}

func (h *PolicyHandler) schedulePDF(w http.ResponseWriter, r *http.Request, clientID int64) error {
	id, err := policyIDParam(r)
	if err != nil {
		return err
	}
	if h.documents == nil {
		return ecrm.Errorf(ecrm.ENOTIMPLEMENTED, "Documents are not available.")
	}
	doc, d, err := PolicySchedule(r.Context(), h.policies, h.documents, h.firm, clientID, id, i18n.FromContext(r.Context()))
	if err != nil {
		return err
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/pdf")
	hdr.Set("Content-Disposition", `attachment; filename="policy-schedule-`+d.PolicyNumber+`.pdf"`)
	hdr.Set("X-Template-Version", strconv.Itoa(doc.TemplateVersion))
	_, err = w.Write(doc.PDF)
	return err
}
