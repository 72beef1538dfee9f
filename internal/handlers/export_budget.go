package handlers

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/clock"
	"github.com/ketacare/api/internal/store"
)

// An export holds a pooled database connection (its snapshot) for as long
// as its client takes to download it. Exports therefore get a budget of
// their own, apart from every other request: a few at a time per instance,
// one per account, and a client that stops reading is cut off within
// seconds, so that exports can never take the pool from everyone else.

// exportGate admits at most limit exports at a time, and one per account.
type exportGate struct {
	mu       sync.Mutex
	limit    int
	inFlight map[uuid.UUID]struct{}
}

func newExportGate(limit int) *exportGate {
	return &exportGate{limit: limit, inFlight: map[uuid.UUID]struct{}{}}
}

// errExportsBusy is the answer when this instance already streams as many
// exports as EXPORT_MAX_CONCURRENT allows.
var errExportsBusy = &apperr.Error{Code: apperr.TooMany,
	Message: "The server is busy preparing other exports; try again in a moment."}

// admit takes a place for the account's export, or says why there is none:
// store.ErrExportInProgress or errExportsBusy. It never waits, so a refused
// export holds nothing. release gives the place back.
func (g *exportGate) admit(account uuid.UUID) (release func(), err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, busy := g.inFlight[account]; busy {
		return nil, store.ErrExportInProgress
	}
	if len(g.inFlight) >= g.limit {
		return nil, errExportsBusy
	}
	g.inFlight[account] = struct{}{}
	return func() {
		g.mu.Lock()
		delete(g.inFlight, account)
		g.mu.Unlock()
	}, nil
}

// retryLater is err, a refusal of admit or of the store's lock, with the
// Retry-After a client gets: the stall timeout, the longest an export whose
// client has gone keeps its place.
func retryLater(err error, after time.Duration) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.TooMany {
		return err
	}
	busy := *ae
	busy.RetryAfter = after
	return &busy
}

// ExportMaxDuration bounds an export however steadily its client reads,
// in place of the request timeout, which a large export over a slow link
// would outlast: a document of 20 MB at 1 Mbit/s takes almost three
// minutes.
const ExportMaxDuration = 10 * time.Minute

// ExportRoute is the path of the export, which has ExportMaxDuration rather
// than the request timeout.
const ExportRoute = "/v1/me/export"

// deadlineChunk is the most an export writes under one write deadline: a
// client must take at least this much every stall timeout to keep the
// download going (32 KiB in 10 s is 3.3 KB/s, below any mobile link).
const deadlineChunk = 32 << 10

// deadlineWriter writes to an HTTP response with a write deadline set
// before each chunk, stall from then: a client that keeps reading, however
// slowly, moves the deadline on and gets its whole export; one that stops
// makes the blocked write fail within stall, which ends the export and
// returns its connection to the pool.
type deadlineWriter struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	stall time.Duration
}

func newDeadlineWriter(w http.ResponseWriter, stall time.Duration) *deadlineWriter {
	return &deadlineWriter{w: w, rc: http.NewResponseController(w), stall: stall}
}

// extend sets the deadline stall from now. The clock is the real one, not
// the service's: the deadline is the network's, and the demo seeder sets
// the service's clock into the past.
func (d *deadlineWriter) extend() error {
	return d.rc.SetWriteDeadline(clock.Deadline(d.stall))
}

func (d *deadlineWriter) Write(b []byte) (int, error) {
	written := 0
	for len(b) > 0 {
		n := min(len(b), deadlineChunk)
		if err := d.extend(); err != nil {
			return written, err
		}
		m, err := d.w.Write(b[:n])
		written += m
		if err != nil {
			return written, err
		}
		b = b[n:]
	}
	return written, nil
}
