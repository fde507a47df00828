package insurance

import (
	"embed"
	"io/fs"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Templates are the insurance package's pages (the journey, programmes,
// policies, claims and the administrators' questionnaire pages), for
// page.New.
var Templates, _ = fs.Sub(templateFiles, "templates")
