package insurance

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/language"

	"github.com/ecrm-project/ecrm/internal/document"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

// policyPDFText is the text pdftotext (poppler-utils) reads back from a
// PDF, with every run of white space (columns, wrapped lines) made one space.
func policyPDFText(t *testing.T, pdf []byte) string {
	t.Helper()
	cmd := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return regexp.MustCompile(`\s+`).ReplaceAllString(string(out), " ")
}

// TestPolicySchedulePDF: the policy schedule of Ana's trip in English and
// Romanian names the insured, the insurer, the period, the sum insured,
// the terms and conditions version, the policy it renews and the premium
// schedule with each instalment's status; the home policy without a
// recorded version says which conditions apply.
func TestPolicySchedulePDF(t *testing.T) {
	pool := policyFixture(t)
	s := fixturePolicies(pool)
	docs, err := document.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	en := i18n.NewLocalizer(language.English)
	doc, _, err := PolicySchedule(ctx, s, docs, "Banca Demo", 1, 102, en)
	if err != nil {
		t.Fatal(err)
	}
	text := policyPDFText(t, doc.PDF)
	for _, want := range []string{"Banca Demo — policy schedule ALZ-TRV-00000102", "Insured Ana Popescu", "Insurer Allianz-Țiriac",
		"Period of cover from " + en.Date(policyDate("2026-11-20")) + " to " + en.Date(policyDate("2026-12-19")) + " inclusive",
		"Sum insured RON 50,000.00", "Premium RON 120.00 (single premium)", "Premium for the term RON 120.00",
		"Terms and conditions TRV-2026.2", "Renews policy ALZ-TRV-00000101", "Premium schedule 20 Nov 2026 RON 120.00 — Paid"} {
		if !strings.Contains(text, want) {
			t.Errorf("English schedule lacks %q:\n%s", want, text)
		}
	}
	if doc.TemplateVersion != 1 || doc.Language != "en" {
		t.Errorf("template v%d %s", doc.TemplateVersion, doc.Language)
	}
	ro := i18n.NewLocalizer(language.Romanian)
	doc, _, err = PolicySchedule(ctx, s, docs, "Banca Demo", 1, 103, ro)
	if err != nil {
		t.Fatal(err)
	}
	text = policyPDFText(t, doc.PDF)
	for _, want := range []string{"specificația poliței GRM-HOM-00000103", "Asigurat Ana Popescu", "Asigurător Groupama",
		"Suma asigurată 400.000,00", "Condiții de asigurare condițiile generale ale asigurătorului în vigoare la data începerii",
		"Primă 100,00 lei (trimestrial)",
		"Graficul de plată a primelor 10 mar. 2026 100,00 lei — Plătită 10 iun. 2026 100,00 lei — Plătită 10 sept. 2026 100,00 lei — Restantă 10 dec. 2026 100,00 lei — Scadentă"} {
		if !strings.Contains(text, want) {
			t.Errorf("Romanian schedule lacks %q:\n%s", want, text)
		}
	}
	if _, _, err := PolicySchedule(ctx, s, docs, "Banca Demo", 2, 102, en); err != ErrPolicyNotFound {
		t.Errorf("Bogdan's schedule of Ana's policy: %v", err)
	}
}
