package advisor

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/crosssell"
	"github.com/ecrm-project/ecrm/internal/chart"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/sheet"
	"github.com/ecrm-project/ecrm/internal/web"
	"github.com/ecrm-project/ecrm/products"
)

// Campaigns (issue 14, item 6) in the console: the list with a form for
// a new one, each campaign's page with its report (sent, blocked by
// reason, opened, accepted, conversion of treatment against control and
// the uplift with its 95 % interval, a chart, .xlsx and CSV), and the same
// as JSON. An advisor creates, launches and reads campaigns for her own
// book; an administrator for any audience; compliance reads them all.

// SetCampaigns wires the campaigns (nil: the routes answer 404).
func (h *Handler) SetCampaigns(c *crosssell.Campaigns) { h.campaigns = c }

func (h *Handler) campaignRoutes(r chi.Router) {
	read := func(fn campaignHandler) http.HandlerFunc { return h.onCampaigns(false, fn) }
	work := func(fn campaignHandler) http.HandlerFunc { return h.onCampaigns(true, fn) }
	r.Get("/console/campaigns", read(h.showCampaigns))
	r.Post("/console/campaigns", work(h.createCampaignForm))
	r.Get("/console/campaigns/{id}", read(h.showCampaign))
	r.Post("/console/campaigns/{id}/launch", work(h.launchCampaignForm))

	r.Get("/api/v1/campaigns", read(h.apiCampaigns))
	r.Post("/api/v1/campaigns", work(h.apiCreateCampaign))
	r.Get("/api/v1/campaigns/{id}", read(h.apiCampaignReport))
	r.Post("/api/v1/campaigns/{id}/launch", work(h.apiLaunchCampaign))
}

// campaignHandler handles a campaign route for the caller as campaign
// staff, with the path's {id} (0 on routes without one).
type campaignHandler func(w http.ResponseWriter, r *http.Request, s crosssell.CampaignStaff, id int64) error

func (h *Handler) onCampaigns(work bool, fn campaignHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := func() error {
			if h.campaigns == nil {
				return ecrm.Errorf(ecrm.ENOTFOUND, "console.error.not_found")
			}
			p := ecrm.PrincipalFrom(r.Context())
			s, err := campaignReader(p)
			if err == nil && work {
				s, err = campaignWriter(p)
			}
			if err != nil {
				return err
			}
			var id int64
			if chi.URLParam(r, "id") != "" {
				if id, err = pathID(r); err != nil {
					return err
				}
			}
			return fn(w, r, s, id)
		}()
		if err != nil {
			h.fail(w, r, err)
		}
	}
}

// campaignReader: advisors read their book's campaigns, compliance and
// administrators all.
func campaignReader(p *ecrm.Principal) (crosssell.CampaignStaff, error) {
	sc, err := ReadScope(p)
	if err != nil {
		return crosssell.CampaignStaff{}, err
	}
	return crosssell.CampaignStaff{StaffID: sc.StaffID, Book: sc.Book}, nil
}

// campaignWriter: an administrator writes campaigns for any audience, an
// advisor for her book; compliance only reads them (it reviews the offers
// a campaign makes, it does not make them).
func campaignWriter(p *ecrm.Principal) (crosssell.CampaignStaff, error) {
	switch {
	case p.HasRole(ecrm.RoleAdmin):
		return crosssell.CampaignStaff{StaffID: p.StaffID}, nil
	case p.HasRole(ecrm.RoleAdvisor):
		return crosssell.CampaignStaff{StaffID: p.StaffID, Book: true}, nil
	}
	return crosssell.CampaignStaff{}, ecrm.Errorf(ecrm.EFORBIDDEN, "console.error.forbidden")
}

// campaignsPage is console_campaigns.html.
type campaignsPage struct {
	Campaigns []crosssell.Campaign
	Zone      *time.Location
	// CanWrite shows the form; ChooseAdvisor its advisor select (admin).
	CanWrite, ChooseAdvisor bool
	Products                []products.Product
	Advisors                []advisorOption
	Segments, LifeStages    []string
	AgeBands                []string
	Values                  url.Values
	Form                    formErrors
}

