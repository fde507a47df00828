// Package document makes ecrm's PDF documents — an offer letter, payment
// instructions, a meeting summary, a monthly account statement — from
// versioned template files in the repository (templates/<kind>.v<N>.<lang>.txt),
// in the reader's language, with DejaVu Sans embedded so that Romanian's
// ă â î ș ț print (and copy) as themselves. A document records the
// template version it was made from and the SHA-256 of its bytes.
//
// A template is a Go text/template producing a small line format:
//
//	# Title                 the document's title
//	## Heading              a section heading
//	| Label | Value         a row of a two-column table of facts
//	- item                  a bulleted line
//	(blank line)            ends a paragraph
//	anything else           paragraph text, wrapped
package document

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"codeberg.org/go-pdf/fpdf"
)

//go:embed templates/*.txt
var templateFiles embed.FS

//go:embed fonts/DejaVuSans.ttf
var regularFont []byte

//go:embed fonts/DejaVuSans-Bold.ttf
var boldFont []byte

var templateName = regexp.MustCompile(`^([a-z_]+)\.v(\d+)\.(en|ro)\.txt$`)

// Kinds are the documents ecrm makes.
var Kinds = []string{"offer_letter", "payment_instructions", "meeting_summary", "account_statement"}

// Renderer holds the newest version of every template.
type Renderer struct {
	templates map[string]*template.Template // kind.lang
	versions  map[string]int
}

// Document is a made PDF.
type Document struct {
	Kind            string
	Language        string
	TemplateVersion int
	PDF             []byte
	SHA256          string
}

// New parses the templates; for each kind and language the highest
// version is the one used.
func New() (*Renderer, error) {
	r := &Renderer{templates: map[string]*template.Template{}, versions: map[string]int{}}
	names, err := fs.Glob(templateFiles, "templates/*.txt")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		m := templateName.FindStringSubmatch(path.Base(name))
		if m == nil {
			return nil, fmt.Errorf("document template %s: not named <kind>.v<N>.<en|ro>.txt", name)
		}
		version, _ := strconv.Atoi(m[2])
		key := m[1] + "." + m[3]
		if version <= r.versions[key] {
			continue
		}
		text, err := fs.ReadFile(templateFiles, name)
		if err != nil {
			return nil, err
		}
		t, err := template.New(name).Option("missingkey=error").Parse(string(text))
		if err != nil {
			return nil, fmt.Errorf("document template %s: %w", name, err)
		}
		r.templates[key], r.versions[key] = t, version
	}
	for _, k := range Kinds {
		for _, lang := range []string{"en", "ro"} {
			if r.templates[k+"."+lang] == nil {
				return nil, fmt.Errorf("document template %s.%s: missing", k, lang)
			}
		}
	}
	return r, nil
}

// Make fills the kind's template in lang with data and lays it out as a
// PDF.
func (r *Renderer) Make(kind, lang string, data any) (Document, error) {
	key := kind + "." + lang
	t := r.templates[key]
	if t == nil {
		return Document{}, fmt.Errorf("document %s in %s: no template", kind, lang)
	}
	var text bytes.Buffer
	if err := t.Execute(&text, data); err != nil {
		return Document{}, fmt.Errorf("document %s: %w", kind, err)
	}
	pdf, err := layout(text.String(), kind)
	if err != nil {
		return Document{}, err
	}
	sum := sha256.Sum256(pdf)
	return Document{Kind: kind, Language: lang, TemplateVersion: r.versions[key], PDF: pdf, SHA256: hex.EncodeToString(sum[:])}, nil
}

// layout writes the line format on A4 pages.
func layout(text, kind string) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetTitle(kind, true)
	p.SetCreator("ecrm", true)
	p.AddUTF8FontFromBytes("DejaVu", "", regularFont)
	p.AddUTF8FontFromBytes("DejaVu", "B", boldFont)
	p.SetMargins(20, 20, 20)
	p.SetAutoPageBreak(true, 20)
	p.AliasNbPages("")
	p.SetFooterFunc(func() {
		p.SetY(-15)
		p.SetFont("DejaVu", "", 8)
		p.CellFormat(0, 10, fmt.Sprintf("%d / {nb}", p.PageNo()), "", 0, "C", false, 0, "")
	})
	p.AddPage()
	width, _ := p.GetPageSize()
	usable := width - 40
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, " \t\r")
		switch {
		case strings.HasPrefix(line, "# "):
			p.SetFont("DejaVu", "B", 16)
			p.MultiCell(0, 8, strings.TrimPrefix(line, "# "), "", "L", false)
			p.Ln(2)
		case strings.HasPrefix(line, "## "):
			p.Ln(2)
			p.SetFont("DejaVu", "B", 12)
			p.MultiCell(0, 6, strings.TrimPrefix(line, "## "), "", "L", false)
			p.Ln(1)
		case strings.HasPrefix(line, "| "):
			label, value, _ := strings.Cut(strings.TrimPrefix(line, "| "), " | ")
			p.SetFont("DejaVu", "B", 10)
			y := p.GetY()
			p.MultiCell(usable*0.38, 5.5, strings.TrimSpace(label), "", "L", false)
			labelEnd := p.GetY()
			p.SetXY(20+usable*0.38, y)
			p.SetFont("DejaVu", "", 10)
			p.MultiCell(usable*0.62, 5.5, strings.TrimSpace(value), "", "L", false)
			if labelEnd > p.GetY() {
				p.SetY(labelEnd)
			}
		case strings.HasPrefix(line, "- "):
			p.SetFont("DejaVu", "", 10)
			p.MultiCell(0, 5.5, "• "+strings.TrimPrefix(line, "- "), "", "L", false)
		case line == "":
			p.Ln(3)
		default:
			p.SetFont("DejaVu", "", 10)
			p.MultiCell(0, 5.5, line, "", "L", false)
		}
	}
	var out bytes.Buffer
	if err := p.Output(&out); err != nil {
		return nil, fmt.Errorf("document %s: %w", kind, err)
	}
	return out.Bytes(), nil
}

// Letter is what a deal's documents are filled with, every value already
// written in the reader's language (money, dates).
type Letter struct {
	Firm       string
	Date       string
	Reference  string // the deal's number
	ClientName string
	Address    string
	Advisor    string
	Title      string
	Product    string
	Amount     string
	Stage      string
	IBAN       string // where payments go
	Tasks      []string
}

// Statement is a month of an account, written in the reader's language.
type Statement struct {
	Firm       string
	ClientName string
	Address    string
	Account    string
	IBAN       string
	Period     string
	Opening    string
	Closing    string
	In, Out    string
	Lines      []StatementLine
	Issued     string
}

// StatementLine is one transaction of a statement.
type StatementLine struct {
	Date, Description, Amount string
}
