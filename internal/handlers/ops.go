package handlers

import (
	"bytes"
	"context"
	"io/fs"
	"strings"
	"time"

	"github.com/ketacare/api/docs"
	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/apperr"
)

// Healthz answers while the process runs.
func (s *Server) Healthz(context.Context, api.HealthzRequestObject) (api.HealthzResponseObject, error) {
	return api.Healthz200JSONResponse{Status: api.Ok}, nil
}

// Readyz answers 200 when the database is reachable and 503 otherwise.
func (s *Server) Readyz(ctx context.Context, _ api.ReadyzRequestObject) (api.ReadyzResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.Log.WarnContext(ctx, "readiness check failed", "error", err.Error())
		return nil, apperr.New(apperr.Unavailable, "The database cannot be reached.")
	}
	return api.Readyz200JSONResponse{Status: api.Ok}, nil
}

// GetOpenAPISpec serves the contract.
func (s *Server) GetOpenAPISpec(context.Context, api.GetOpenAPISpecRequestObject) (api.GetOpenAPISpecResponseObject, error) {
	return api.GetOpenAPISpec200ApplicationYamlResponse{Body: bytes.NewReader(s.Spec), ContentLength: int64(len(s.Spec))}, nil
}

// GetDocs serves the API reference page.
func (s *Server) GetDocs(context.Context, api.GetDocsRequestObject) (api.GetDocsResponseObject, error) {
	b, err := fs.ReadFile(docs.Reference, "reference/index.html")
	if err != nil {
		return nil, err
	}
	return api.GetDocs200TextHTMLResponse{Body: bytes.NewReader(b), ContentLength: int64(len(b))}, nil
}

// GetDocsAsset serves the reference page's scripts and stylesheet.
func (s *Server) GetDocsAsset(_ context.Context, req api.GetDocsAssetRequestObject) (api.GetDocsAssetResponseObject, error) {
	isJS, isCSS := strings.HasSuffix(req.File, ".js"), strings.HasSuffix(req.File, ".css")
	b, err := fs.ReadFile(docs.Reference, "reference/"+req.File)
	if err != nil || (!isJS && !isCSS) {
		return nil, apperr.New(apperr.NotFound, "No such asset.")
	}
	if isCSS {
		return api.GetDocsAsset200TextCSSResponse{Body: bytes.NewReader(b), ContentLength: int64(len(b))}, nil
	}
	return api.GetDocsAsset200ApplicationJavascriptResponse{Body: bytes.NewReader(b), ContentLength: int64(len(b))}, nil
}