func (h *Handler) showCampaigns(w http.ResponseWriter, r *http.Request, s crosssell.CampaignStaff, _ int64) error {
	return h.renderCampaigns(w, r, s, http.StatusOK, url.Values{"control_percent": {"10"}}, formErrors{ByField: map[string]string{}})
}

func (h *Handler) renderCampaigns(w http.ResponseWriter, r *http.Request, s crosssell.CampaignStaff, status int, values url.Values, form formErrors) error {
	list, err := h.campaigns.List(r.Context(), s)
	if err != nil {
		return err
	}
	data := campaignsPage{Campaigns: list, Zone: h.store.loc, Segments: crosssell.Segments, LifeStages: crosssell.LifeStages,
		AgeBands: crosssell.AgeBands, Values: values, Form: form}
	if writer, err := campaignWriter(ecrm.PrincipalFrom(r.Context())); err == nil {
		data.CanWrite, data.ChooseAdvisor = true, !writer.Book
		if data.Products, err = h.campaigns.Products(r.Context()); err != nil {
			return err
		}
		if data.ChooseAdvisor {
			if data.Advisors, err = h.reportAdvisors(r.Context()); err != nil {
				return err
			}
		}
	}
	h.render(w, r, status, "console_campaigns", data)
	return nil
}

// campaignInput reads a campaign from form or JSON values; the control
// share is read in the reader's number format.
func campaignInput(l *i18n.Localizer, get func(string) string) crosssell.CampaignInput {
	in := crosssell.CampaignInput{Name: get("name"), Product: get("product"), Channel: get("channel"),
		Audience: crosssell.Audience{Segment: get("segment"), LifeStage: get("life_stage"), AgeBand: get("age_band")}}
	if s := strings.TrimSpace(get("control_percent")); s != "" {
		d, ok := l.ParseAmount(s)
		if !ok {
			// Unreadable: a value the store refuses at the field.
			d = decimal.NewFromInt(-1)
		}
		in.ControlPercent = &d
	}
	if s := strings.TrimSpace(get("advisor_id")); s != "" {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil && id > 0 {
			in.AdvisorID = id
		} else {
			in.AdvisorID = -1 // no such advisor: refused at the field
		}
	}
	return in
}

