package servicedesk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"
)

// Attachments are kept in PostgreSQL with the message they came with, so a
// backup of the database is a backup of the correspondence and a thread is
// never missing a file. Their type is sniffed from the content
// (net/http.DetectContentType), not taken from the name or the sender's
// declaration: a "statement.pdf" that is really an executable is refused.

// AttachmentLimits bound what a message may carry.
type AttachmentLimits struct {
	MaxBytes int64 // per file
	MaxFiles int   // per message
	// Types are the content types accepted, with how people call them.
	Types []FileType
}

// FileType is an accepted content type and the names people know it by.
type FileType struct {
	ContentType string
	Label       string // "PDF"
}

// DefaultAttachmentLimits accepts up to three files of 5 MiB each: PDF,
// PNG, JPEG or plain text — what a client sends a bank (a scan, a photo, a
// statement), none of which runs anything when opened.
func DefaultAttachmentLimits() AttachmentLimits {
	return AttachmentLimits{MaxBytes: 5 << 20, MaxFiles: 3, Types: []FileType{
		{"application/pdf", "PDF"}, {"image/png", "PNG"}, {"image/jpeg", "JPEG"}, {"text/plain", "TXT"},
	}}
}

// TypeLabels lists the accepted types for a hint ("PDF, PNG, JPEG, TXT").
func (l AttachmentLimits) TypeLabels() string {
	names := make([]string, len(l.Types))
	for i, t := range l.Types {
		names[i] = t.Label
	}
	return strings.Join(names, ", ")
}

// Accept is the file input's accept attribute.
func (l AttachmentLimits) Accept() string {
	var list []string
	for _, t := range l.Types {
		list = append(list, t.ContentType)
	}
	return strings.Join(list, ",")
}

// RequestBytes is the largest request body a form with attachments may
// send: every file at its limit, and room for the text fields.
func (l AttachmentLimits) RequestBytes() int64 {
	return int64(l.MaxFiles)*l.MaxBytes + 64<<10
}

// Upload is a file as the sender gave it.
type Upload struct {
	Name string
	Data []byte
	// TooLarge is set when reading stopped at the limit: Data is not the
	// whole file.
	TooLarge bool
}

// FileProblem is one refused file: its name and the catalogue key of why.
type FileProblem struct {
	Name string
	Key  string
}

type checkedFile struct {
	Name, ContentType, SHA256 string
	Data                      []byte
}

// Attachment is a stored file as a thread lists it.
type Attachment struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// check returns the files to store, or what is wrong with them.
func (l AttachmentLimits) check(uploads []Upload) ([]checkedFile, []FileProblem) {
	var files []checkedFile
	var problems []FileProblem
	if len(uploads) > l.MaxFiles {
		return nil, []FileProblem{{Key: "servicedesk.error.attachment_count"}}
	}
	for _, u := range uploads {
		name := cleanFileName(u.Name)
		switch {
		case u.TooLarge || int64(len(u.Data)) > l.MaxBytes:
			problems = append(problems, FileProblem{Name: name, Key: "servicedesk.error.attachment_size"})
			continue
		case len(u.Data) == 0:
			problems = append(problems, FileProblem{Name: name, Key: "servicedesk.error.attachment_empty"})
			continue
		}
		ct := sniff(u.Data)
		accepted := false
		for _, t := range l.Types {
			accepted = accepted || t.ContentType == ct
		}
		if !accepted {
			problems = append(problems, FileProblem{Name: name, Key: "servicedesk.error.attachment_type"})
			continue
		}
		sum := sha256.Sum256(u.Data)
		files = append(files, checkedFile{Name: name, ContentType: ct, SHA256: hex.EncodeToString(sum[:]), Data: u.Data})
	}
	return files, problems
}

// Sniff is the content type of data as sniff finds it, for other
// domains' attachments (claims).
func Sniff(data []byte) string { return sniff(data) }

// CleanFileName is cleanFileName, for other domains' attachments.
func CleanFileName(name string) string { return cleanFileName(name) }

// SHA256 is the hex SHA-256 of data, as attachments record it.
func SHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// sniff is the content type of data without parameters ("text/plain",
// not "text/plain; charset=utf-8").
func sniff(data []byte) string {
	ct, _, _ := strings.Cut(http.DetectContentType(data), ";")
	return ct
}

// cleanFileName keeps the base name, without control or path characters,
// at most 200 characters; a name with nothing left is "attachment".
func cleanFileName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' || r == '/' || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if r := []rune(name); len(r) > 200 {
		name = string(r[len(r)-200:])
	}
	if name == "" || name == "." || name == ".." {
		return "attachment"
	}
	return name
}

// ReadUploads reads the files of a multipart form field, each up to the
// limit (a larger one is marked TooLarge without reading the rest).
func (l AttachmentLimits) ReadUploads(headers []*multipart.FileHeader) ([]Upload, error) {
	var uploads []Upload
	for _, h := range headers {
		if h.Filename == "" && h.Size == 0 {
			continue // the empty file input of a form sent without a file
		}
		if h.Size > l.MaxBytes {
			uploads = append(uploads, Upload{Name: h.Filename, TooLarge: true})
			continue
		}
		f, err := h.Open()
		if err != nil {
			return nil, fmt.Errorf("attachment %q: %w", h.Filename, err)
		}
		data, err := io.ReadAll(io.LimitReader(f, l.MaxBytes+1))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("attachment %q: %w", h.Filename, err)
		}
		uploads = append(uploads, Upload{Name: h.Filename, Data: data, TooLarge: int64(len(data)) > l.MaxBytes})
	}
	return uploads, nil
}

// File is a stored attachment with its content.
type File struct {
	Attachment
	Data []byte
}

// ClientFile returns an attachment of the client's own request.
func (d *Desk) ClientFile(ctx context.Context, clientID, requestID, fileID int64) (*File, error) {
	return d.file(ctx, `r.client_id = $3`, requestID, fileID, clientID)
}

func (d *Desk) file(ctx context.Context, who string, requestID, fileID int64, args ...any) (*File, error) {
	var f File
	err := d.pool.QueryRow(ctx, `SELECT a.id, a.file_name, a.content_type, a.size, a.sha256, a.content
		FROM service_attachments a JOIN service_messages m ON m.id = a.message_id JOIN service_requests r ON r.id = m.request_id
		JOIN clients c ON c.id = r.client_id
		WHERE a.id = $2 AND r.id = $1 AND `+who, append([]any{requestID, fileID}, args...)...).
		Scan(&f.ID, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.Data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("attachment %d of request %d: %w", fileID, requestID, err)
	}
	return &f, nil
}

// ServeFile writes the attachment as a download: never shown inline, so a
// file cannot run as a page of ours.
func ServeFile(w http.ResponseWriter, f *File) {
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", mimeAttachment(f.Name))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Content-Length", fmt.Sprint(len(f.Data)))
	_, _ = w.Write(f.Data)
}

// mimeAttachment is a Content-Disposition with the name in ASCII and, for
// any other name, in UTF-8 as RFC 6266 allows.
func mimeAttachment(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	v := fmt.Sprintf(`attachment; filename="%s"`, ascii)
	if ascii != name {
		v += "; filename*=UTF-8''" + pathEscape(name)
	}
	return v
}

func pathEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
