package page

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/ecrm-project/ecrm/internal/i18n"
)

// LangSwitchPath is the route of LangSwitchHandler, which the layout's
// language links point to.
const LangSwitchPath = "/lang"

// langCookieMaxAge keeps the language choice for a year.
const langCookieMaxAge = 365 * 24 * 60 * 60

// LangSwitchHandler serves GET /lang?to=ro&back=/path: it stores the chosen
// language in the "lang" cookie (which i18n.Negotiate prefers to
// Accept-Language) and redirects with 303 See Other to back. back must be a
// path on this site; anything else ("//evil.com", "https://evil.com",
// "/\evil", a control character) redirects to "/" so the switch cannot be
// used as an open redirect. An unsupported language changes nothing.
func LangSwitchHandler(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if tag, ok := i18n.ParseLanguage(q.Get("to")); ok {
		http.SetCookie(w, &http.Cookie{
			Name:     i18n.CookieName,
			Value:    tag.String(),
			Path:     "/",
			MaxAge:   langCookieMaxAge,
			HttpOnly: true,
			Secure:   r.TLS != nil,
			SameSite: http.SameSiteLaxMode,
		})
	}
	back := q.Get("back")
	if !isLocalPath(back) {
		back = "/"
	}
	w.Header().Set("Cache-Control", "no-store")
	// Set directly rather than with http.Redirect, which would rewrite a
	// relative path against the /lang URL.
	w.Header().Set("Location", back)
	w.WriteHeader(http.StatusSeeOther)
}

// isLocalPath reports whether s is a path (with optional query) on this
// site that a browser cannot read as another host. Browsers treat "//host",
// "/\host" and "\\host" as another host and drop tabs and newlines before
// parsing, so any backslash, whitespace or control character is refused.
func isLocalPath(s string) bool {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
		return false
	}
	for _, r := range s {
		if r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	return true
}
