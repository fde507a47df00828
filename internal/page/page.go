// Package page renders ecrm's server-side HTML: the shared layout of the
// client portal and the staff console, the public home page, error pages,
// the language switch and the static assets (CSS, icon) they link to.
//
// Templates and assets are embedded in the binary and parsed once, at
// startup, by [New]. Every page template is parsed together with
// templates/layout.html and defines two templates: "title" (the text of
// <title>) and "content" (what goes inside <main>). Every string a person
// reads goes through the i18n catalogue with the template function t, so
// templates contain no English of their own:
//
//	{{t "nav.overview"}}  {{t "layout.signed_in_as" .User.Name}}
//	{{money .Data.Balance}}  {{decimal .Data.Rate 2}}  {{percent .Data.Rate 2}}
//	{{date .Data.Opened}}  {{datetime .Data.At .Data.Zone}}  {{asset "app.css"}}
//
// Pages carry no inline script or style (no <script> without src, no
// <style>, no style= or on...= attributes), so that a strict
// Content-Security-Policy of default-src 'self' holds; a test scans the
// templates for this.
package page

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
	"golang.org/x/text/language"

	"github.com/ecrm-project/ecrm"
	"github.com/ecrm-project/ecrm/internal/i18n"
)

//go:embed templates static
var embedded embed.FS

// Area says which part of ecrm a page belongs to, and so which navigation
// and header the layout shows.
type Area string

// The areas of ecrm's pages.
const (
	// AreaPublic is for pages anyone may see, such as the welcome page and
	// error pages: no primary navigation.
	AreaPublic Area = "public"
	// AreaPortal is the client's self-service portal.
	AreaPortal Area = "portal"
	// AreaConsole is the staff console (advisors, compliance, admins).
	AreaConsole Area = "console"
)

// PageUser is the signed-in person as the layout shows them. Handlers fill
// it from the session; it carries nothing the page must not show.
type PageUser struct {
	// Name is the display name shown in the header.
	Name string
	// Kind is "client" or "staff".
	Kind string
	// Roles are the staff roles (advisor, compliance, admin) that decide
	// which console navigation items are shown.
	Roles []string
}

// NavItem is one entry of the primary navigation.
type NavItem struct {
	Href string
	// LabelKey is the catalogue key of the link text.
	LabelKey string
	// Roles, when not empty, shows the item only to a user with one of
	// these roles.
	Roles []string
	// Current marks the item of the page being shown; the layout renders
	// it with aria-current="page". Render sets it.
	Current bool
}

// LanguageLink is one entry of the language switch.
type LanguageLink struct {
	Code string // "en", "ro"
	// NameKey is the catalogue key of the language's own name ("Română").
	NameKey string
	// Href is the /lang URL that switches to this language and comes back
	// to the current page.
	Href    string
	Current bool
}

// View is what every template sees as its dot: the page's own data in Data
// plus what the layout needs. A handler may pass a View (or *View) to
// Render to set TitleKey, Area, User or CSRFToken; any other value is
// wrapped as the Data of a View. Render fills Lang, Path, ReturnTo,
// Languages and (unless set) Nav.
type View struct {
	// Lang is the page language, "en" or "ro", for <html lang>.
	Lang string
	// Path is the request path, used to mark the current navigation item.
	Path string
	// ReturnTo is the request path and query, where the language switch
	// comes back to.
	ReturnTo string
	// TitleKey, when set, is the catalogue key of the page title and takes
	// the place of the page template's "title".
	TitleKey string
	// Area picks the navigation; empty means portal for a signed-in
	// client, console for staff and public otherwise.
	Area Area
	// Nav is the primary navigation; when nil Render uses the area's
	// default, filtered by the user's roles.
	Nav []NavItem
	// Languages is the language switch.
	Languages []LanguageLink
	// User is the signed-in person, nil on public pages.
	User *PageUser
	// CSRFToken is put in every form the layout renders (the log-out
	// form); the session layer fills it.
	CSRFToken string
	// Data is the page's own data.
	Data any
	// Firm is the name of the firm running ecrm, shown in the header.
	Firm string
}

// Renderer renders the embedded page templates. Build it once with New and
// share it: it is safe for concurrent use.
type Renderer struct {
	// pages holds, per language, each page parsed with the layout and with
	// template functions bound to that language's Localizer, so that each
	// template is escaped once, on first use, and never cloned per request.
	pages  map[language.Tag]map[string]*template.Template
	assets *assetSet
	// firm is the firm's name (ECRM_FIRM_NAME), shown in every header.
	firm string
}

// SetFirm sets the firm's name every page shows.
func (r *Renderer) SetFirm(name string) {
	if name != "" {
		r.firm = name
	}
}

const layoutFile = "templates/layout.html"

