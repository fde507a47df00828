package selfservice

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
)

// The profile page: the form (its values either from the stored profile
// or, after a refused submission, exactly as the client typed them), the
// consents and the download of the client's data.

// formField is one input of the profile form.
// formField and formOption are the shared page form field.
type (
	formField  = page.FormField
	formOption = page.FormOption
)

// formOption is one choice of a select; LabelKey is translated, Label
// (a currency code) is shown as it is.
// fieldGroup is a fieldset of the form.
type fieldGroup struct {
	ID        string
	LegendKey string
	Fields    []formField
}

// profileFormSpec is the form's layout, without values.
var profileFormSpec = []fieldGroup{
	{ID: "contact", LegendKey: "portal.profile.group.contact", Fields: []formField{
		{Name: "email", Type: "email", Autocomplete: "email", MaxLength: maxEmailLength},
		{Name: "phone", Type: "tel", Autocomplete: "tel", HintKey: "portal.profile.hint.phone", MaxLength: 20},
	}},
	{ID: "address", LegendKey: "portal.profile.group.address", Fields: []formField{
		{Name: "address_line1", Type: "text", Autocomplete: "address-line1", MaxLength: maxTextLength},
		{Name: "address_line2", Type: "text", Autocomplete: "address-line2", MaxLength: maxTextLength},
		{Name: "city", Type: "text", Autocomplete: "address-level2", MaxLength: maxTextLength},
		{Name: "postal_code", Type: "text", Autocomplete: "postal-code", MaxLength: 10},
		{Name: "country", Type: "text", Autocomplete: "country", HintKey: "portal.profile.hint.country", MaxLength: 2},
	}},
	{ID: "household", LegendKey: "portal.profile.group.household", Fields: []formField{
		{Name: "marital_status", Type: "select"},
		{Name: "dependants", Type: "text", InputMode: "numeric", HintKey: "portal.profile.hint.dependants", MaxLength: 2},
	}},
	{ID: "work", LegendKey: "portal.profile.group.work", Fields: []formField{
		{Name: "employment_status", Type: "select"},
		{Name: "occupation", Type: "text", Autocomplete: "organization-title", MaxLength: maxTextLength},
		{Name: "employer", Type: "text", Autocomplete: "organization", MaxLength: maxTextLength},
		{Name: "annual_income.amount", Type: "text", InputMode: "decimal", HintKey: "portal.profile.hint.income", MaxLength: 20},
		{Name: "annual_income.currency", Type: "select"},
	}},
	{ID: "preferences", LegendKey: "portal.profile.group.preferences", Fields: []formField{
		{Name: "preferred_channel", Type: "select"},
		{Name: "preferred_language", Type: "select"},
	}},
}

// choices gives each select's options: value and label key ("" values
// mean "not stated").
func choices(field string) []formOption {
	keyed := func(prefix string, values []string, optional bool) []formOption {
		var opts []formOption
		if optional {
			opts = append(opts, formOption{Value: "", LabelKey: "portal.profile.not_stated"})
		}
		for _, v := range values {
			opts = append(opts, formOption{Value: v, LabelKey: prefix + v})
		}
		return opts
	}
	switch field {
	case "marital_status":
		return keyed("portal.marital_status.", MaritalStatuses, true)
	case "employment_status":
		return keyed("portal.employment_status.", EmploymentStatuses, true)
	case "preferred_channel":
		return keyed("portal.channel.", ContactChannels, true)
	case "preferred_language":
		var opts []formOption
		for _, tag := range i18n.Supported() {
			opts = append(opts, formOption{Value: tag.String(), LabelKey: "lang." + tag.String()})
		}
		return opts
	case "annual_income.currency":
		opts := []formOption{{Value: "", LabelKey: "portal.profile.not_stated"}}
		for _, c := range IncomeCurrencies {
			opts = append(opts, formOption{Value: c, Label: c})
		}
		return opts
	}
	return nil
}

// profileFormFromProfile writes the stored profile as form values.
func profileFormFromProfile(p *Profile, l *i18n.Localizer) url.Values {
	v := url.Values{}
	set := func(name string, s *string) {
		if s != nil {
			v.Set(name, *s)
		} else {
			v.Set(name, "")
		}
	}
	set("email", p.Email)
	set("phone", p.Phone)
	set("address_line1", p.AddressLine1)
	set("address_line2", p.AddressLine2)
	set("city", p.City)
	set("postal_code", p.PostalCode)
	set("country", p.Country)
	set("marital_status", p.MaritalStatus)
	v.Set("dependants", strconv.Itoa(p.Dependants))
	if p.AnnualIncome != nil {
		places, _ := ecrm.CurrencyMinorUnits(p.AnnualIncome.Currency)
		v.Set("annual_income.amount", l.Decimal(p.AnnualIncome.Value(), places)) // as the page writes amounts
		v.Set("annual_income.currency", p.AnnualIncome.Currency)
	} else {
		v.Set("annual_income.amount", "")
		v.Set("annual_income.currency", "")
	}
	set("employment_status", p.EmploymentStatus)
	set("occupation", p.Occupation)
	set("employer", p.Employer)
	set("preferred_channel", p.PreferredChannel)
	v.Set("preferred_language", p.PreferredLanguage)
	return v
}

