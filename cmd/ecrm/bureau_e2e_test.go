package main

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/ecrm-project/ecrm/internal/demodata"
)

// TestBureauImportPageThroughTheServer: the admin finds the bureau import
// in the console's navigation, uploads a report whose line 17 is bad and
// reads that line named; an advisor has neither the link nor the page, and
// a cross-site upload is refused.
func TestBureauImportPageThroughTheServer(t *testing.T) {
	e := newTestEnv(t, nil)
	e.withDemoPeople()
	var client int64
	if err := e.pool.QueryRow(context.Background(), `
		WITH admin AS (INSERT INTO staff_users (email, display_name, roles) VALUES ($1, 'Elena Dobre', '{admin}'))
		INSERT INTO clients (given_name, family_name) VALUES ('Ana', 'Bureau') RETURNING id`, demodata.DemoAdminEmail).Scan(&client); err != nil {
		t.Fatal(err)
	}
	var report bytes.Buffer
	report.WriteString("client_id,lender,reference,kind,currency,credit_limit,balance,opened_on,period,amount_due,amount_paid,status,line_status\n")
	for i := range 17 { // lines 2–18
		status := "on_time"
		if i == 15 { // line 17
			status = "paid"
		}
		fmt.Fprintf(&report, "%d,Banca Carpatica,CC-1,credit_card,RON,1000.00,100.00,2024-12-01,%d-%02d,12.50,12.50,%s,active\n",
			client, 2025+i/12, i%12+1, status)
	}
	upload := func(b *browser, header map[string]string, file ...[]byte) (*http.Response, string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "bureau.csv")
		if len(file) == 0 {
			file = append(file, report.Bytes())
		}
		fw.Write(file[0])
		mw.Close()
		h := map[string]string{"Content-Type": mw.FormDataContentType()}
		for k, v := range header {
			h[k] = v
		}
		return b.doBody("POST", e.baseURL+"/console/imports/bureau", body.String(), h)
	}

	admin := e.newBrowser()
	e.login(admin, "demo-admin-elena")
	if _, body := admin.get(e.baseURL + "/console"); !strings.Contains(body, `href="/console/imports/bureau"`) {
		t.Error("no bureau import in the admin's navigation")
	}
	res, body := upload(admin, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `<tr><th scope="row" class="numeric">17</th><td>Missing or invalid: status</td></tr>`) ||
		!strings.Contains(body, `<dd id="bureau-applied">16</dd>`) {
		t.Errorf("admin upload: %d\n%s", res.StatusCode, body)
	}
	// Files above the server's usual 1 MiB body limit are read (this
	// one's header lacks columns), those above 10 MiB refused.
	big := append([]byte("client_id,reference\n"), bytes.Repeat([]byte("1,x\n"), 1<<19)...)
	if res, body := upload(admin, nil, big); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "The header lacks the column lender.") {
		t.Errorf("a 2 MiB file: %d", res.StatusCode)
	}
	if res, body := upload(admin, nil, bytes.Repeat([]byte("1,x\n"), 11<<18)); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "The file is larger than 10 MiB.") {
		t.Errorf("an 11 MiB file: %d", res.StatusCode)
	}
	if res, _ := upload(admin, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site upload: %d, want 403", res.StatusCode)
	}

	advisor := e.newBrowser()
	e.login(advisor, advisorSubject)
	if _, body := advisor.get(e.baseURL + "/console"); strings.Contains(body, `/console/imports/bureau`) {
		t.Error("the bureau import in an advisor's navigation")
	}
	for _, method := range []string{"GET", "POST"} {
		var res *http.Response
		if method == "GET" {
			res, _ = advisor.get(e.baseURL + "/console/imports/bureau")
		} else {
			res, _ = upload(advisor, nil)
		}
		if res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusNotFound {
			t.Errorf("advisor %s: %d, want 403 or 404", method, res.StatusCode)
		}
	}
}
