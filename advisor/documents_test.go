package advisor

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm/internal/document"
)

// TestDealDocuments: the advisor makes the offer letter of a deal in
// Romanian — name, address, product and amount filled in, diacritics
// readable — downloads it, sends it to the client; the document keeps its
// template version and hash; another advisor can neither download nor
// send it, compliance reads it and cannot send it.
func TestDealDocuments(t *testing.T) {
	f := dealFixture(t)
	docs, err := document.New()
	if err != nil {
		t.Fatal(err)
	}
	f.handler.SetDocuments(docs, "ecrm Bank", "RO49AAAA1B31007593840000")
	w := f.do(t, request{method: "POST", path: "/api/v1/deals", as: asAdvisorA,
		body: `{"pipeline":"mortgage","client_id":101,"title":"Locuință în Brașov","amount":{"amount":"350000.00","currency":"RON"},"source":"branch"}`})
	id := regexp.MustCompile(`"id":(\d+)`).FindStringSubmatch(w.Body.String())
	if w.Code != http.StatusCreated || id == nil {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	deal := "/console/deals/" + id[1]
	if w := f.do(t, request{method: "POST", path: deal + "/documents", as: asAdvisorA, body: "kind=letter&language=ro", form: true}); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("an unknown kind: %d", w.Code)
	}
	w = f.do(t, request{method: "POST", path: deal + "/documents", as: asAdvisorA, body: "kind=offer_letter&language=ro", form: true})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("make: %d %s", w.Code, w.Body)
	}
	page := f.do(t, request{path: deal, as: asAdvisorA}).Body.String()
	link := regexp.MustCompile(`href="(/console/documents/(\d+))" download>Offer letter</a> <span class="hint">template version 1</span>`).FindStringSubmatch(page)
	if link == nil {
		t.Fatalf("no document on the deal's page")
	}
	pdf := f.do(t, request{path: link[1], as: asAdvisorA})
	cmd := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf.Body.Bytes())
	out, err := cmd.Output()
	if err != nil || pdf.Header().Get("Content-Type") != "application/pdf" {
		t.Fatalf("download: %v %s", err, pdf.Header())
	}
	for _, want := range []string{"ecrm Bank — oferta D-" + id[1], "Maria Ionescu", "Strada Lipscani 10, 030031, București, RO",
		"Locuință în Brașov", "Credit ipotecar", "350.000,00 lei", "Ana Advisor"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the letter lacks %q:\n%s", want, out)
		}
	}
	var sha string
	var version int
	if err := f.pool.QueryRow(t.Context(), `SELECT sha256, template_version FROM documents WHERE id = $1`, link[2]).Scan(&sha, &version); err != nil || version != 1 ||
		sha != sha256hex(pdf.Body.Bytes()) {
		t.Errorf("kept as sha %s version %d (%v)", sha, version, err)
	}
	for _, tt := range []struct {
		as     string
		req    request
		status int
	}{
		{asAdvisorB, request{path: link[1]}, http.StatusNotFound},
		{asAdvisorB, request{method: "POST", path: link[1] + "/send", form: true}, http.StatusNotFound},
		{asAdvisorB, request{method: "POST", path: deal + "/documents", body: "kind=offer_letter&language=en", form: true}, http.StatusNotFound},
		{asCompliance, request{path: link[1]}, http.StatusOK},
		{asCompliance, request{method: "POST", path: link[1] + "/send", form: true}, http.StatusForbidden},
	} {
		tt.req.as = tt.as
		if w := f.do(t, tt.req); w.Code != tt.status {
			t.Errorf("%s %s %s: %d, want %d", tt.as, tt.req.method, tt.req.path, w.Code, tt.status)
		}
	}
	w = f.do(t, request{method: "POST", path: link[1] + "/send", as: asAdvisorA, form: true})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != deal+"?sent=1#documents" {
		t.Fatalf("send: %d %s", w.Code, w.Header().Get("Location"))
	}
	var sent bool
	if err := f.pool.QueryRow(t.Context(), `SELECT sent_at IS NOT NULL AND sent_by = 1 FROM documents WHERE id = $1`, link[2]).Scan(&sent); err != nil || !sent {
		t.Errorf("not marked sent by Ana Advisor: %v", err)
	}
}

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestDealDocumentsAPI: the same through the JSON API — a bad kind named
// at its field, the letter made (201 with its Location), listed with its
// hash and template version, downloaded as the PDF, sent; another
// advisor's deal is not found, and compliance cannot make or send.
func TestDealDocumentsAPI(t *testing.T) {
	f := dealFixture(t)
	docs, err := document.New()
	if err != nil {
		t.Fatal(err)
	}
	f.handler.SetDocuments(docs, "ecrm Bank", "RO49AAAA1B31007593840000")
	w := f.do(t, request{method: "POST", path: "/api/v1/deals", as: asAdvisorA,
		body: `{"pipeline":"sales","client_id":101,"title":"Savings","amount":{"amount":"1000.00","currency":"EUR"},"source":"phone"}`})
	id := regexp.MustCompile(`"id":(\d+)`).FindStringSubmatch(w.Body.String())
	if w.Code != http.StatusCreated || id == nil {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	path := "/api/v1/deals/" + id[1] + "/documents"
	w = f.do(t, request{method: "POST", path: path, as: asAdvisorA, body: `{"kind":"poem","language":"en"}`})
	if p := decodeProblem(t, w); w.Code != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "kind" {
		t.Errorf("a bad kind: %d %+v", w.Code, p)
	}
	w = f.do(t, request{method: "POST", path: path, as: asAdvisorA, body: `{"kind":"payment_instructions","language":"en"}`})
	var made struct {
		ID              int64   `json:"id"`
		Kind            string  `json:"kind"`
		TemplateVersion int     `json:"template_version"`
		SHA256          string  `json:"sha256"`
		SentAt          *string `json:"sent_at"`
		Href            string  `json:"href"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &made); err != nil || w.Code != http.StatusCreated || made.Kind != "payment_instructions" ||
		made.TemplateVersion != 1 || made.SentAt != nil || w.Header().Get("Location") != made.Href || made.Href != "/api/v1/documents/"+strconv.FormatInt(made.ID, 10) {
		t.Fatalf("make: %d %s", w.Code, w.Body)
	}
	pdf := f.do(t, request{path: made.Href, as: asAdvisorA})
	if pdf.Header().Get("Content-Type") != "application/pdf" || sha256hex(pdf.Body.Bytes()) != made.SHA256 {
		t.Errorf("download: %s, hash %s want %s", pdf.Header().Get("Content-Type"), sha256hex(pdf.Body.Bytes()), made.SHA256)
	}
	var list struct {
		Documents []struct {
			ID   int64  `json:"id"`
			Kind string `json:"kind"`
		} `json:"documents"`
	}
	f.getJSON(t, path, asAdvisorA, http.StatusOK, &list)
	if len(list.Documents) != 1 || list.Documents[0].ID != made.ID {
		t.Errorf("list = %+v", list)
	}
	for _, tt := range []struct {
		as     string
		req    request
		status int
	}{
		{asAdvisorB, request{path: path}, http.StatusNotFound},
		{asAdvisorB, request{path: made.Href}, http.StatusNotFound},
		{asAdvisorB, request{method: "POST", path: made.Href + "/send"}, http.StatusNotFound},
		{asCompliance, request{method: "POST", path: path, body: `{"kind":"offer_letter","language":"en"}`}, http.StatusForbidden},
		{asCompliance, request{method: "POST", path: made.Href + "/send"}, http.StatusForbidden},
		{asCompliance, request{path: path}, http.StatusOK},
	} {
		tt.req.as = tt.as
		if w := f.do(t, tt.req); w.Code != tt.status {
			t.Errorf("%s %s %s: %d, want %d", tt.as, tt.req.method, tt.req.path, w.Code, tt.status)
		}
	}
	w = f.do(t, request{method: "POST", path: made.Href + "/send", as: asAdvisorA})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"sent_at":"20`) {
		t.Errorf("send: %d %s", w.Code, w.Body)
	}
}
