package web_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/web"
)

type decodeTarget struct {
	Principal ecrm.Money `json:"principal"`
	Subject   string     `json:"subject"`
	Months    int        `json:"months"`
	Items     []struct {
		Rate decimal.Decimal `json:"rate"`
	} `json:"items"`
	Extra map[string]any `json:"extra"`
}

func TestDecodeJSONRefusesWhatCannotBeStored(t *testing.T) {
	long := strings.Repeat("9", 1<<20)
	tests := []struct {
		name, body, field, message string
	}{
		{"LongDecimalString", `{"principal":{"amount":"` + long + `","currency":"EUR"}}`, "principal.amount", "has more than 40 characters"},
		{"LongNumber", `{"principal":{"amount":` + long + `,"currency":"EUR"}}`, "principal.amount", "has more than 40 characters"},
		{"LongNumberAnywhere", `{"extra":{"n":` + long + `}}`, "extra.n", "has more than 40 characters"},
		{"NotADecimal", `{"principal":{"amount":"abc","currency":"EUR"}}`, "principal.amount", "must be a decimal number such as 1234.56"},
		{"Exponent", `{"principal":{"amount":"1e999999999","currency":"EUR"}}`, "principal.amount", "must be a decimal number such as 1234.56"},
		{"DecimalAsObject", `{"principal":{"amount":{},"currency":"EUR"}}`, "principal.amount", "must be a decimal number such as 1234.56"},
		{"InArray", `{"items":[{"rate":"0.1"},{"rate":"x"}]}`, "items[1].rate", "must be a decimal number such as 1234.56"},
		{"NUL", `{"subject":"a\u0000b"}`, "subject", "must be valid UTF-8 text without control characters"},
		{"NULDeep", `{"extra":{"list":["ok","\u0000"]}}`, "extra.list[1]", "must be valid UTF-8 text without control characters"},
		{"NULInName", `{"extra":{"a\u0000":1}}`, "extra", "must be valid UTF-8 text without control characters"},
		{"InvalidUTF8", "{\"subject\":\"\xff\"}", "subject", "must be valid UTF-8 text without control characters"},
		{"WrongType", `{"months":"x"}`, "months", "must be a whole number"},
		{"Unknown", `{"subjcet":"x"}`, "subjcet", "is not a known field"},
		{"Duplicate", `{"subject":"a","subject":"b"}`, "subject", "appears more than once"},
		{"WrongTopLevel", `[1,2]`, "body", "must be an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			var v decodeTarget
			err := web.DecodeJSON(req, &v)
			var e *ecrm.Error
			if !errors.As(err, &e) || e.Code != ecrm.EINVALID || len(e.Fields) != 1 {
				t.Fatalf("DecodeJSON = %v, want one invalid field", err)
			}
			if e.Fields[0].Field != tt.field || e.Fields[0].Message != tt.message {
				t.Errorf("field %q message %q, want %q %q", e.Fields[0].Field, e.Fields[0].Message, tt.field, tt.message)
			}
			if len(e.Message) > 200 {
				t.Errorf("the message echoes the input: %d bytes", len(e.Message))
			}
		})
	}
}

func TestDecodeJSONReadsWhatItShould(t *testing.T) {
	req := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(`{"principal":{"amount":"20000.50","currency":"EUR"},"subject":"Rată\tlunară\r\n","months":36,"items":[{"rate":0.079}],"extra":null}`))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	var v decodeTarget
	if err := web.DecodeJSON(req, &v); err != nil {
		t.Fatal(err)
	}
	if v.Principal.Amount.String() != "20000.5" || v.Principal.Currency != "EUR" || v.Subject != "Rată\tlunară\r\n" || v.Months != 36 ||
		len(v.Items) != 1 || v.Items[0].Rate.String() != "0.079" {
		t.Errorf("decoded %+v", v)
	}
}

func TestDecodeJSONWantsJSON(t *testing.T) {
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"} {
		req := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(`{"subject":"x"}`))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		var v decodeTarget
		err := web.DecodeJSON(req, &v)
		if web.ErrorStatus(err) != http.StatusUnsupportedMediaType {
			t.Errorf("Content-Type %q: %v (status %d), want 415", ct, err, web.ErrorStatus(err))
		}
	}
	req := httptest.NewRequest("PATCH", "/api/v1/x", strings.NewReader(`{"subject":"x"}`))
	req.Header.Set("Content-Type", "application/merge-patch+json")
	var v decodeTarget
	if err := web.DecodeJSON(req, &v); err != nil || v.Subject != "x" {
		t.Errorf("merge-patch+json: %v %+v", err, v)
	}
}

func TestCheckRequestText(t *testing.T) {
	tests := []struct {
		method, target, contentType, body string
		field                             string // "" when the request is fine
	}{
		{"GET", "/api/v1/products/LOAN-1?line=credit", "", "", ""},
		{"GET", "/api/v1/products/%00", "", "", "path"},
		{"GET", "/api/v1/products/%FF", "", "", "path"},
		{"GET", "/api/v1/products/%C3%28", "", "", "path"},
		{"GET", "/api/v1/clients?q=%00", "", "", "q"},
		{"GET", "/api/v1/clients?q=Ana&q=%C3%28", "", "", "q"},
		{"GET", "/api/v1/clients?%00=1", "", "", "query"},
		{"GET", "/api/v1/clients?q=%zz", "", "", "query"},
		{"POST", "/console/clients/1/interactions", "application/x-www-form-urlencoded", "subject=a%00b&channel=phone", "subject"},
		{"POST", "/console/clients/1/interactions", "application/x-www-form-urlencoded", "subject=Call%0D%0Aback&channel=phone", ""},
		{"POST", "/console/clients/1/interactions", "application/x-www-form-urlencoded", "subject=%zz", "form"},
		// A JSON body is DecodeJSON's to check, not this function's.
		{"POST", "/api/v1/x", "application/json", `{"subject":"a\u0000b"}`, ""},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
		if tt.contentType != "" {
			req.Header.Set("Content-Type", tt.contentType)
		}
		err := web.CheckRequestText(req)
		var e *ecrm.Error
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s %s %q: %v, want no error", tt.method, tt.target, tt.body, err)
		case tt.field != "" && (!errors.As(err, &e) || e.Field != tt.field || web.ErrorStatus(err) != http.StatusUnprocessableEntity):
			t.Errorf("%s %s %q: %v, want a 422 naming %q", tt.method, tt.target, tt.body, err, tt.field)
		}
	}
}
