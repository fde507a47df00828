// Package i18n holds ecrm's message catalogue and its locale conventions.
//
// Every string a person reads on an ecrm page comes from the catalogue, keyed
// by a stable English-ish key such as "nav.overview", so that a page can be
// shown in English or Romanian without touching its template. The messages
// live in messages/<area>.<lang>.json, flat JSON objects, one file per area
// and language, embedded in
// the binary and loaded into a golang.org/x/text catalog.Builder. A message is
// a fmt-style format string: a literal percent sign is written "%%".
//
// Numbers, money, percentages and dates are formatted here too, by a
// [Localizer] bound to one language. Amounts are formatted from their decimal
// digits and never pass through float64 (see [Localizer.Money]).
//
// Which language a request gets is decided by [Negotiate]: the "lang" cookie
// that the language switch sets wins over the browser's Accept-Language, and
// English is the default. [Middleware] does this for every request and puts
// the Localizer in the request context, where [FromContext] finds it.
package i18n

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"

	"golang.org/x/text/language"
	"golang.org/x/text/message/catalog"
)

// CookieName is the cookie the language switch sets to the chosen language
// ("en" or "ro"). It wins over Accept-Language in [Negotiate].
const CookieName = "lang"

// English and Romanian are the languages ecrm is translated into. English is
// the default and the fallback.
var (
	English  = language.English
	Romanian = language.Romanian
)

// supported lists the catalogue's languages, default first: the matcher
// returns index 0 when nothing in Accept-Language matches.
var supported = []language.Tag{English, Romanian}

var matcher = language.NewMatcher(supported)

// Supported returns the languages ecrm can show, the default (English) first.
func Supported() []language.Tag {
	return append([]language.Tag(nil), supported...)
}

// Negotiate picks the language of a response. A cookieValue naming a
// supported language ("en", "ro") wins, because it is the person's explicit
// choice made with the language switch; otherwise the Accept-Language header
// is matched against the supported languages (so "ro-RO" and "ro-MD" give
// Romanian); anything else, including a malformed header, gives English.
func Negotiate(acceptLanguage string, cookieValue string) language.Tag {
	if tag, ok := parseSupported(cookieValue); ok {
		return tag
	}
	if strings.TrimSpace(acceptLanguage) == "" {
		return English
	}
	// The matcher answers index 0 (English) when no language matches.
	_, index := language.MatchStrings(matcher, acceptLanguage)
	return supported[index]
}

// parseSupported returns the supported language whose base is exactly value
// ("en" or "ro", any case). Regional forms are not accepted here because the
// cookie is only ever written by the language switch.
func parseSupported(value string) (language.Tag, bool) {
	value = strings.ToLower(strings.TrimSpace(value))
	for _, tag := range supported {
		if value == tag.String() {
			return tag, true
		}
	}
	return language.Tag{}, false
}

// ParseLanguage reports which supported language the code names ("en" or
// "ro", any case). The language switch uses it to validate its input.
func ParseLanguage(code string) (language.Tag, bool) {
	return parseSupported(code)
}

// HasMessage reports whether the catalogue has the key in the given language.
// Tests use it to check that every key a template uses is translated.
func HasMessage(lang language.Tag, key string) bool {
	c := loadCatalogue()
	_, ok := c.messages[baseTag(lang)][key]
	return ok
}

//go:embed messages/*.json
var messageFiles embed.FS

// catalogueData is the parsed message files: the x/text catalog that
// printers format from, plus the raw messages per language so keys can be
// checked and missing keys detected without formatting.
type catalogueData struct {
	builder  *catalog.Builder
	messages map[language.Tag]map[string]string
}

// loadCatalogue parses the embedded message files once, on first use. The
// files are part of the binary and covered by tests, so a broken file is a
// programming error and panics.
var loadCatalogue = sync.OnceValue(func() *catalogueData {
	c, err := parseCatalogue()
	if err != nil {
		panic(err)
	}
	return c
})

func parseCatalogue() (*catalogueData, error) {
	c := &catalogueData{
		builder:  catalog.NewBuilder(catalog.Fallback(English)),
		messages: make(map[language.Tag]map[string]string),
	}
	for _, tag := range supported {
		// Each area of ecrm keeps its messages in its own file,
		// messages/<area>.<lang>.json; a key may appear in one file only.
		names, err := fs.Glob(messageFiles, "messages/*."+tag.String()+".json")
		if err != nil {
			return nil, err
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("i18n: no message files for %s", tag)
		}
		all := make(map[string]string)
		for _, name := range names {
			f, err := messageFiles.Open(name)
			if err != nil {
				return nil, fmt.Errorf("i18n: open %s: %w", name, err)
			}
			msgs, err := decodeMessages(f)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", name, err)
			}
			for key, msg := range msgs {
				if _, dup := all[key]; dup {
					return nil, fmt.Errorf("i18n: %s: key %q is also defined in another file", name, key)
				}
				all[key] = msg
				if err := c.builder.SetString(tag, key, msg); err != nil {
					return nil, fmt.Errorf("i18n: %s: key %q: %w", name, key, err)
				}
			}
		}
		c.messages[tag] = all
	}
	return c, nil
}

// decodeMessages reads one flat JSON object of string messages. Unlike
// json.Unmarshal into a map it rejects a key given twice, which would
// otherwise silently drop a translation.
func decodeMessages(r io.Reader) (map[string]string, error) {
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("want one JSON object of key: message pairs")
	}
	msgs := make(map[string]string)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string) // object keys are always strings
		var msg string
		if err := dec.Decode(&msg); err != nil {
			return nil, fmt.Errorf("key %q: %w", key, err)
		}
		if _, dup := msgs[key]; dup {
			return nil, fmt.Errorf("key %q given twice", key)
		}
		if strings.TrimSpace(msg) == "" {
			return nil, fmt.Errorf("key %q has an empty message", key)
		}
		msgs[key] = msg
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON object")
	}
	return msgs, nil
}

// baseTag maps any tag to the supported language it belongs to, so that
// "ro-RO" finds the Romanian messages.
func baseTag(tag language.Tag) language.Tag {
	_, index, _ := matcher.Match(tag)
	return supported[index]
}