// profileUpdateFromForm reads the submitted form. A field missing from the
// submission is left unchanged; the form always sends every field.
func profileUpdateFromForm(form url.Values, l *i18n.Localizer) ProfileUpdate {
	var u ProfileUpdate
	text := func(name string) *string {
		vs, ok := form[name]
		if !ok || len(vs) == 0 {
			return nil
		}
		return &vs[0]
	}
	u.Email = text("email")
	u.Phone = text("phone")
	u.AddressLine1 = text("address_line1")
	u.AddressLine2 = text("address_line2")
	u.City = text("city")
	u.PostalCode = text("postal_code")
	u.Country = text("country")
	u.MaritalStatus = text("marital_status")
	if s := text("dependants"); s != nil {
		raw := json.RawMessage(*s)
		u.Dependants = &raw
	}
	amount, currency := text("annual_income.amount"), text("annual_income.currency")
	if amount != nil || currency != nil {
		inc := IncomeUpdate{}
		if amount != nil {
			// Typed as the page writes amounts ("45.000,00" in Romanian);
			// what does not read stays as typed, for validation to name.
			inc.Amount = *amount
			if d, ok := l.ParseAmount(*amount); ok {
				inc.Amount = d.String()
			}
		}
		if currency != nil {
			inc.Currency = *currency
		}
		u.AnnualIncome = &inc
	}
	u.EmploymentStatus = text("employment_status")
	u.Occupation = text("occupation")
	u.Employer = text("employer")
	u.PreferredChannel = text("preferred_channel")
	u.PreferredLanguage = text("preferred_language")
	return u
}

// profileFormGroups fills the form's layout with values and errors.
func profileFormGroups(values url.Values, problems []ecrm.FieldError) []fieldGroup {
	errs := map[string]string{}
	for _, p := range problems {
		if _, dup := errs[p.Field]; !dup {
			errs[p.Field] = p.Message
		}
	}
	groups := make([]fieldGroup, len(profileFormSpec))
	for i, g := range profileFormSpec {
		groups[i] = fieldGroup{ID: g.ID, LegendKey: g.LegendKey, Fields: make([]formField, len(g.Fields))}
		for j, f := range g.Fields {
			f.ID = fieldID(f.Name)
			f.LabelKey = "portal.profile.field." + f.Name
			f.Value = values.Get(f.Name)
			f.Error = errs[f.Name]
			if f.Type == "select" {
				f.Options = choices(f.Name)
				for k := range f.Options {
					f.Options[k].Selected = f.Options[k].Value == f.Value
				}
			}
			groups[i].Fields[j] = f
		}
	}
	return groups
}

// fieldID is the HTML id of a form field: "profile-annual_income-amount".
func fieldID(name string) string {
	return "profile-" + strings.ReplaceAll(name, ".", "-")
}

// summaryItem is one line of the error summary above the form.
type summaryItem struct {
	ID       string
	LabelKey string
	Message  string
}

// profilePage is the data of the profile page.
type profilePage struct {
	Groups  []fieldGroup
	Summary []summaryItem
	Saved   string // "profile", "consent" or "email" after a successful change
	// Pending is a new e-mail address waiting for its confirmation.
	Pending        *PendingEmail
	Consents       []Consent
	WordingVersion string
	Changes        []changeView
	Zone           *time.Location
}

// changeView is a profile change as the page shows it.
type changeView struct {
	FieldKey  string
	Old, New  string
	ActorKey  string
	ChangedAt time.Time
}

func (h *Handler) renderProfile(w http.ResponseWriter, r *http.Request, clientID int64, status int, values url.Values, problems []ecrm.FieldError, saved string) error {
	ctx := r.Context()
	consents, err := h.svc.Consents(ctx, clientID)
	if err != nil {
		return err
	}
	changes, err := h.svc.RecentProfileChanges(ctx, clientID, 10)
	if err != nil {
		return err
	}
	l := i18n.FromContext(ctx)
	data := profilePage{
		Groups:         profileFormGroups(values, problems),
		Consents:       consents,
		WordingVersion: ConsentWordingVersion,
		Zone:           h.svc.zone,
	}
	if saved == "profile" || saved == "consent" || saved == "email" {
		data.Saved = saved
	}
	if data.Pending, err = h.svc.pendingEmail(ctx, h.svc.pool, clientID); err != nil {
		return err
	}
	for _, p := range problems {
		data.Summary = append(data.Summary, summaryItem{ID: fieldID(p.Field), LabelKey: "portal.profile.field." + p.Field, Message: p.Message})
	}
	for _, c := range changes {
		data.Changes = append(data.Changes, changeView{
			FieldKey:  "portal.profile.field." + c.Field,
			Old:       displayValue(l, c.Field, c.OldValue),
			New:       displayValue(l, c.Field, c.NewValue),
			ActorKey:  "portal.profile.changes.actor." + c.ActorKind,
			ChangedAt: c.ChangedAt,
		})
	}
	h.pages.Render(w, r, status, "portal_profile", data)
	return nil
}

// displayValue shows a recorded profile value in the reader's language:
// choices by their label, income as money, nothing as a dash.
func displayValue(l *i18n.Localizer, field string, v *string) string {
	if v == nil || *v == "" {
		return "—"
	}
	switch field {
	case "marital_status", "employment_status":
		return l.T("portal." + field + "." + *v)
	case "preferred_channel":
		return l.T("portal.channel." + *v)
	case "preferred_language":
		return l.T("lang." + *v)
	case "annual_income":
		if amount, currency, ok := strings.Cut(*v, " "); ok {
			if d, err := decimal.NewFromString(amount); err == nil {
				return l.Money(ecrm.Money{Amount: d, Currency: currency})
			}
		}
	}
	return *v
}
