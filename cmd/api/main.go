// Command api runs the ketamine-therapy integration API.
//
//	api            serve the API (the default)
//	api serve      the same
//	api migrate    apply database migrations and exit; with MIGRATION_DATABASE_URL,
//	               as that owner role, then grant DATABASE_URL's role its rights
//	api healthcheck  exit 0 when the local server is ready (for containers without curl)
//	api seed-demo  fill an empty database with a demo clinic and print its logins
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"
	_ "time/tzdata" // IANA zones for patients' timezones, even on images without them

	"github.com/ketacare/api/internal/app"
	"github.com/ketacare/api/internal/config"
	"github.com/ketacare/api/internal/demo"
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
	case "seed-demo":
		return seedDemo(ctx, cfg, os.Stdout)
	default:
		return errors.New("usage: api [serve | migrate | healthcheck | seed-demo]")
	}
}

// seedDemo fills an empty database with the demo clinic and prints its
// logins. Its log goes to stderr, warnings only, so that stdout is the
// logins alone.
func seedDemo(ctx context.Context, cfg config.Config, out io.Writer) error {
	if err := demo.CheckConfig(cfg); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: max(cfg.SlogLevel(), slog.LevelWarn)}))
	logins, err := demo.Seed(ctx, cfg, log)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "The demo clinic is ready. Sign in with POST /v1/auth/login as:")
	fmt.Fprintln(out)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ROLE\tEMAIL\tPASSWORD\tWHO")
	for _, l := range logins {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s: %s\n", l.Role, l.Email, l.Password, l.Name, l.About)
	}
	return w.Flush()
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
