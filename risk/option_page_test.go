package risk

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/products"
)

func getOptionPage(t *testing.T, query, lang string) *httptest.ResponseRecorder {
	t.Helper()
	pages, err := page.New(Templates, products.Templates)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(i18n.Middleware)
	NewOptionCalculatorPage(pages).Routes(r)
	req := httptest.NewRequest(http.MethodGet, "/portal/calculators/option?"+query, nil)
	req.Header.Set("Accept-Language", lang)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// TestOptionCalculatorPage: Hull's call (TestOptionHullExample) typed the
// reader's way, rates as percentages, the Greeks per point and per day;
// a field that cannot be priced named at the field.
func TestOptionCalculatorPage(t *testing.T) {
	const hull = "submitted=1&kind=call&years=0.5&rate=10&dividend=0&volatility=20&"
	w := getOptionPage(t, hull+"spot=42&strike=40", "en")
	body := w.Body.String()
	for _, want := range []string{`<dd class="amount option-price">4.759422393</dd>`, `<dd class="amount option-delta">0.7791312909</dd>`,
		`<dd class="amount option-vega">0.0881341506</dd>`, `<dd class="amount option-theta">-0.01249066355</dd>`, `aria-current="page">Option calculator<`} {
		if w.Code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("English page (%d) lacks %s", w.Code, want)
		}
	}
	w = getOptionPage(t, strings.ReplaceAll(hull, "0.5", "0,5")+"spot=42&strike=40", "ro")
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, `<dd class="amount option-price">4,759422393</dd>`) ||
		!strings.Contains(body, "Calculator de opțiuni") {
		t.Errorf("Romanian page: %d", w.Code)
	}
	w = getOptionPage(t, "submitted=1&kind=put&spot=abc&strike=40&years=0.5&rate=5&dividend=0&volatility=0", "en")
	if body := w.Body.String(); w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, `<p class="field-error" id="option-spot-error">Enter a number.</p>`) {
		t.Errorf("an unreadable spot: %d", w.Code)
	}
	w = getOptionPage(t, "submitted=1&kind=put&spot=42&strike=40&years=0.5&rate=5&dividend=0&volatility=0", "en")
	if body := w.Body.String(); w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `<p class="field-error" id="option-volatility-error">The volatility must be above zero.</p>`) || strings.Contains(body, `id="result"`) {
		t.Errorf("a zero volatility: %d", w.Code)
	}
}
