package sheet_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/ecrm-project/ecrm/internal/sheet"
)

func TestNeutralize(t *testing.T) {
	for in, want := range map[string]string{
		`=HYPERLINK("http://evil.example","Radu")`: `'=HYPERLINK("http://evil.example","Radu")`,
		"+40 721 000 001":                          "'+40 721 000 001",
		"-2+3":                                     "'-2+3",
		"-350.00":                                  "-350.00",
		"+7":                                       "+7",
		"-":                                        "'-",
		"-1e5":                                     "'-1e5",
		"@SUM(A1)":                                 "'@SUM(A1)",
		"\t=1":                                     "'\t=1",
		"\r=1":                                     "'\r=1",
		"Radu = Ionescu":                           "Radu = Ionescu",
		"'already quoted":                          "'already quoted",
		"":                                         "",
		"Ștefănescu":                               "Ștefănescu",
	} {
		if got := sheet.Neutralize(in); got != want {
			t.Errorf("Neutralize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSV(t *testing.T) {
	var buf bytes.Buffer
	w := sheet.NewCSV(&buf)
	for _, step := range []func() error{
		func() error { return w.Sheet("Records") },
		func() error { return w.Row("id", "name") },
		func() error { return w.Row("1", `=HYPERLINK("http://evil.example","Radu")`) },
		func() error { return w.Sheet("Proof") },
		func() error { return w.Row("proof", "-1", "-1-1") },
		w.Close,
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	want := "id,name\n1,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Radu\"\")\"\n\nproof,-1,'-1-1\n"
	if buf.String() != want {
		t.Errorf("CSV:\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestXLSX(t *testing.T) {
	var buf bytes.Buffer
	w := sheet.NewXLSX(&buf)
	long := strings.Repeat("ă", 20000) // 40,000 bytes
	for _, step := range []func() error{
		func() error { return w.Sheet("Records") },
		func() error { return w.Row("id", "name") },
		func() error { return w.Row("1", "@cmd|' /C calc'!A0") },
		func() error { return w.Row("2", long) },
		func() error { return w.Sheet("Proof") },
		func() error { return w.Row("proof", "+1", "+1+1") },
		w.Close,
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, ",") != "Records,Proof" {
		t.Errorf("sheets %v", got)
	}
	records, err := f.GetRows("Records")
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 3 || records[1][1] != "'@cmd|' /C calc'!A0" {
		t.Errorf("records %q", records[:2])
	}
	if cell := records[2][1]; len(cell) > sheet.XLSXCellLimit || !strings.HasSuffix(cell, "…") || !strings.HasPrefix(cell, "ăăă") {
		t.Errorf("a 40,000-byte cell came back with %d bytes", len(cell))
	}
	formula, err := f.GetCellFormula("Records", "B2")
	if err != nil || formula != "" {
		t.Errorf("B2 holds a formula %q (%v)", formula, err)
	}
	proof, _ := f.GetRows("Proof")
	if len(proof) != 1 || proof[0][1] != "+1" || proof[0][2] != "'+1+1" {
		t.Errorf("proof %q", proof)
	}
}
