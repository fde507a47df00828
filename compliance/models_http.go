package compliance

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// ModelRoutes registers the list of model activations (models.go), for
// compliance officers and administrators (who activate the models). The
// caller mounts it behind a guard admitting both roles; each handler
// checks them again.
func (h *ConsoleHandler) ModelRoutes(r chi.Router) {
	r.Get("/console/compliance/models", h.showModelActivations)
	r.Get("/api/v1/compliance/model-activations", h.listModelActivations)
}

var errModelsForbidden = ecrm.Errorf(ecrm.EFORBIDDEN, "compliance.models.error.forbidden")

// modelReader admits a compliance officer or an administrator, or answers
// the request itself and returns ok == false; officer reports whether she
// is a compliance officer (who sees the console's own navigation).
func (h *ConsoleHandler) modelReader(w http.ResponseWriter, r *http.Request) (officer, ok bool) {
	p := ecrm.PrincipalFrom(r.Context())
	switch {
	case p == nil:
		h.fail(w, r, errLoginFirst)
		return false, false
	case p.StaffID <= 0 || !(p.HasRole(ecrm.RoleCompliance) || p.HasRole(ecrm.RoleAdmin)):
		h.fail(w, r, errModelsForbidden)
		return false, false
	}
	return p.HasRole(ecrm.RoleCompliance), true
}

func activationFilterFrom(q url.Values) ActivationFilter {
	f := ActivationFilter{Family: q.Get("family"), After: q.Get("after")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			n = -1
		}
		f.Limit = n
	}
	return f
}

// modelsPage is the data of compliance_models.html.
type modelsPage struct {
	Officer  bool
	Fields   []page.FormField
	Form     formErrors
	Rows     []activationView
	Zone     *time.Location
	NextURL  string
	FirstURL string
}

// activationView is an activation as the page shows it: one line per
// group, the overall first, the new version's figures beside the
// previous version's.
type activationView struct {
	ModelActivation
	Basis   string // the basis of the figures, in the reader's words
	Groups  []groupView
	Compare bool // the previous version's figures are shown
}

type groupView struct {
	Label                   string
	TakeUp                  string
	Offered, Accepted       string
	PrevOffered, PrevAccept string
	Flag                    string
}

func (h *ConsoleHandler) showModelActivations(w http.ResponseWriter, r *http.Request) {
	officer, ok := h.modelReader(w, r)
	if !ok {
		return
	}
	f := activationFilterFrom(r.URL.Query())
	res, err := h.console.ModelActivations(r.Context(), f)
	if err != nil && ecrm.ErrorCode(err) != ecrm.EINVALID {
		h.fail(w, r, err)
		return
	}
	fe := newFormErrors(r, err)
	data := modelsPage{Officer: officer, Form: fe, Zone: h.console.loc, Fields: []page.FormField{{Name: "family", ID: "models-family",
		LabelKey: "compliance.models.filter.family", HintKey: "compliance.models.filter.family_hint", Value: f.Family, Error: fe.ByField["family"], MaxLength: maxTextFilter}}}
	status := http.StatusOK
	if err != nil {
		status = http.StatusUnprocessableEntity
	} else {
		l := i18n.FromContext(r.Context())
		for _, a := range res.Rows {
			data.Rows = append(data.Rows, activationViewOf(l, a))
		}
		q := url.Values{}
		if f.Family != "" {
			q.Set("family", f.Family)
		}
		if res.Next != "" {
			nq := url.Values{"after": {res.Next}}
			if f.Family != "" {
				nq.Set("family", f.Family)
			}
			data.NextURL = withQuery("/console/compliance/models", nq)
		}
		if f.After != "" {
			data.FirstURL = withQuery("/console/compliance/models", q)
		}
	}
	h.render(w, r, status, "compliance_models", data)
}

