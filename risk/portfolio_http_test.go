package risk

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
	"github.com/ecrm-project/ecrm/internal/page"
	"github.com/ecrm-project/ecrm/internal/web"
)

// portfolioSite serves the portfolio routes; the X-Test-Client header
// signs the request in as that client, X-Test-Staff as a member of staff.
func portfolioSite(t *testing.T, pool *pgxpool.Pool) *httptest.Server {
	t.Helper()
	pages, err := page.New(Templates)
	if err != nil {
		t.Fatal(err)
	}
	portfolios := NewPortfolios(pool, testPortfolioConfig())
	portfolios.now = func() time.Time { return portfolioDay }
	portfolios.SetZone(time.UTC)
	r := chi.NewRouter()
	r.Use(i18n.Middleware, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			var p *ecrm.Principal
			switch {
			case req.Header.Get("X-Test-Client") != "":
				var id int64
				json.Unmarshal([]byte(req.Header.Get("X-Test-Client")), &id)
				p = &ecrm.Principal{Kind: ecrm.PrincipalClient, ClientID: id, Name: "Client"}
			case req.Header.Get("X-Test-Staff") != "":
				p = &ecrm.Principal{Kind: ecrm.PrincipalStaff, StaffID: 10, Roles: []string{ecrm.RoleAdvisor}, Name: "Advisor"}
			}
			if p != nil {
				req = req.WithContext(ecrm.WithPrincipal(req.Context(), p))
			}
			next.ServeHTTP(w, req)
		})
	})
	NewPortfolioHandler(portfolios, pages).ClientRoutes(r)
	srv := httptest.NewServer(web.SecurityHeaders(false)(r))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// TestPortfolioRiskAPI: the client reads their own figures as JSON, with
