package risk

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm/internal/web"
)

func postOption(t *testing.T, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := chi.NewRouter()
	CalculatorRoutes(r)
	req := httptest.NewRequest(http.MethodPost, "/api/v1/calculators/option", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// TestOptionCalculatorAPI: Hull's example (TestOptionHullExample) through
// the API, as decimal strings of 10 significant digits (trailing zeros
// dropped: vega 8.813415060): the published delta 0.779131, gamma
// 0.049963, vega 0.088134 and rho 0.13982 per point, theta −0.012491 per
// day (−4.559092195 / 365); bad input named at its field.
func TestOptionCalculatorAPI(t *testing.T) {
	w := postOption(t, `{"kind":"call","spot":"42","strike":"40","years":"0.5","rate":"0.1","volatility":"0.2"}`)
	want := `{"kind":"call","price":"4.759422393","delta":"0.7791312909","gamma":"0.04996267041","vega":"8.81341506","theta":"-4.559092195","rho":"13.98204591",` +
		`"units":"per unit of the underlying; vega per 1.00 of volatility, theta per year, rho per 1.00 of the rate"}`
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != want {
		t.Errorf("Hull's call: %d\n%s\nwant\n%s", w.Code, w.Body, want)
	}
	for body, field := range map[string]string{
		`{"kind":"call","spot":"42","strike":"40","years":"0","volatility":"0.2"}`:    "years",
		`{"kind":"call","spot":"42","strike":"-40","years":"0.5","volatility":"0.2"}`: "strike",
		`{"kind":"call","spot":"42","strike":"40","years":"0.5","volatility":"0"}`:    "volatility",
		`{"kind":"swap","spot":"42","strike":"40","years":"0.5","volatility":"0.2"}`:  "kind",
		`{"kind":"put","spot":"0","strike":"40","years":"0.5","volatility":"0.2"}`:    "spot",
	} {
		w := postOption(t, body)
		if w.Code != http.StatusUnprocessableEntity || w.Header().Get("Content-Type") != web.ProblemContentType ||
			!strings.Contains(w.Body.String(), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s, want 422 naming %s", body, w.Code, w.Body, field)
		}
	}
	if w := postOption(t, `{"kind":"call","spot":"forty-two"}`); w.Code != http.StatusBadRequest && w.Code != http.StatusUnprocessableEntity {
		t.Errorf("an unreadable number: %d", w.Code)
	}
}
