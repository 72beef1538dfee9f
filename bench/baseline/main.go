// Command baseline is the yardstick of the load benchmark: a bare Echo + pgx
// handler returning one row, chosen by primary key among 1,000,000, as
// JSON. It has none of the API's middleware, authentication, encryption or
// ORM, so the API's figures divided by its figures (measured in the same run,
// with the same load) show what those cost, whatever the machine.
//
//	baseline -seed      create and fill the items table, then exit
//	baseline            serve GET /items/{id} on HTTP_ADDR
//
// DATABASE_URL names the database, DB_MAX_CONNS sizes the pool.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
)

// Rows is how many items the table holds, as in the measurement.
const Rows = 1_000_000

type item struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Quantity  int32     `json:"quantity"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
}

func main() {
	seed := flag.Bool("seed", false, "create and fill the items table, then exit")
	flag.Parse()
	if err := run(*seed); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

func run(seed bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
	if err != nil {
		return err
	}
	if n, err := strconv.Atoi(os.Getenv("DB_MAX_CONNS")); err == nil && n > 0 {
		cfg.MaxConns = int32(n)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if seed {
		return fill(ctx, pool)
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/items/:id", func(c echo.Context) error {
		id, err := strconv.ParseInt(c.Param("id"), 10, 64)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "bad id")
		}
		var it item
		err = pool.QueryRow(c.Request().Context(),
			"SELECT id, name, quantity, note, created_at FROM items WHERE id = $1", id).
			Scan(&it.ID, &it.Name, &it.Quantity, &it.Note, &it.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return echo.NewHTTPError(http.StatusNotFound, "no such item")
		}
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, it)
	})
	srv := &http.Server{Addr: os.Getenv("HTTP_ADDR"), Handler: e, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// fill makes the items table in one statement: PostgreSQL writes the rows
// itself, which takes seconds rather than minutes of round trips.
func fill(ctx context.Context, pool *pgxpool.Pool) error {
	_, err := pool.Exec(ctx, fmt.Sprintf(`
		DROP TABLE IF EXISTS items;
		CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, quantity integer NOT NULL,
			note text NOT NULL, created_at timestamptz NOT NULL);
		INSERT INTO items SELECT g, 'item ' || g, g %% 1000, md5(g::text) || md5((g * 7)::text), now() - g * interval '1 second'
			FROM generate_series(1, %d) g`, Rows))
	if err != nil {
		return err
	}
	// VACUUM cannot share the implicit transaction of the statements above.
	_, err = pool.Exec(ctx, "VACUUM ANALYZE items")
	return err
}
