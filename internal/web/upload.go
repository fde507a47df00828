package web

import (
	"errors"
	"io"
	"net/http"
)

// ErrUploadTooLarge is returned by ReadUpload when a file, or the whole
// form, is larger than allowed; the page says the limit.
var ErrUploadTooLarge = errors.New("upload too large")

// ErrNoUpload is returned by ReadUpload when the request is not a
// multipart form or cannot be read as one.
var ErrNoUpload = errors.New("no multipart form")

// UploadedFile is one file of a multipart form.
type UploadedFile struct {
	Field string
	Name  string
	Data  []byte
}

// Upload is what a multipart form carried: its files in order and its
// small text fields (the first value of each).
type Upload struct {
	Files  []UploadedFile
	Values map[string]string
}

// File returns the first file sent under field, or nil.
func (u *Upload) File(field string) *UploadedFile {
	for i := range u.Files {
		if u.Files[i].Field == field {
			return &u.Files[i]
		}
	}
	return nil
}

// maxUploadField bounds a text field of an upload form: they are choices
// and short names, never documents.
const maxUploadField = 1 << 10

// ReadUpload reads a multipart form streamed, so that a file over maxFile
// bytes is refused as soon as it is seen rather than after it is spooled
// to disk as ParseMultipartForm would. The whole body is bounded by
// maxFile × maxFiles plus room for the fields; maxFiles is how many files
// are taken (more is ErrUploadTooLarge). Parts that carry a file name are
// files, the others text fields.
func ReadUpload(w http.ResponseWriter, r *http.Request, maxFile int64, maxFiles int) (*Upload, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFile*int64(maxFiles)+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, ErrNoUpload
	}
	u := &Upload{Values: map[string]string{}}
	var tooLarge *http.MaxBytesError
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return u, nil
		}
		if errors.As(err, &tooLarge) {
			return nil, ErrUploadTooLarge
		}
		if err != nil {
			return nil, ErrNoUpload
		}
		limit, isFile := int64(maxUploadField), part.FileName() != ""
		if isFile {
			limit = maxFile
		}
		data, err := io.ReadAll(io.LimitReader(part, limit+1))
		part.Close()
		switch {
		case errors.As(err, &tooLarge):
			return nil, ErrUploadTooLarge
		case err != nil:
			return nil, ErrNoUpload
		case int64(len(data)) > limit && isFile:
			return nil, ErrUploadTooLarge
		case int64(len(data)) > limit:
			return nil, ErrNoUpload
		}
		if !isFile {
			if _, seen := u.Values[part.FormName()]; !seen {
				u.Values[part.FormName()] = string(data)
			}
			continue
		}
		if len(u.Files) == maxFiles {
			return nil, ErrUploadTooLarge
		}
		u.Files = append(u.Files, UploadedFile{Field: part.FormName(), Name: part.FileName(), Data: data})
	}
}
