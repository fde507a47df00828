package i18n

import (
	"context"
	"net/http"
)

type localizerKey struct{}

// WithLocalizer returns a copy of ctx carrying l, for code below the
// handler (templates, error pages) that formats for the request.
func WithLocalizer(ctx context.Context, l *Localizer) context.Context {
	return context.WithValue(ctx, localizerKey{}, l)
}

// FromContext returns the request's Localizer, or the English one when the
// context has none (a background job, or a handler outside [Middleware]).
func FromContext(ctx context.Context) *Localizer {
	if l, ok := ctx.Value(localizerKey{}).(*Localizer); ok && l != nil {
		return l
	}
	return NewLocalizer(English)
}

// Middleware negotiates the language of each request (see [Negotiate]) from
// its "lang" cookie and Accept-Language header, stores the Localizer in the
// request context, and sets Content-Language. It adds "Vary:
// Accept-Language, Cookie" because the same URL gives different bytes per
// language, and a shared cache must not serve one person's language to
// another.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cookieValue string
		if c, err := r.Cookie(CookieName); err == nil {
			cookieValue = c.Value
		}
		l := NewLocalizer(Negotiate(r.Header.Get("Accept-Language"), cookieValue))
		w.Header().Set("Content-Language", l.Lang().String())
		w.Header().Add("Vary", "Accept-Language, Cookie")
		next.ServeHTTP(w, r.WithContext(WithLocalizer(r.Context(), l)))
	})
}
