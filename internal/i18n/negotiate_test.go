package i18n

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"golang.org/x/text/language"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		acceptLanguage, cookie string
		want                   language.Tag
	}{
		{"", "", English},
		{"ro-RO,ro;q=0.9,en;q=0.8", "", Romanian},
		{"ro-MD", "", Romanian},
		{"en-GB,en;q=0.9", "", English},
		{"fr-FR,fr;q=0.9", "", English},
		{"de, ro;q=0.5", "", Romanian},
		{"fr, en;q=0.1, ro;q=0.2", "", Romanian},
		{"xx;;;garbage", "", English},
		// The cookie is an explicit choice and wins.
		{"ro-RO", "en", English},
		{"en-US", "ro", Romanian},
		{"", "RO", Romanian},
		// An unsupported or malformed cookie is ignored.
		{"ro", "fr", Romanian},
		{"en", "ro-RO", English},
		{"", "<script>", English},
	}
	for _, tt := range tests {
		if got := Negotiate(tt.acceptLanguage, tt.cookie); got != tt.want {
			t.Errorf("Negotiate(%q, %q) = %s, want %s", tt.acceptLanguage, tt.cookie, got, tt.want)
		}
	}
}

func TestNewLocalizerMapsToSupportedLanguage(t *testing.T) {
	tests := []struct {
		in   string
		want language.Tag
	}{
		{"en", English},
		{"en-US", English},
		{"ro", Romanian},
		{"ro-RO", Romanian},
		{"fr", English},
		{"und", English},
	}
	for _, tt := range tests {
		if got := NewLocalizer(language.MustParse(tt.in)).Lang(); got != tt.want {
			t.Errorf("NewLocalizer(%s).Lang() = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestFromContextDefaultsToEnglish(t *testing.T) {
	if got := FromContext(t.Context()).Lang(); got != English {
		t.Errorf("FromContext(empty).Lang() = %s, want en", got)
	}
	ctx := WithLocalizer(t.Context(), NewLocalizer(Romanian))
	if got := FromContext(ctx).Lang(); got != Romanian {
		t.Errorf("FromContext(WithLocalizer(ro)).Lang() = %s, want ro", got)
	}
}

func TestMiddleware(t *testing.T) {
	tests := []struct {
		name           string
		acceptLanguage string
		cookie         string
		want           string
	}{
		{"default", "", "", "en"},
		{"accept-language", "ro-RO,ro;q=0.9", "", "ro"},
		{"cookie wins", "ro-RO", "en", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen string
			h := Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = FromContext(r.Context()).Lang().String()
			}))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.acceptLanguage != "" {
				req.Header.Set("Accept-Language", tt.acceptLanguage)
			}
			if tt.cookie != "" {
				req.AddCookie(&http.Cookie{Name: CookieName, Value: tt.cookie})
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if seen != tt.want {
				t.Errorf("localizer in context = %s, want %s", seen, tt.want)
			}
			if got := rec.Header().Get("Content-Language"); got != tt.want {
				t.Errorf("Content-Language = %q, want %q", got, tt.want)
			}
			if got := rec.Header().Values("Vary"); len(got) != 1 || got[0] != "Accept-Language, Cookie" {
				t.Errorf("Vary = %q, want [\"Accept-Language, Cookie\"]", got)
			}
		})
	}
}
