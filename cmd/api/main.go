// Command api runs the ketamine-therapy integration API.
//
//	api            serve the API (the default)
//	api serve      the same
//	api migrate    apply database migrations and exit
//	api healthcheck  exit 0 when the local server is ready (for containers without curl)
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // IANA zones for patients' timezones, even on images without them

	"github.com/ketacare/api/internal/app"
	"github.com/ketacare/api/internal/config"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Environ()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args, environ []string) error {
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "migrate":
		db, err := app.Open(ctx, cfg, log)
		if err != nil {
			return err
		}
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
		log.Info("migrations are up to date")
		return nil
	case "serve":
		a, err := app.New(ctx, cfg, log)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			a.Close()
			return fmt.Errorf("listen on HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
		}
		return a.Serve(ctx, ln)
	case "healthcheck":
		return healthcheck(ctx, cfg.HTTPAddr)
	default:
		return errors.New("usage: api [serve | migrate | healthcheck]")
	}
}

// healthcheck asks the server listening on addr whether it is ready.
func healthcheck(ctx context.Context, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/readyz", nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s", res.Status)
	}
	return nil
}
