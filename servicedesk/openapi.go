package servicedesk

import _ "embed"

// OpenAPI holds the schemas of requests and messages that the portal's
// and the console's API fragments refer to, for web.NewOpenAPI.
//
//go:embed openapi.json
var OpenAPI []byte