func (h *Handler) createCampaignForm(w http.ResponseWriter, r *http.Request, s crosssell.CampaignStaff, _ int64) error {
	if err := r.ParseForm(); err != nil {
		return ecrm.Errorf(ecrm.EINVALID, "console.error.bad_form")
	}
	id, err := h.campaigns.Create(r.Context(), campaignInput(i18n.FromContext(r.Context()), r.PostForm.Get), s)
	if ecrm.ErrorCode(err) == ecrm.EINVALID {
		return h.renderCampaigns(w, r, s, http.StatusUnprocessableEntity, r.PostForm, newFormErrors(r, err))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/console/campaigns/"+strconv.FormatInt(id, 10)+"?created=1", http.StatusSeeOther)
	return nil
}

func (h *Handler) launchCampaignForm(w http.ResponseWriter, r *http.Request, s crosssell.CampaignStaff, id int64) error {
	started, err := h.campaigns.Launch(r.Context(), id, s)
	if err != nil {
		return err
	}
	notice := "launched"
	if !started {
		notice = "already_launched"
	}
	http.Redirect(w, r, "/console/campaigns/"+strconv.FormatInt(id, 10)+"?done="+notice, http.StatusSeeOther)
	return nil
}

// campaignPage is console_campaign.html.
type campaignPage struct {
	Report   *crosssell.CampaignReport
	Zone     *time.Location
	CanWrite bool
	// Notice says what was just done (created, launched,
	// already_launched).
	Notice string
	// Figures, Blocked and Groups are the report's tables, formatted.
	Figures, Blocked, Groups []ReportRow
	// Uplift, Lower and Upper in percentage points, formatted.
	Uplift, Lower, Upper string
	Chart                template.HTML
	XLSXHref, CSVHref    string
}

func (h *Handler) showCampaign(w http.ResponseWriter, r *http.Request, s crosssell.CampaignStaff, id int64) error {
	rep, err := h.campaigns.Report(r.Context(), id, s)
	if err != nil {
		return err
	}
	l := i18n.FromContext(r.Context())
	data := campaignPage{Report: rep, Zone: h.store.loc}
	data.Figures, data.Blocked, data.Groups = campaignTables(rep, l)
	if rep.Uplift.Defined {
		d, lo, hi := rep.Uplift.Points()
		data.Uplift, data.Lower, data.Upper = l.Decimal(d, 2), l.Decimal(lo, 2), l.Decimal(hi, 2)
	}
	if format := r.URL.Query().Get("format"); format == "xlsx" || format == "csv" {
		exportCampaign(w, l, rep, data, format)
		return nil
	}
	if writer, err := campaignWriter(ecrm.PrincipalFrom(r.Context())); err == nil {
		data.CanWrite = !writer.Book || rep.Campaign.Audience.AdvisorID == writer.StaffID
	}
	switch n := r.URL.Query().Get("done"); n {
	case "launched", "already_launched":
		data.Notice = n
	}
	if r.URL.Query().Get("created") == "1" {
		data.Notice = "created"
	}
	percent := func(v decimal.Decimal) string { return l.Percent(v, 1) }
	data.Chart = chart.Bars{Title: l.T("console.campaign.chart"), Format: percent,
		Categories: []string{l.T("console.campaign.group.treatment"), l.T("console.campaign.group.control")},
		Series: []chart.Series{{Name: l.T("console.campaign.conversion_rate"),
			Values: []decimal.Decimal{ratio(rep.TreatmentConverted, rep.Treatment), ratio(rep.ControlConverted, rep.Control)}}}}.SVG()
	base := "/console/campaigns/" + strconv.FormatInt(id, 10) + "?format="
	data.XLSXHref, data.CSVHref = base+"xlsx", base+"csv"
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, http.StatusOK, "console_campaign", data)
	return nil
}

// ratio is x/n exactly to four places (0 for an empty group).
func ratio(x, n int) decimal.Decimal {
	if n == 0 {
		return decimal.Zero
	}
	return decimal.NewFromInt(int64(x)).DivRound(decimal.NewFromInt(int64(n)), 4)
}

// campaignTables are the report's tables in the reader's format: the
// figures, the blocked by reason, and the groups' conversion.
func campaignTables(rep *crosssell.CampaignReport, l *i18n.Localizer) (figures, blocked, groups []ReportRow) {
	n := func(v int) string { return l.Decimal(decimal.NewFromInt(int64(v)), 0) }
	for _, f := range []struct {
		key string
		v   int
	}{
		{"audience", rep.Audience}, {"treatment", rep.Treatment}, {"control", rep.Control}, {"pending", rep.Pending},
		{"sent", rep.Sent}, {"blocked", rep.Blocked}, {"opened", rep.Opened}, {"accepted", rep.Accepted},
	} {
		figures = append(figures, ReportRow{Label: l.T("console.campaign.figure." + f.key), Values: []string{n(f.v)}})
	}
	for _, b := range rep.BlockedBy {
		blocked = append(blocked, ReportRow{Label: l.T("console.campaign.reason." + b.Reason), Values: []string{n(b.Count)}})
	}
	for _, g := range []struct {
		key     string
		x, size int
	}{{"treatment", rep.TreatmentConverted, rep.Treatment}, {"control", rep.ControlConverted, rep.Control}} {
		groups = append(groups, ReportRow{Label: l.T("console.campaign.group." + g.key),
			Values: []string{n(g.size), n(g.x), l.Percent(ratio(g.x, g.size), 2)}})
	}
	return figures, blocked, groups
}

