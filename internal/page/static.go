package page

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// StaticPrefix is the URL path under which StaticHandler serves the
// embedded assets.
const StaticPrefix = "/static/"

// asset is one embedded static file.
type asset struct {
	name    string // logical name, "app.css"
	hashed  string // name with content hash, "app.1a2b3c4d5e.css"
	etag    string
	content []byte
}

// assetSet is every file under static/, addressable by its logical name
// and by its hashed name.
type assetSet struct {
	byName   map[string]*asset
	byHashed map[string]*asset
}

func newAssetSet(static fs.FS) (*assetSet, error) {
	set := &assetSet{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	err := fs.WalkDir(static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := fs.ReadFile(static, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(content)
		hash := hex.EncodeToString(sum[:5])
		ext := path.Ext(name)
		a := &asset{
			name:    name,
			hashed:  strings.TrimSuffix(name, ext) + "." + hash + ext,
			etag:    `"` + hash + `"`,
			content: content,
		}
		set.byName[a.name] = a
		set.byHashed[a.hashed] = a
		return nil
	})
	return set, err
}

// url is the template function asset: the URL of a static file with its
// content hash in the name, so that it can be cached for a year and a new
// release is fetched at once. An unknown name is a template error.
func (s *assetSet) url(name string) (string, error) {
	a, ok := s.byName[name]
	if !ok {
		return "", fmt.Errorf("page: no static asset %q", name)
	}
	return StaticPrefix + a.hashed, nil
}

// StaticHandler serves the embedded static files. Mount it at StaticPrefix
// without stripping the prefix, e.g. mux.Handle("GET /static/", h). A
// hashed name (as the asset template function writes it) is cached by
// browsers for a year as immutable; the plain name ("/static/app.css") is
// also served, revalidated on every use, for hand-written links. A hashed
// name whose hash is not the current one is 404, so an old page never gets
// new content cached under an old URL.
func (r *Renderer) StaticHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(req.URL.Path, StaticPrefix)
		a, hashed := r.assets.byHashed[name]
		if !hashed {
			if a = r.assets.byName[name]; a == nil {
				http.NotFound(w, req)
				return
			}
		}
		h := w.Header()
		if hashed {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		h.Set("ETag", a.etag)
		h.Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, req, a.name, time.Time{}, bytes.NewReader(a.content))
	})
}
