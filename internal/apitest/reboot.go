package apitest

import (
	"context"

	"github.com/ketacare/api/internal/app"
	"github.com/ketacare/api/internal/config"
)

// Reboot starts a second service on e's database and data folder, with the
// settings e started with changed by change, as an operator restarting the
// service with new settings would. Tokens e signed stay valid unless change
// replaces the JWT secret. The new service reads e's clock. Both services
// run until the test ends.
func (e *Env) Reboot(change func(*config.Config)) *Env {
	e.T.Helper()
	cfg := e.App.Config
	change(&cfg)
	a, err := app.New(context.Background(), cfg, quietLogger(), app.WithClock(e.App.Now))
	if err != nil {
		e.T.Fatalf("reboot service: %v", err)
	}
	srv := serve(a)
	e.T.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	return &Env{T: e.T, App: a, Server: srv, doc: e.doc, router: e.router, DB: e.DB}
}
