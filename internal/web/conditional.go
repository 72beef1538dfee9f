package web

import (
	"strings"

	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"

	"github.com/ketacare/api/internal/apperr"
)

// conditional requires If-Match where the spec declares it (428 without);
// the handler reads it from its generated parameters (ifMatch).
func conditional(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		route, _ := c.Get(routeKey).(*routers.Route)
		if route == nil {
			return next(c)
		}
		req := c.Request()
		if declaresHeader(route, "If-Match") {
			if req.Header.Get("If-Match") == "" {
				return apperr.New(apperr.NeedsIfMatch, "Send If-Match with the ETag you last read, so that a change made meanwhile on another device is not overwritten.")
			}
		}
		return next(c)
	}
}

// declaresHeader reports whether the operation takes the header parameter.
func declaresHeader(route *routers.Route, name string) bool {
	for _, p := range route.Operation.Parameters {
		if p.Value != nil && p.Value.In == "header" && strings.EqualFold(p.Value.Name, name) {
			return true
		}
	}
	return false
}
