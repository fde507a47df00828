package selfservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/pgdb"
)

// Profile is what the client can see and keep up to date about themselves.
// Optional fields are nil when not given.
type Profile struct {
	ClientID          int64   `json:"client_id"`
	GivenName         string  `json:"given_name"`
	FamilyName        string  `json:"family_name"`
	Email             *string `json:"email"`
	EmailVerified     bool    `json:"email_verified"`
	Phone             *string `json:"phone"`
	AddressLine1      *string `json:"address_line1"`
	AddressLine2      *string `json:"address_line2"`
	City              *string `json:"city"`
	PostalCode        *string `json:"postal_code"`
	Country           *string `json:"country"`
	MaritalStatus     *string `json:"marital_status"`
	Dependants        int     `json:"dependants"`
	AnnualIncome      *Money  `json:"annual_income"`
	EmploymentStatus  *string `json:"employment_status"`
	Occupation        *string `json:"occupation"`
	Employer          *string `json:"employer"`
	PreferredChannel  *string `json:"preferred_channel"`
	PreferredLanguage string  `json:"preferred_language"`
	// UpdatedAt is when the client record last changed.
	UpdatedAt time.Time `json:"updated_at"`
	// PendingEmail is a new address the client has not confirmed yet;
	// Email stays in use until she does.
	PendingEmail *PendingEmail `json:"pending_email"`
}

// ProfileUpdate is a partial update: a nil field (absent or null in JSON)
// is left as it is. An empty string clears an optional text or choice
// field; an annual income with empty amount and currency clears the
// income. Dependants is kept as the raw JSON (or form) text so that any
// wrong value, 2.5 or "two", gets the same message naming the field.
type ProfileUpdate struct {
	Email             *string          `json:"email"`
	Phone             *string          `json:"phone"`
	AddressLine1      *string          `json:"address_line1"`
	AddressLine2      *string          `json:"address_line2"`
	City              *string          `json:"city"`
	PostalCode        *string          `json:"postal_code"`
	Country           *string          `json:"country"`
	MaritalStatus     *string          `json:"marital_status"`
	Dependants        *json.RawMessage `json:"dependants"`
	AnnualIncome      *IncomeUpdate    `json:"annual_income"`
	EmploymentStatus  *string          `json:"employment_status"`
	Occupation        *string          `json:"occupation"`
	Employer          *string          `json:"employer"`
	PreferredChannel  *string          `json:"preferred_channel"`
	PreferredLanguage *string          `json:"preferred_language"`
}

// IncomeUpdate is an annual income as entered: the amount as a decimal
// string ("45000.00") and an ISO 4217 currency.
type IncomeUpdate struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// ProfileChange is one recorded change of one profile field. Values are
// text: money as "45000.00 RON", a cleared field as nil.
type ProfileChange struct {
	Field     string    `json:"field"`
	OldValue  *string   `json:"old_value"`
	NewValue  *string   `json:"new_value"`
	ActorKind string    `json:"actor_kind"`
	ChangedAt time.Time `json:"changed_at"`
}

// The choices of the profile, as the schema's CHECK constraints allow them.
var (
	MaritalStatuses    = []string{"single", "married", "partnership", "divorced", "widowed"}
	EmploymentStatuses = []string{"employed", "self_employed", "unemployed", "retired", "student", "homemaker"}
	ContactChannels    = []string{"email", "phone", "sms", "mail", "web", "visit", "fax"}
	// IncomeCurrencies are offered on the profile page; the API accepts
	// any currency ecrm knows.
	IncomeCurrencies = []string{"RON", "EUR", "USD", "GBP", "CHF", "HUF", "PLN", "CZK", "BGN", "SEK", "DKK", "NOK", "JPY"}
)

// ProfileFields lists the editable fields in the order of the form; field
// errors are reported in this order.
var ProfileFields = []string{
	"email", "phone", "address_line1", "address_line2", "city", "postal_code", "country",
	"marital_status", "dependants", "annual_income.amount", "annual_income.currency",
	"employment_status", "occupation", "employer", "preferred_channel", "preferred_language",
}

// Limits on free text, generous for real addresses and job titles.
const (
	maxEmailLength = 254 // RFC 5321 path limit
	maxTextLength  = 100
	maxDependants  = 20
)

var (
	// emailPattern is the shape ecrm stores (and the schema checks), with
	// a dot in the domain; net/mail checks the rest of the syntax.
	emailPattern      = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	phonePattern      = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`) // E.164
	postalCodePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$`)
	countryPattern    = regexp.MustCompile(`^[A-Z]{2}$`)
	// maxIncome keeps the amount inside numeric(18,2).
	maxIncome = decimal.New(1, 16)
)

