package document

import (
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// pdfText is the text pdftotext (poppler-utils, installed by make
// test-deps) reads back from a PDF.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	cmd := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// TestRomanianDiacriticsPrint: an offer letter in Romanian reads back,
// diacritics and all, with its template version and a hash of its bytes.
func TestRomanianDiacriticsPrint(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	d, err := r.Make("offer_letter", "ro", Letter{Firm: "ecrm Bank", Date: "6 dec. 2026", Reference: "D-42", ClientName: "Ștefan Țurcanu",
		Address: "Strada Băneasa 3, Brașov", Advisor: "Maria Ionescu", Title: "Economii pentru copii", Product: "Cont de economii flexibil RON",
		Amount: "20.000,50 lei"})
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, d.PDF)
	for _, want := range []string{"ecrm Bank — oferta D-42", "Ștefan Țurcanu", "Strada Băneasa 3, Brașov", "Economii pentru copii",
		"Cont de economii flexibil RON", "20.000,50 lei", "Condițiile, comisioanele și documentul cu informații esențiale",
		"Oferta este valabilă 30 de zile"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(strings.ReplaceAll(text, " ", ""), "1/1") {
		t.Error("the page is not numbered 1/1")
	}
	if d.TemplateVersion != 1 || len(d.SHA256) != 64 || !bytes.HasPrefix(d.PDF, []byte("%PDF-")) {
		t.Errorf("document %s v%d sha %s", d.Kind, d.TemplateVersion, d.SHA256)
	}
	if _, err := r.Make("offer_letter", "ro", struct{ Firm string }{"x"}); err == nil {
		t.Error("a template filled with missing values made a document")
	}
}

// TestStatementPages: a statement of 120 transactions runs over pages,
// each numbered, every line kept.
func TestStatementPages(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s := Statement{Firm: "ecrm Bank", ClientName: "Ana Popescu", Account: "Current account", IBAN: "RO49 AAAA 1B31 0075 9384 0000",
		Period: "November 2026", Opening: "RON 1,000.00", Closing: "RON 880.00", In: "RON 0.00", Out: "RON 120.00", Issued: "6 Dec 2026"}
	for i := 0; i < 120; i++ {
		s.Lines = append(s.Lines, StatementLine{Date: "1 Nov 2026", Description: "POS Kaufland Brașov", Amount: "-RON 1.00"})
	}
	d, err := r.Make("account_statement", "en", s)
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, d.PDF)
	if n := strings.Count(text, "POS Kaufland Brașov"); n != 120 {
		t.Errorf("%d lines in the PDF, want 120", n)
	}
	pages := strings.Split(strings.TrimRight(text, "\f\n "), "\f")
	if len(pages) < 2 {
		t.Fatalf("%d pages for 120 lines", len(pages))
	}
	for i, page := range pages {
		if want := strconv.Itoa(i+1) + "/" + strconv.Itoa(len(pages)); !strings.Contains(strings.ReplaceAll(page, " ", ""), want) {
			t.Errorf("page %d is not numbered %s", i+1, want)
		}
	}
}