// exact decimal strings; another client reads only their own, anonymous
// callers and staff are refused.
func TestPortfolioRiskAPI(t *testing.T) {
	srv := portfolioSite(t, portfolioFixture(t, historySQL))
	res, body := get(t, srv.URL+"/api/v1/me/portfolio/risk", "X-Test-Client", "1")
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("client 1: %d %s", res.StatusCode, body)
	}
	var got struct {
		ClientID     int64  `json:"client_id"`
		AsOf         string `json:"as_of"`
		BaseCurrency string `json:"base_currency"`
		Total        struct{ Amount, Currency string }
		Positions    []struct {
			Symbol    string `json:"symbol"`
			Status    string `json:"status"`
			Quotation string `json:"quotation"`
			FaceValue string `json:"face_value"`
			Price     *string
			BaseValue *struct{ Amount, Currency string } `json:"base_value"`
			Weight    *string
			FX        *struct {
				Rate  string
				Date  string
				Rates []struct{ Base, Quote, Rate, Date string }
			}
			Reason *struct{ Code, Field, Message string }
		}
		Allocation struct {
			Issuer []struct {
				Key   string
				Value struct{ Amount, Currency string }
				Share string
			}
		}
		Notices []struct{ Code, Field, Message string }
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.ClientID != 1 || got.AsOf != "2026-05-08" || got.BaseCurrency != "RON" || got.Total.Amount != "19737.65" || got.Total.Currency != "RON" || len(got.Positions) != 7 {
		t.Fatalf("client 1's risk: %s", body)
	}
	bnd := got.Positions[0]
	if bnd.Symbol != "BND" || bnd.Quotation != "percent_of_face" || bnd.FaceValue != "1000" || *bnd.Price != "98.505" ||
		bnd.BaseValue.Amount != "14708.08" || *bnd.Weight != "0.7452" || bnd.FX.Rate != "4.9771" || bnd.FX.Rates[0].Date != "2026-05-07" {
		t.Errorf("BND: %+v", bnd)
	}
	if got.Allocation.Issuer[0].Key != "Beta AG" || got.Allocation.Issuer[0].Value.Amount != "16981.12" || got.Allocation.Issuer[0].Share != "0.8603" {
		t.Errorf("issuers %+v", got.Allocation.Issuer)
	}
	for _, p := range got.Positions {
		if p.Symbol == "NOPX" && (p.Status != "unvalued" || p.Reason.Code != "no_price" || p.Reason.Field != "price") {
			t.Errorf("NOPX: %+v", p)
		}
	}

	// Client 2 holds EQ1 too but reads only their own portfolio.
	res, body = get(t, srv.URL+"/api/v1/me/portfolio/risk", "X-Test-Client", "2")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"client_id":2`) || strings.Contains(body, "BND") || strings.Contains(body, "19737.65") {
		t.Errorf("client 2: %d %s", res.StatusCode, body)
	}
	// In Romanian, the notices are in Romanian.
	_, body = get(t, srv.URL+"/api/v1/me/portfolio/risk", "X-Test-Client", "1", "Accept-Language", "ro")
	if !strings.Contains(body, "Niciun preț pentru NOPX") {
		t.Errorf("Romanian notices: %s", body)
	}
	for name, headers := range map[string][]string{"anonymous": nil, "staff": {"X-Test-Staff", "1"}} {
		res, body = get(t, srv.URL+"/api/v1/me/portfolio/risk", headers...)
		if res.StatusCode != http.StatusUnauthorized || res.Header.Get("Content-Type") != web.ProblemContentType || strings.Contains(body, "RON") {
			t.Errorf("%s: %d %s %s", name, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		if res, _ = get(t, srv.URL+"/portal/portfolio/risk", headers...); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s page: %d", name, res.StatusCode)
		}
	}
}

// TestPortfolioRiskPage: the page in English and Romanian: the total, the
// VaR table with both methods, the charts as SVG, the allocation, the
// explanation in words, and the unvalued positions named with the reason.
func TestPortfolioRiskPage(t *testing.T) {
	srv := portfolioSite(t, portfolioFixture(t, historySQL))
	res, body := get(t, srv.URL+"/portal/portfolio/risk", "X-Test-Client", "3", "Accept-Language", "en")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	for _, want := range []string{
		"<dd class=\"amount\" id=\"risk-total\">RON\u00a01,105.92</dd>",
		`<tr id="risk-var-99-1">`,
		"<td class=\"amount var-historical\">RON\u00a0221.18 <span class=\"hint\">(20.00%)</span></td>",
		"<td class=\"amount var-parametric\">RON\u00a0519.43 <span class=\"hint\">(46.97%)</span></td>",
		"On 99 days in 100, a day&#39;s loss should be below RON\u00a0221.18: that is what the last 5 days of prices say.",
		`<dd id="risk-beta">2.00 <span class="hint">to Bucharest Index over 5 days`,
		"<dd id=\"risk-drawdown\">23.20% · RON\u00a0278.40 <span class=\"hint\">from the peak of 4 May 2026 to the low of 7 May 2026</span></dd>",
		`<figure class="risk-chart" id="risk-value-chart"><svg class="chart chart-line-chart"`,
		`<polyline class="chart-line chart-series-0"`,
		`<figure id="risk-allocation-asset-class">`,
		`<h2 id="risk-var-title">Value at risk</h2>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	_, body = get(t, srv.URL+"/portal/portfolio/risk", "X-Test-Client", "1", "Accept-Language", "ro")
	for _, want := range []string{
		"<dd class=\"amount\" id=\"risk-total\">19.737,65\u00a0lei</dd>",
		`Niciun preț pentru NOPX`,
		`<span class="hint risk-reason" data-field="price">Niciun preț pentru NOPX`,
		`98,505 % din valoarea nominală`,
		`1 EUR = 4,9771 RON`,
		`<li class="risk-notice" data-code="no_fx_rate" data-field="fx_rate">Niciun curs de schimb din GBP în RON`,
		`Prețuri mai vechi de 4 zile: OLD (30 apr. 2026).`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("Romanian page lacks %s", want)
		}
	}
	if strings.Contains(body, `id="risk-var-table"`) {
		t.Error("a VaR table without history")
	}
}