// exportCampaign writes the report as one sheet: the figures, the
// blocked by reason, the groups and the uplift with its interval.
func exportCampaign(w http.ResponseWriter, l *i18n.Localizer, rep *crosssell.CampaignReport, data campaignPage, format string) {
	out := sheet.Download(w, "campaign-"+strconv.FormatInt(rep.Campaign.ID, 10), format)
	rows := [][]string{{l.T("console.campaign.name"), rep.Campaign.Name}, {l.T("console.campaign.product"), rep.Campaign.ProductCode}}
	for _, f := range data.Figures {
		rows = append(rows, append([]string{f.Label}, f.Values...))
	}
	rows = append(rows, []string{l.T("console.campaign.blocked_by")})
	for _, b := range data.Blocked {
		rows = append(rows, append([]string{b.Label}, b.Values...))
	}
	rows = append(rows, []string{l.T("console.campaign.group"), l.T("console.campaign.recipients"), l.T("console.campaign.converted"), l.T("console.campaign.conversion_rate")})
	for _, g := range data.Groups {
		rows = append(rows, append([]string{g.Label}, g.Values...))
	}
	rows = append(rows, []string{l.T("console.campaign.uplift_pp"), data.Uplift, data.Lower, data.Upper})
	if out.Sheet(l.T("console.campaign.sheet")) != nil {
		return
	}
	for _, row := range rows {
		if out.Row(row...) != nil {
			return
		}
	}
	out.Close()
}

// ---------------------------------------------------------------------------
// JSON

// campaignJSON is a campaign in the API (schema Campaign).
type campaignJSON struct {
	ID             int64              `json:"id"`
	Name           string             `json:"name"`
	Product        string             `json:"product"`
	ProductName    string             `json:"product_name"`
	Channel        string             `json:"channel"`
	Audience       crosssell.Audience `json:"audience"`
	ControlPercent string             `json:"control_percent"`
	Seed           int64              `json:"seed"`
	Status         string             `json:"status"`
	CreatedBy      int64              `json:"created_by"`
	CreatedAt      time.Time          `json:"created_at"`
	LaunchedAt     *time.Time         `json:"launched_at"`
	FinishedAt     *time.Time         `json:"finished_at"`
}

func toCampaignJSON(c crosssell.Campaign, l *i18n.Localizer) campaignJSON {
	return campaignJSON{ID: c.ID, Name: c.Name, Product: c.ProductCode, ProductName: l.Text(c.ProductName), Channel: c.Channel,
		Audience: c.Audience, ControlPercent: c.ControlShare.Shift(2).String(), Seed: c.Seed, Status: c.Status, CreatedBy: c.CreatedBy,
		CreatedAt: c.CreatedAt, LaunchedAt: c.LaunchedAt, FinishedAt: c.FinishedAt}
}

func (h *Handler) apiCampaigns(w http.ResponseWriter, r *http.Request, s crosssell.CampaignStaff, _ int64) error {
	list, err := h.campaigns.List(r.Context(), s)
	if err != nil {
		return err
	}
	l := i18n.FromContext(r.Context())
	out := make([]campaignJSON, len(list))
	for i, c := range list {
		out[i] = toCampaignJSON(c, l)
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"campaigns": out})
	return nil
}

func (h *Handler) apiCreateCampaign(w http.ResponseWriter, r *http.Request, s crosssell.CampaignStaff, _ int64) error {
	var body struct {
		Name           string           `json:"name"`
		Product        string           `json:"product"`
		Channel        string           `json:"channel"`
		ControlPercent *decimal.Decimal `json:"control_percent"`
		Seed           *int64           `json:"seed"`
		Segment        string           `json:"segment"`
		LifeStage      string           `json:"life_stage"`
		AgeBand        string           `json:"age_band"`
		AdvisorID      int64            `json:"advisor_id"`
	}
	if err := web.DecodeJSON(r, &body); err != nil {
		return err
	}
	in := crosssell.CampaignInput{Name: body.Name, Product: body.Product, Channel: body.Channel, ControlPercent: body.ControlPercent,
		Seed: body.Seed, Audience: crosssell.Audience{Segment: body.Segment, LifeStage: body.LifeStage, AgeBand: body.AgeBand, AdvisorID: body.AdvisorID}}
	id, err := h.campaigns.Create(r.Context(), in, s)
	if err != nil {
		return err
	}
	c, err := h.campaigns.Campaign(r.Context(), id, s)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/campaigns/"+strconv.FormatInt(id, 10))
	web.WriteJSON(w, http.StatusCreated, toCampaignJSON(c, i18n.FromContext(r.Context())))
	return nil
}

