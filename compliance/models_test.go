package compliance

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/pgtest"
	"github.com/ecrm-project/ecrm/internal/web"
)

// modelsFixtureSQL: three activations, as crosssell writes them. savings-v1
// was activated before figures were kept with an activation (its own from
// training are shown); leads-v1, a file model, has no figures at all;
// savings-v2 replaced savings-v1 with both scored on its holdout of 9
// clients, each offering one, v2 the young client of the mass segment.
const modelsFixtureSQL = `
INSERT INTO propensity_models (version, family, source, source_name, algorithm, layout, coefficients, metrics, rows, trained_by) VALUES
  ('savings-v1', 'savings', 'history', 'history 2024-04-11…2026-06-30', 'logistic-l2', '{}', '{}',
   '{"fairness": {"offer_rule": "top decile", "score_cut": 0.9, "overall": {"rows": 20, "take_ups": 4, "offered": 2, "accepted": 1, "offer_rate": 0.1, "acceptance_rate": 0.5, "base_rate": 0.2, "offer_ratio": 1},
     "groups": [{"dimension": "segment", "group": "mass", "rows": 10, "take_ups": 2, "offered": 2, "accepted": 1, "offer_rate": 0.2, "acceptance_rate": 0.5, "base_rate": 0.2, "offer_ratio": 2, "four_fifths": "above"},
                {"dimension": "segment", "group": "private", "rows": 10, "take_ups": 2, "offered": 0, "accepted": 0, "offer_rate": 0, "acceptance_rate": null, "base_rate": 0.2, "offer_ratio": 0, "four_fifths": "below"}]}}', 20, 'ana'),
  ('leads-v1', 'leads', 'csv', 'Leads.csv', 'logistic-l2', '{}', '{}', '{"split": "stratified"}', 3000, 'ana'),
  ('savings-v2', 'savings', 'history', 'history 2024-04-11…2026-06-30', 'logistic-l2', '{}', '{}', '{}', 20, 'dan');
INSERT INTO model_activations (family, version, activated_at, activated_by, reason, fairness) VALUES
  ('savings', 'savings-v1', '2026-07-01 09:00+00', 'ana', 'first savings model', NULL),
  ('leads', 'leads-v1', '2026-07-02 09:00+00', 'ana', '', NULL),
  ('savings', 'savings-v2', '2026-07-03 09:00+00', 'dan', 'young savers take it up', '{
    "version": "savings-v2", "against": "savings-v1", "basis": "rescored",
    "holdout": "scored now on savings-v2''s holdout: the clients not holding savings on 2026-03-01 (snapshot), 9 rows",
    "new": {"offer_rule": "top decile", "score_cut": 0.92, "overall": {"rows": 9, "take_ups": 4, "offered": 1, "accepted": 1, "offer_rate": 0.1111111111111111, "acceptance_rate": 1, "base_rate": 0.4444444444444444, "offer_ratio": 1},
      "groups": [{"dimension": "age_band", "group": "under_25", "rows": 2, "take_ups": 1, "offered": 1, "accepted": 1, "offer_rate": 0.5, "acceptance_rate": 1, "base_rate": 0.5, "offer_ratio": 4.5, "four_fifths": "above"},
                 {"dimension": "age_band", "group": "unknown", "rows": 1, "take_ups": 0, "offered": 0, "accepted": 0, "offer_rate": 0, "acceptance_rate": null, "base_rate": 0, "offer_ratio": 0, "four_fifths": "below"},
                 {"dimension": "segment", "group": "mass", "rows": 4, "take_ups": 3, "offered": 1, "accepted": 1, "offer_rate": 0.25, "acceptance_rate": 1, "base_rate": 0.75, "offer_ratio": 2.25, "four_fifths": "above"}]},
    "active": {"offer_rule": "top decile", "score_cut": 0.999, "overall": {"rows": 9, "take_ups": 4, "offered": 1, "accepted": 0, "offer_rate": 0.1111111111111111, "acceptance_rate": 0, "base_rate": 0.4444444444444444, "offer_ratio": 1},
      "groups": [{"dimension": "age_band", "group": "under_25", "rows": 2, "take_ups": 1, "offered": 0, "accepted": 0, "offer_rate": 0, "acceptance_rate": null, "base_rate": 0.5, "offer_ratio": 0, "four_fifths": "below"},
                 {"dimension": "segment", "group": "mass", "rows": 4, "take_ups": 3, "offered": 0, "accepted": 0, "offer_rate": 0, "acceptance_rate": null, "base_rate": 0.75, "offer_ratio": 0, "four_fifths": "below"}]},
    "flagged": ["age_band=under_25", "age_band=unknown", "segment=mass"]}');
`

