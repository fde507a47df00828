package web

import "net/http"

// SecurityHeaders sets the headers a bank's security review expects on every
// response: a Content-Security-Policy that allows no inline script or style
// and no framing, no MIME sniffing, a strict referrer policy, and HSTS when
// the service is served over https.
//
// formTargets are other origins a form may lead to: browsers apply
// form-action to the redirects after a form post too, so the logout form,
// which is answered with a redirect to the identity provider's
// end_session_endpoint, needs the provider's origin here.
func SecurityHeaders(https bool, formTargets ...string) func(http.Handler) http.Handler {
	formAction := "'self'"
	for _, origin := range formTargets {
		formAction += " " + origin
	}
	csp := "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"object-src 'none'; base-uri 'none'; form-action " + formAction + "; frame-ancestors 'none'"
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
			if https {
				h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			}
			next.ServeHTTP(w, r)
		})
	}
}