// New parses every page in templates/ (each with the layout) and hashes
// the static assets. Domain packages may pass file systems of their own
// page templates (*.html at the root of each), which are parsed with the
// same layout and rendered by file name without ".html"; a name used twice
// is an error. A template that does not parse is an error here, at
// startup, rather than on the first request.
func New(pageSets ...fs.FS) (*Renderer, error) {
	static, err := fs.Sub(embedded, "static")
	if err != nil {
		return nil, err
	}
	assets, err := newAssetSet(static)
	if err != nil {
		return nil, err
	}
	layout, err := fs.ReadFile(embedded, layoutFile)
	if err != nil {
		return nil, err
	}
	own, err := fs.Sub(embedded, "templates")
	if err != nil {
		return nil, err
	}

	// A file named *.partial.html holds templates shared by the pages of
	// its own set (a filter form, a table two pages show); one named
	// *.shared.html templates every set's pages may use (a section a
	// domain draws on its own page and on another package's, such as the
	// portfolio's risk on the portal and on the advisor's 360); every
	// other file is a page.
	type source struct {
		text []byte
		set  int
	}
	sources := map[string]source{} // page name → template text
	partials := map[int][][]byte{} // set → partial templates
	var shared [][]byte
	for i, set := range append([]fs.FS{own}, pageSets...) {
		files, err := fs.Glob(set, "*.html")
		if err != nil {
			return nil, err
		}
		for _, file := range files {
			name := strings.TrimSuffix(file, ".html")
			if i == 0 && file == path.Base(layoutFile) {
				continue
			}
			text, err := fs.ReadFile(set, file)
			if err != nil {
				return nil, err
			}
			if strings.HasSuffix(file, ".partial.html") {
				partials[i] = append(partials[i], text)
				continue
			}
			if strings.HasSuffix(file, ".shared.html") {
				shared = append(shared, text)
				continue
			}
			if _, dup := sources[name]; dup {
				return nil, fmt.Errorf("page: two templates named %q", name)
			}
			sources[name] = source{text, i}
		}
	}

	r := &Renderer{pages: map[language.Tag]map[string]*template.Template{}, assets: assets, firm: ecrm.DefaultFirm}
	for _, lang := range i18n.Supported() {
		funcs := r.funcs(i18n.NewLocalizer(lang))
		r.pages[lang] = map[string]*template.Template{}
		for name, src := range sources {
			t, err := template.New(name).Funcs(funcs).Parse(string(layout))
			if err != nil {
				return nil, fmt.Errorf("page: parse %s: %w", layoutFile, err)
			}
			for _, partial := range append(slices.Clone(shared), partials[src.set]...) {
				if _, err := t.Parse(string(partial)); err != nil {
					return nil, fmt.Errorf("page: parse a partial for %s.html: %w", name, err)
				}
			}
			if _, err := t.Parse(string(src.text)); err != nil {
				return nil, fmt.Errorf("page: parse %s.html: %w", name, err)
			}
			if t.Lookup("content") == nil {
				return nil, fmt.Errorf("page: %s.html defines no \"content\" template", name)
			}
			r.pages[lang][name] = t
		}
	}
	return r, nil
}

// funcs are the template functions, bound to one language.
func (r *Renderer) funcs(l *i18n.Localizer) template.FuncMap {
	return template.FuncMap{
		"t":  l.T,
		"tn": l.TN,
		// local shows a firm-written ecrm.Text in the page's language.
		"local": l.Text,
		// say shows a recorded i18n.Message in the page's language.
		"say": func(m i18n.Message) string { return m.In(l) },
		// fixedLang is the record's language for a message that cannot be
		// said in the page's (for a lang attribute), "" otherwise.
		"fixedLang": func(m i18n.Message, recordLang string) string {
			if m.Fixed() {
				return recordLang
			}
			return ""
		},
		"money": l.Money,
		"decimal": func(d decimal.Decimal, places int) string {
			return l.Decimal(d, int32(places))
		},
		// exact shows a quantity or price with all its places (at least
		// min), never rounded.
		"exact": func(d decimal.Decimal, min int) string {
			return l.Decimal(d, int32(i18n.ExactPlaces(d, min)))
		},
		"percent": func(ratio decimal.Decimal, places int) string {
			return l.Percent(ratio, int32(places))
		},
		"date":      l.Date,
		"hasPrefix": strings.HasPrefix,
		// ibanGroups writes an IBAN in groups of four, as printed on
		// statements and cards, so it can be read out and checked.
		"ibanGroups": ecrm.GroupIBAN,
		"datetime":   l.DateTime,
		"filesize":   l.FileSize,
		"asset":      r.assets.url,
	}
}