// Profile returns the client's profile.
func (s *Service) Profile(ctx context.Context, clientID int64) (*Profile, error) {
	p, err := scanProfile(s.pool.QueryRow(ctx, profileSQL, clientID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound()
	}
	if err != nil {
		return nil, fmt.Errorf("read profile of client %d: %w", clientID, err)
	}
	if p.PendingEmail, err = s.pendingEmail(ctx, s.pool, clientID); err != nil {
		return nil, err
	}
	return p, nil
}

// RecentProfileChanges returns the latest changes to the client's profile,
// newest first.
func (s *Service) RecentProfileChanges(ctx context.Context, clientID int64, limit int) ([]ProfileChange, error) {
	changes, err := queryRecentProfileChanges(ctx, s.pool, clientID, limit)
	if err != nil {
		return nil, fmt.Errorf("read profile changes of client %d: %w", clientID, err)
	}
	return changes, nil
}

// UpdateProfile validates the update field by field and, when every field
// is valid, applies it in one transaction: the client row and one
// profile_changes row per field whose value changes (actor "client", the
// request id for the audit trail). Unchanged fields record nothing. An
// invalid update is an EINVALID *ecrm.Error carrying one message per
// field, in the language of ctx (i18n.FromContext), and writes nothing.
func (s *Service) UpdateProfile(ctx context.Context, clientID int64, u ProfileUpdate, requestID string) (*Profile, []ProfileChange, error) {
	l := i18n.FromContext(ctx)
	if problems := u.Validate(l); len(problems) > 0 {
		return nil, nil, invalidProfile(l, problems)
	}
	var updated *Profile
	var changes []ProfileChange
	at := s.now()
	err := pgdb.Transact(ctx, s.pool, pgx.ReadCommitted, func(tx pgx.Tx) error {
		old, err := scanProfile(tx.QueryRow(ctx, profileForUpdateSQL, clientID))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound()
		}
		if err != nil {
			return err
		}
		if problems := u.emptiedRequired(old, l); len(problems) > 0 {
			return invalidProfile(l, problems)
		}
		updated = u.applyTo(old)
		// A new e-mail address waits for its confirmation; the old one
		// stays in use until then.
		var newEmail string
		if updated.Email != nil && (old.Email == nil || !strings.EqualFold(*updated.Email, *old.Email)) {
			newEmail, updated.Email, updated.EmailVerified = *updated.Email, old.Email, old.EmailVerified
		}
		if updated.PendingEmail, err = s.pendingEmail(ctx, tx, clientID); err != nil {
			return err
		}
		// The address already waiting for its confirmation is not asked
		// again: the form sends every field at every save.
		if newEmail != "" && (updated.PendingEmail == nil || !strings.EqualFold(updated.PendingEmail.Email, newEmail)) {
			if updated.PendingEmail, err = s.requestEmailChange(ctx, tx, old, newEmail, at, l); err != nil {
				return err
			}
		} else {
			newEmail = ""
		}
		changes = diffProfiles(old, updated, at)
		if len(changes) == 0 && newEmail == "" {
			return nil
		}
		if len(changes) > 0 {
			updated.UpdatedAt = at
			if err := updateProfile(ctx, tx, updated, at); err != nil {
				return err
			}
			if err := insertProfileChanges(ctx, tx, clientID, changes, requestID, at); err != nil {
				return err
			}
		}
		return insertPortalAction(ctx, tx, clientID, ActionProfileUpdate, "", at)
	})
	if err != nil {
		if ecrm.ErrorCode(err) != ecrm.EINTERNAL {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("update profile of client %d: %w", clientID, err)
	}
	return updated, changes, nil
}

// invalidProfile is the error for an update with invalid fields.
func invalidProfile(l *i18n.Localizer, problems []ecrm.FieldError) *ecrm.Error {
	sortFieldErrors(problems)
	return &ecrm.Error{Code: ecrm.EINVALID, Message: l.T("portal.profile.error.invalid"), Fields: problems}
}

// sortFieldErrors puts errors in the order of the form, so that the first
// message is about the first wrong field a person meets.
func sortFieldErrors(problems []ecrm.FieldError) {
	slices.SortStableFunc(problems, func(a, b ecrm.FieldError) int {
		return fieldRank(a.Field) - fieldRank(b.Field)
	})
}

func fieldRank(field string) int {
	if i := slices.Index(ProfileFields, field); i >= 0 {
		return i
	}
	return len(ProfileFields)
}

// emptiedRequired refuses to empty a field the firm must keep once it has
// it (it must be able to write to the client: KYC keeps an e-mail and an
// address); a field that was empty may stay empty.
func (u ProfileUpdate) emptiedRequired(old *Profile, l *i18n.Localizer) []ecrm.FieldError {
	var problems []ecrm.FieldError
	for _, f := range []struct {
		name     string
		new, old *string
	}{{"email", u.Email, old.Email}, {"address_line1", u.AddressLine1, old.AddressLine1}, {"city", u.City, old.City}, {"country", u.Country, old.Country}} {
		if f.new != nil && strings.TrimSpace(*f.new) == "" && f.old != nil && strings.TrimSpace(*f.old) != "" {
			problems = append(problems, ecrm.FieldError{Field: f.name, Message: l.T("portal.profile.error.required")})
		}
	}
	return problems
}

// Validate checks every field that is set and returns one translated
// message per invalid field, or nil.
func (u ProfileUpdate) Validate(l *i18n.Localizer) []ecrm.FieldError {
	var problems []ecrm.FieldError
	fail := func(field, key string, args ...any) {
		problems = append(problems, ecrm.FieldError{Field: field, Message: l.T(key, args...)})
	}
	// text checks free text: length and no control characters (a line
	// break in an address line would break letters and exports).
	text := func(field string, v *string, max int) bool {
		if v == nil {
			return false
		}
		s := strings.TrimSpace(*v)
		if utf8.RuneCountInString(s) > max {
			fail(field, "portal.profile.error.too_long", max)
			return false
		}
		if strings.IndexFunc(s, unicode.IsControl) >= 0 || !utf8.ValidString(s) {
			fail(field, "portal.profile.error.characters")
			return false
		}
		return s != ""
	}
	choice := func(field string, v *string, allowed []string) {
		if v != nil && *v != "" && !slices.Contains(allowed, *v) {
			fail(field, "portal.profile.error.choice")
		}
	}

	if text("email", u.Email, maxEmailLength) {
		s := strings.TrimSpace(*u.Email)
		if addr, err := mail.ParseAddress(s); err != nil || addr.Address != s || addr.Name != "" || !emailPattern.MatchString(s) {
			fail("email", "portal.profile.error.email")
		}
	}
	if u.Phone != nil && strings.TrimSpace(*u.Phone) != "" && !phonePattern.MatchString(normalizePhone(*u.Phone)) {
		fail("phone", "portal.profile.error.phone")
	}
	text("address_line1", u.AddressLine1, maxTextLength)
	text("address_line2", u.AddressLine2, maxTextLength)
	text("city", u.City, maxTextLength)
	if u.PostalCode != nil {
		if s := strings.TrimSpace(*u.PostalCode); s != "" && !postalCodePattern.MatchString(s) {
			fail("postal_code", "portal.profile.error.postal_code")
		}
	}
	if u.Country != nil {
		if s := strings.TrimSpace(*u.Country); s != "" && !isCountryCode(s) {
			fail("country", "portal.profile.error.country")
		}
	}
	choice("marital_status", u.MaritalStatus, MaritalStatuses)
	if u.Dependants != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(*u.Dependants))); err != nil || n < 0 || n > maxDependants {
			fail("dependants", "portal.profile.error.dependants", maxDependants)
		}
	}
	if inc := u.AnnualIncome; inc != nil {
		amountText, currency := strings.TrimSpace(inc.Amount), strings.TrimSpace(inc.Currency)
		if amountText != "" || currency != "" {
			amount, err := ecrm.ParseDecimal(amountText)
			switch {
			case err != nil || amount.IsNegative():
				fail("annual_income.amount", "portal.profile.error.income_amount")
			case amount.GreaterThanOrEqual(maxIncome):
				fail("annual_income.amount", "portal.profile.error.income_too_large")
			}
			units, known := ecrm.CurrencyMinorUnits(currency)
			if !known {
				fail("annual_income.currency", "portal.profile.error.income_currency")
			} else if err == nil {
				if _, err := ecrm.NewMoney(amount, currency); err != nil {
					fail("annual_income.amount", "portal.profile.error.income_places", int(units), currency)
				}
			}
		}
	}
	choice("employment_status", u.EmploymentStatus, EmploymentStatuses)
	text("occupation", u.Occupation, maxTextLength)
	text("employer", u.Employer, maxTextLength)
	choice("preferred_channel", u.PreferredChannel, ContactChannels)
	if u.PreferredLanguage != nil {
		if _, ok := i18n.ParseLanguage(*u.PreferredLanguage); !ok || *u.PreferredLanguage != strings.ToLower(*u.PreferredLanguage) {
			fail("preferred_language", "portal.profile.error.choice")
		}
	}
	sortFieldErrors(problems)
	return problems
}