func activationViewOf(l *i18n.Localizer, a ModelActivation) activationView {
	v := activationView{ModelActivation: a}
	fig := a.Figures
	if fig == nil || fig.New == nil {
		return v
	}
	switch {
	case !a.AtActivation:
		v.Basis = l.T("compliance.models.basis.training")
	case fig.Basis == "rescored":
		v.Basis = l.T("compliance.models.basis.rescored") // fig.Holdout, in ecrm's English, is in the JSON
	default:
		v.Basis = l.T("compliance.models.basis.stored")
	}
	v.Compare = a.AtActivation && fig.Against != "" && fig.Active != nil
	share := func(part, whole int) string {
		if whole == 0 {
			return l.T("compliance.none")
		}
		return l.T("compliance.models.share", l.Percent(decimal.NewFromInt(int64(part)).Div(decimal.NewFromInt(int64(whole))), 1), part, whole)
	}
	for _, g := range append([]GroupFigures{fig.New.Overall}, fig.New.Groups...) {
		gv := groupView{Label: groupLabel(l, g), TakeUp: share(g.TakeUps, g.Rows), Offered: share(g.Offered, g.Rows), Accepted: share(g.Accepted, g.Offered)}
		if v.Compare {
			gv.PrevOffered, gv.PrevAccept = l.T("compliance.none"), l.T("compliance.none")
			if p := fig.Active.Group(g.Dimension, g.Group); p != nil {
				gv.PrevOffered, gv.PrevAccept = share(p.Offered, p.Rows), share(p.Accepted, p.Offered)
			}
		}
		if g.FourFifths == "below" || g.FourFifths == "above" {
			gv.Flag = l.T("compliance.models.flag."+g.FourFifths, l.Decimal(decimal.NewFromFloat(g.OfferRatio), 2))
		}
		v.Groups = append(v.Groups, gv)
	}
	return v
}

// groupLabel names a group in the reader's words: the age bands and
// segments of the statistics, a file's own segment as it is written.
func groupLabel(l *i18n.Localizer, g GroupFigures) string {
	switch g.Dimension {
	case "":
		return l.T("compliance.models.overall")
	case "age_band":
		if g.Group == "unknown" {
			return l.T("compliance.models.dimension.age_band", l.T("compliance.models.unknown"))
		}
		return l.T("compliance.models.dimension.age_band", l.T("compliance.age_band."+g.Group))
	}
	name := g.Group
	if key := "compliance.segment." + g.Group; i18n.HasMessage(l.Lang(), key) {
		name = l.T(key)
	} else if g.Group == "unknown" {
		name = l.T("compliance.models.unknown")
	}
	return l.T("compliance.models.dimension.segment", name)
}

func (h *ConsoleHandler) listModelActivations(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.modelReader(w, r); !ok {
		return
	}
	res, err := h.console.ModelActivations(r.Context(), activationFilterFrom(r.URL.Query()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, toActivationPageJSON(res))
}

// The API's shapes (openapi.json, ComplianceModelActivationPage).
type activationJSON struct {
	ID              int64     `json:"id"`
	Family          string    `json:"family"`
	Version         string    `json:"version"`
	PreviousVersion *string   `json:"previous_version"`
	Source          string    `json:"source"`
	SourceName      string    `json:"source_name"`
	ActivatedAt     time.Time `json:"activated_at"`
	ActivatedBy     string    `json:"activated_by"`
	Reason          string    `json:"reason"`
	// FiguresAtActivation: the figures are those shown before the
	// activation (false: the version's own from training).
	FiguresAtActivation bool               `json:"figures_at_activation"`
	Figures             *ActivationFigures `json:"figures"`
}

type activationPageJSON struct {
	Activations []activationJSON `json:"activations"`
	NextCursor  *string          `json:"next_cursor"`
}

func toActivationPageJSON(p *ActivationPage) activationPageJSON {
	out := activationPageJSON{Activations: make([]activationJSON, 0, len(p.Rows)), NextCursor: optString(p.Next)}
	for _, a := range p.Rows {
		out.Activations = append(out.Activations, activationJSON{ID: a.ID, Family: a.Family, Version: a.Version, PreviousVersion: optString(a.Previous),
			Source: a.Source, SourceName: a.SourceName, ActivatedAt: a.ActivatedAt, ActivatedBy: a.ActivatedBy, Reason: a.Reason,
			FiguresAtActivation: a.AtActivation, Figures: a.Figures})
	}
	return out
}