func (h *Handler) apiLaunchCampaign(w http.ResponseWriter, r *http.Request, s crosssell.CampaignStaff, id int64) error {
	started, err := h.campaigns.Launch(r.Context(), id, s)
	if err != nil {
		return err
	}
	c, err := h.campaigns.Campaign(r.Context(), id, s)
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if !started {
		status = http.StatusOK // launched before: nothing new queued
	}
	web.WriteJSON(w, status, map[string]any{"started": started, "campaign": toCampaignJSON(c, i18n.FromContext(r.Context()))})
	return nil
}

// campaignReportJSON is the report in the API (schema CampaignReport).
type campaignReportJSON struct {
	Campaign           campaignJSON            `json:"campaign"`
	Audience           int                     `json:"audience"`
	Treatment          int                     `json:"treatment"`
	Control            int                     `json:"control"`
	Pending            int                     `json:"pending"`
	Sent               int                     `json:"sent"`
	Blocked            int                     `json:"blocked"`
	BlockedBy          []crosssell.ReasonCount `json:"blocked_by"`
	Opened             int                     `json:"opened"`
	Accepted           int                     `json:"accepted"`
	TreatmentConverted int                     `json:"treatment_converted"`
	ControlConverted   int                     `json:"control_converted"`
	TreatmentRate      string                  `json:"treatment_rate"`
	ControlRate        string                  `json:"control_rate"`
	Uplift             upliftJSON              `json:"uplift"`
	WindowFrom         *time.Time              `json:"window_from"`
	WindowTo           *time.Time              `json:"window_to"`
}

// upliftJSON: percentage points, two places; null when a group is empty.
type upliftJSON struct {
	Method      string  `json:"method"`
	Difference  *string `json:"difference_pp"`
	Lower       *string `json:"lower_pp"`
	Upper       *string `json:"upper_pp"`
	Significant bool    `json:"significant"`
}

func (h *Handler) apiCampaignReport(w http.ResponseWriter, r *http.Request, s crosssell.CampaignStaff, id int64) error {
	rep, err := h.campaigns.Report(r.Context(), id, s)
	if err != nil {
		return err
	}
	out := campaignReportJSON{Campaign: toCampaignJSON(rep.Campaign, i18n.FromContext(r.Context())), Audience: rep.Audience,
		Treatment: rep.Treatment, Control: rep.Control, Pending: rep.Pending, Sent: rep.Sent, Blocked: rep.Blocked,
		BlockedBy: rep.BlockedBy, Opened: rep.Opened, Accepted: rep.Accepted, TreatmentConverted: rep.TreatmentConverted,
		ControlConverted: rep.ControlConverted, TreatmentRate: ratio(rep.TreatmentConverted, rep.Treatment).String(),
		ControlRate: ratio(rep.ControlConverted, rep.Control).String(),
		Uplift:      upliftJSON{Method: "newcombe-hybrid-score-95", Significant: rep.Uplift.Significant()}}
	if out.BlockedBy == nil {
		out.BlockedBy = []crosssell.ReasonCount{}
	}
	if rep.Uplift.Defined {
		d, lo, hi := rep.Uplift.Points()
		ds, ls, hs := d.StringFixed(2), lo.StringFixed(2), hi.StringFixed(2)
		out.Uplift.Difference, out.Uplift.Lower, out.Uplift.Upper = &ds, &ls, &hs
	}
	if !rep.WindowFrom.IsZero() {
		out.WindowFrom, out.WindowTo = &rep.WindowFrom, &rep.WindowTo
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}