// isCountryCode accepts an ISO 3166-1 alpha-2 code officially assigned to
// a country or territory, in capitals: "RO", not "ro", nor a reserved or
// user-assigned code such as "UK", "EU" or "XK".
func isCountryCode(s string) bool {
	return countryPattern.MatchString(s) && strings.Contains(iso3166Alpha2, s+" ")
}

// iso3166Alpha2 lists the 249 officially assigned ISO 3166-1 alpha-2
// codes, each followed by a space.
const iso3166Alpha2 = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ " +
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ " +
	"DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY " +
	"HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY " +
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY " +
	"QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ " +
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ " +
	"VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW "

// normalizePhone drops the spaces people type between digit groups.
func normalizePhone(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), " ", "")
}

// applyTo returns a copy of old with the update applied. It expects a
// validated update.
func (u ProfileUpdate) applyTo(old *Profile) *Profile {
	p := *old
	optional := func(dst **string, v *string, normalize func(string) string) {
		if v == nil {
			return
		}
		s := strings.TrimSpace(*v)
		if normalize != nil {
			s = normalize(s)
		}
		if s == "" {
			*dst = nil
			return
		}
		*dst = &s
	}
	optional(&p.Email, u.Email, nil)
	optional(&p.Phone, u.Phone, normalizePhone)
	optional(&p.AddressLine1, u.AddressLine1, nil)
	optional(&p.AddressLine2, u.AddressLine2, nil)
	optional(&p.City, u.City, nil)
	optional(&p.PostalCode, u.PostalCode, nil)
	optional(&p.Country, u.Country, nil)
	optional(&p.MaritalStatus, u.MaritalStatus, nil)
	if u.Dependants != nil {
		p.Dependants, _ = strconv.Atoi(strings.TrimSpace(string(*u.Dependants)))
	}
	if inc := u.AnnualIncome; inc != nil {
		amountText, currency := strings.TrimSpace(inc.Amount), strings.TrimSpace(inc.Currency)
		if amountText == "" && currency == "" {
			p.AnnualIncome = nil
		} else {
			m := newMoney(decimal.RequireFromString(amountText), currency)
			p.AnnualIncome = &m
		}
	}
	optional(&p.EmploymentStatus, u.EmploymentStatus, nil)
	optional(&p.Occupation, u.Occupation, nil)
	optional(&p.Employer, u.Employer, nil)
	optional(&p.PreferredChannel, u.PreferredChannel, nil)
	if u.PreferredLanguage != nil {
		p.PreferredLanguage = *u.PreferredLanguage
	}
	// As in the UPDATE: a new address has not been verified.
	if !sameText(old.Email, p.Email) {
		p.EmailVerified = false
	}
	return &p
}

