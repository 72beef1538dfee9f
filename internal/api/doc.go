// Package api holds the types and the Echo strict server generated from
// docs/openapi.yaml. Edit the spec, then run `go generate ./...`.
package api

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../../docs/openapi.yaml
