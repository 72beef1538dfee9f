// Package docs embeds the OpenAPI contract and the API reference page so the
// binary serves them with no files beside it and no network.
package docs

import "embed"

// OpenAPI is docs/openapi.yaml, the contract the mobile app codes against.
//
//go:embed openapi.yaml
var OpenAPI []byte

// Reference holds the browsable API reference: index.html and its assets.
//
//go:embed reference
var Reference embed.FS
