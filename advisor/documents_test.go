package advisor

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os/exec"
	"regexp"
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
