package web

import (
	"context"
	"log/slog"

	"github.com/ketacare/api/internal/reqctx"
)

// requestLog adds the request id to every record logged with a request's
// context, so that each line written while answering a request, by the
// handlers or the middleware, can be found from the X-Request-ID the client
// saw.
type requestLog struct{ slog.Handler }

func (h requestLog) Handle(ctx context.Context, r slog.Record) error {
	if rid := reqctx.RequestID(ctx); rid != "" {
		r.AddAttrs(slog.String("request_id", rid))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestLog{h.Handler.WithAttrs(attrs)}
}

func (h requestLog) WithGroup(name string) slog.Handler {
	return requestLog{h.Handler.WithGroup(name)}
}