// Render writes the page name (a template file name without ".html") with
// the given status, in the request's language (see i18n.Middleware). The
// page is executed into a buffer first, so a template error becomes a clean
// 500 error page instead of half a page. HTML is sent with Cache-Control:
// no-store unless the handler set a Cache-Control of its own, since pages
// may show a client's data.
func (r *Renderer) Render(w http.ResponseWriter, req *http.Request, status int, name string, data any) {
	view := r.view(req, data)
	if err := r.write(w, req, status, name, view); err != nil {
		slog.ErrorContext(req.Context(), "page: render failed", "page", name, "err", err)
		r.RenderError(w, req, http.StatusInternalServerError, "", "", "")
	}
}

// ErrorPage is the Data of the error page.
type ErrorPage struct {
	Status    int
	Title     string
	Detail    string
	RequestID string
}

// RenderError writes the error page with the given status. title and
// detail are catalogue keys (shown translated) or, when not in the
// catalogue, text shown as it is; empty ones default to the status's own
// wording ("error.404.title"). requestID, when not empty, is shown so that
// a person can quote it to support.
func (r *Renderer) RenderError(w http.ResponseWriter, req *http.Request, status int, title, detail, requestID string) {
	l := i18n.FromContext(req.Context())
	if title == "" {
		title = statusKey(status, "title")
	}
	if detail == "" {
		detail = statusKey(status, "detail")
	}
	view := r.view(req, View{Area: AreaPublic, Data: ErrorPage{
		Status:    status,
		Title:     l.T(title),
		Detail:    l.T(detail),
		RequestID: requestID,
	}})
	if err := r.write(w, req, status, "error", view); err != nil {
		// The error page itself failed: fall back to plain text, still
		// translated, rather than leave the response empty.
		slog.ErrorContext(req.Context(), "page: render error page failed", "status", status, "err", err)
		http.Error(w, l.T(statusKey(status, "title")), status)
	}
}

// statusKey returns the catalogue key of a status's title or detail, or the
// generic one for a status without its own wording.
func statusKey(status int, part string) string {
	key := fmt.Sprintf("error.%d.%s", status, part)
	if i18n.HasMessage(i18n.English, key) {
		return key
	}
	return "error.generic." + part
}

// write executes the page into a buffer and sends it only if that worked;
// on error nothing has been written to w.
func (r *Renderer) write(w http.ResponseWriter, req *http.Request, status int, name string, view *View) error {
	lang := i18n.FromContext(req.Context()).Lang()
	t, ok := r.pages[lang][name]
	if !ok {
		return fmt.Errorf("page: no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", view); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	if h.Get("Content-Language") == "" {
		h.Set("Content-Language", lang.String())
	}
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	if err != nil {
		// The client went away; the status is sent, so only log it.
		slog.DebugContext(req.Context(), "page: write response", "page", name, "err", err)
	}
	return nil
}

// view wraps data in a View and fills the fields the layout needs.
func (r *Renderer) view(req *http.Request, data any) *View {
	var v View
	switch d := data.(type) {
	case View:
		v = d
	case *View:
		if d != nil {
			v = *d
		}
	default:
		v.Data = data
	}
	lang := i18n.FromContext(req.Context()).Lang()
	v.Lang = lang.String()
	v.Firm = r.firm
	v.Path = req.URL.Path
	v.ReturnTo = req.URL.RequestURI()
	if !isLocalPath(v.ReturnTo) {
		v.ReturnTo = "/"
	}
	if v.User == nil {
		v.User = userFrom(req)
	}
	if v.Area == "" {
		v.Area = AreaPublic
		if v.User != nil {
			v.Area = AreaPortal
			if v.User.Kind == "staff" {
				v.Area = AreaConsole
			}
		}
	}
	if v.Nav == nil {
		v.Nav = navigationFor(v.Area, v.User)
	}
	markCurrent(v.Nav, v.Path)
	v.Languages = languageLinks(lang, v.ReturnTo)
	return &v
}

// AreaLabelKey returns the catalogue key naming the area in the header
// ("Client portal", "Staff console"), or "" for public pages.
func (v *View) AreaLabelKey() string {
	switch v.Area {
	case AreaPortal:
		return "layout.portal"
	case AreaConsole:
		return "layout.console"
	}
	return ""
}

// HomeHref is where the product name in the header links to: the start
// page of the area.
func (v *View) HomeHref() string {
	switch v.Area {
	case AreaPortal:
		return portalHome
	case AreaConsole:
		return consoleHome
	}
	return "/"
}

// userFrom shows the authenticated principal, if any, in the header.
func userFrom(req *http.Request) *PageUser {
	p := ecrm.PrincipalFrom(req.Context())
	if p == nil {
		return nil
	}
	return &PageUser{Name: p.Name, Kind: string(p.Kind), Roles: p.Roles}
}

// TemplateDir returns the templates directory of a domain package's
// embedded files, for New. The directory is embedded with the package, so
// a failure is a programming error and panics at start-up.
func TemplateDir(files fs.FS) fs.FS {
	sub, err := fs.Sub(files, "templates")
	if err != nil {
		panic(err)
	}
	return sub
}
