package pipeline

import _ "embed"

// OpenAPI holds the schemas of pipeline objects that the console's and
// the portal's API fragments refer to, for web.NewOpenAPI.
//
//go:embed openapi.json
var OpenAPI []byte