func TestModelActivations(t *testing.T) {
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), modelsFixtureSQL); err != nil {
		t.Fatal(err)
	}
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	h := NewConsoleHandler(pool, pages)
	h.SetLocation(bucharest)
	router := chi.NewRouter()
	router.Use(web.RequestID(slog.New(slog.NewTextHandler(io.Discard, nil))), i18n.Middleware, withTestPrincipal)
	h.ModelRoutes(router)
	do := func(path, as, lang string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if as != "" {
			r.Header.Set(principalHeader, as)
		}
		if lang != "" {
			r.Header.Set("Accept-Language", lang)
		}
		if strings.HasPrefix(path, "/api/") {
			r.Header.Set("Accept", "application/json")
		}
		w := httptest.NewRecorder()
		router.ServeHTTP(w, r)
		return w
	}

	t.Run("PageInEnglish", func(t *testing.T) {
		w := do("/console/compliance/models", asCompliance, "en")
		body := w.Body.String()
		for _, want := range []string{
			`<h2 id="activation-3-heading">Activation of <code>savings-v2</code></h2>`, `<dd id="activation-3-family"><code>savings</code></dd>`,
			`<dd id="activation-3-at">3 Jul 2026, 12:00</dd>`, // Bucharest, UTC+3 in summer
			`<dd id="activation-3-by">dan</dd>`, `<dd id="activation-3-reason">young savers take it up</dd>`,
			`<dd id="activation-3-previous"><code>savings-v1</code></dd>`, `<dd id="activation-3-flagged">3</dd>`,
			`<caption>Both versions scored at activation on the same clients: the new version&#39;s holdout</caption>`,
			`<th scope="col" class="numeric"><code>savings-v2</code>: offered</th>`, `<th scope="col" class="numeric"><code>savings-v1</code>: accepted</th>`,
			// all clients: take-up 4 of 9; v2 offers 1 (accepted), v1 offers 1 (not accepted).
			"<th scope=\"row\">All clients</th>\n        <td class=\"numeric\">44.4% (4 of 9)</td>\n        <td class=\"numeric\">11.1% (1 of 9)</td>\n        <td class=\"numeric\">100.0% (1 of 1)</td>\n        <td class=\"numeric\">11.1% (1 of 9)</td>\n        <td class=\"numeric\">0.0% (0 of 1)</td>\n        <td></td>",
			"<tr class=\"flagged\">\n        <th scope=\"row\">Age: Under 25</th>\n        <td class=\"numeric\">50.0% (1 of 2)</td>\n        <td class=\"numeric\">50.0% (1 of 2)</td>\n        <td class=\"numeric\">100.0% (1 of 1)</td>\n        <td class=\"numeric\">0.0% (0 of 2)</td>\n        <td class=\"numeric\">—</td>\n        <td>Above 5/4: 4.50× the overall offer rate</td>",
			// No age-unknown group in v1's figures: a dash.
			"<th scope=\"row\">Age: unknown</th>\n        <td class=\"numeric\">0.0% (0 of 1)</td>\n        <td class=\"numeric\">0.0% (0 of 1)</td>\n        <td class=\"numeric\">—</td>\n        <td class=\"numeric\">—</td>\n        <td class=\"numeric\">—</td>\n        <td>Below 4/5: 0.00× the overall offer rate</td>",
			`<th scope="row">Segment: Mass</th>`,
			// leads-v1: no figures; savings-v1: its own from training.
			`<dd id="activation-2-previous">None (first activation of the family)</dd>`, `<p id="activation-2-no-figures">No figures by group were kept for this version.</p>`,
			`<caption>The version&#39;s figures on its holdout, as stored at its training (this activation predates the figures kept at activation)</caption>`,
			`<dd id="activation-1-flagged">2</dd>`,
			`<a href="/console/compliance/models" aria-current="page">Model activations</a>`,
		} {
			if w.Code != http.StatusOK || !strings.Contains(body, want) {
				t.Errorf("status %d; page lacks %s", w.Code, want)
			}
		}
		if strings.Index(body, "activation-3-heading") > strings.Index(body, "activation-1-heading") {
			t.Error("activations are not newest first")
		}
		if t.Failed() {
			t.Log(body)
		}
	})
	t.Run("PageInRomanian", func(t *testing.T) {
		w := do("/console/compliance/models", asCompliance, "ro")
		body := w.Body.String()
		for _, want := range []string{`<h1 id="models-title">Activări de modele</h1>`, `Activarea versiunii <code>savings-v2</code>`,
			`<th scope="row">Toți clienții</th>`, "44,4\u00a0% (4 din 9)", `Peste 5/4: de 4,50× rata generală de ofertare`, `<th scope="row">Vârstă: Sub 25</th>`} {
			if w.Code != http.StatusOK || !strings.Contains(body, want) {
				t.Errorf("status %d; page lacks %s", w.Code, want)
			}
		}
		if t.Failed() {
			t.Log(body)
		}
	})
	t.Run("AdminsWithoutTheConsoleNavigation", func(t *testing.T) {
		w := do("/console/compliance/models?family=leads", asAdmin, "en")
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "/console/compliance/queue") ||
			!strings.Contains(w.Body.String(), "activation-2-heading") || strings.Contains(w.Body.String(), "activation-3-heading") {
			t.Fatalf("admin: %d\n%s", w.Code, w.Body)
		}
	})
	t.Run("Denied", func(t *testing.T) {
		for as, status := range map[string]int{asAdvisor: http.StatusForbidden, asClient: http.StatusForbidden, anonymous: http.StatusUnauthorized} {
			for _, path := range []string{"/console/compliance/models", "/api/v1/compliance/model-activations"} {
				if w := do(path, as, "en"); w.Code != status || strings.Contains(w.Body.String(), "savings-v2") {
					t.Errorf("%q on %s: %d, want %d", as, path, w.Code, status)
				}
			}
		}
	})
	t.Run("JSON", func(t *testing.T) {
		w := do("/api/v1/compliance/model-activations?limit=2", asCompliance, "")
		var p activationPageJSON
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != http.StatusOK || len(p.Activations) != 2 || p.NextCursor == nil {
			t.Fatalf("%d %v %s", w.Code, err, w.Body)
		}
		a := p.Activations[0]
		f := a.Figures
		if a.Version != "savings-v2" || *a.PreviousVersion != "savings-v1" || a.ActivatedBy != "dan" || !a.FiguresAtActivation || f.Basis != "rescored" ||
			f.Against != "savings-v1" || f.New.Overall.Offered != 1 || *f.New.Overall.AcceptanceRate != 1 || f.Active.Overall.Accepted != 0 ||
			f.New.Groups[1].AcceptanceRate != nil || f.New.Groups[2].FourFifths != "above" || strings.Join(f.Flagged, ",") != "age_band=under_25,age_band=unknown,segment=mass" {
			t.Fatalf("first activation %s", w.Body)
		}
		if b := p.Activations[1]; b.Version != "leads-v1" || b.PreviousVersion != nil || b.Figures != nil || b.FiguresAtActivation {
			t.Fatalf("second activation %+v", b)
		}
		w = do("/api/v1/compliance/model-activations?limit=2&after="+*p.NextCursor, asCompliance, "")
		var next activationPageJSON
		if err := json.Unmarshal(w.Body.Bytes(), &next); err != nil || len(next.Activations) != 1 || next.NextCursor != nil {
			t.Fatalf("second page %s", w.Body)
		}
		if c := next.Activations[0]; c.Version != "savings-v1" || c.FiguresAtActivation || c.Figures.Basis != "stored" ||
			strings.Join(c.Figures.Flagged, ",") != "segment=mass,segment=private" || c.Figures.New.Overall.Rows != 20 {
			t.Fatalf("savings-v1 %s", w.Body)
		}
	})
	t.Run("BadFamilyNamesTheField", func(t *testing.T) {
		w := do("/api/v1/compliance/model-activations?family=Savings%20Accounts", asCompliance, "en")
		p := decodeProblemDoc(t, w)
		if w.Code != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "family" ||
			p.Errors[0].Message != "Enter a family as ecrm names it: lower-case letters, digits, '.' and '-'." {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		w = do("/console/compliance/models?family=Savings", asCompliance, "ro")
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `<a href="#models-family">Introduceți familia`) {
			t.Fatalf("page: %d\n%s", w.Code, w.Body)
		}
	})
}