func sameText(a, b *string) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// profileValues writes each recorded field of p as text, in the order of
// the form: the representation kept in profile_changes.
func profileValues(p *Profile) []struct {
	field string
	value *string
} {
	str := func(s string) *string { return &s }
	var income *string
	if p.AnnualIncome != nil {
		income = str(p.AnnualIncome.String())
	}
	return []struct {
		field string
		value *string
	}{
		{"email", p.Email}, {"phone", p.Phone}, {"address_line1", p.AddressLine1},
		{"address_line2", p.AddressLine2}, {"city", p.City}, {"postal_code", p.PostalCode},
		{"country", p.Country}, {"marital_status", p.MaritalStatus},
		{"dependants", str(strconv.Itoa(p.Dependants))}, {"annual_income", income},
		{"employment_status", p.EmploymentStatus}, {"occupation", p.Occupation},
		{"employer", p.Employer}, {"preferred_channel", p.PreferredChannel},
		{"preferred_language", str(p.PreferredLanguage)},
	}
}

// diffProfiles lists the fields whose text differs. Income compares as
// text, so 45000 RON and 45000.00 RON are the same income.
func diffProfiles(old, updated *Profile, at time.Time) []ProfileChange {
	before, after := profileValues(old), profileValues(updated)
	var changes []ProfileChange
	for i := range before {
		o, n := before[i].value, after[i].value
		if sameText(o, n) {
			continue
		}
		changes = append(changes, ProfileChange{Field: before[i].field, OldValue: o, NewValue: n, ActorKind: "client", ChangedAt: at})
	}
	return changes
}

// postalAddress is the profile's address on one line, for documents.
func (p *Profile) postalAddress() string {
	var parts []string
	for _, v := range []*string{p.AddressLine1, p.AddressLine2, p.PostalCode, p.City, p.Country} {
		if v != nil && *v != "" {
			parts = append(parts, *v)
		}
	}
	return strings.Join(parts, ", ")
}
