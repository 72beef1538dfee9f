package layers

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/ketacare/api/"

// Groups of packages that share a place in the layers.
var (
	// domain packages hold the business rules: pure, table-tested, and
	// importing nothing of the project's.
	domain = []string{"internal/agenda", "internal/measurement", "internal/policy", "internal/prompts", "internal/scheduling", "internal/throttle"}
	// vocabularies are shared by every layer: the domain's error codes, the
	// database rows, the sealing envelope, the generated API types, the
	// embedded contract, the clock.
	vocabularies = []string{"internal/apperr", "internal/models", "internal/seal", "internal/api", "docs", "internal/clock"}
)

func join(groups ...[]string) []string { return slices.Concat(groups...) }

// allowed lists, for each package, the project's packages its code (not its
// tests) may import. Dependencies flow one way: handlers -> domain and
// store -> models; nothing imports cmd; only the assembly (app) and the
// programs around it see everything.
var allowed = map[string][]string{
	"internal/agenda":      nil,
	"internal/measurement": nil,
	"internal/policy":      nil,
	"internal/prompts":     nil,
	"internal/scheduling":  nil,
	"internal/throttle":    nil,
	"internal/apperr":      nil,
	"internal/models":      nil,
	"internal/seal":        nil,
	"internal/api":         nil,
	"docs":                 nil,
	"internal/clock":       nil,
	"internal/layers":      nil,
	"bench/baseline":       nil,
	"internal/auth":        {"internal/apperr", "internal/clock"},
	"internal/metrics":     {"internal/apperr"},
	"internal/config":      {"internal/seal"},
	// reqctx carries the identity and the request's facts from the
	// plumbing to the operations.
	"internal/reqctx": {"internal/auth"},
	// The store never imports handlers, auth or the assembly.
	"internal/store": join(domain, []string{"internal/apperr", "internal/models", "internal/seal", "internal/clock"}),
	// accounts is what happens to an account outside a request (the first
	// admin, a new login), shared by the operations, the harness and the demo.
	"internal/accounts": {"internal/apperr", "internal/auth", "internal/models", "internal/store"},
	"internal/handlers": join(domain, vocabularies, []string{"internal/accounts", "internal/auth", "internal/config", "internal/metrics", "internal/reqctx", "internal/store"}),
	// web is the HTTP plumbing: router, contract, conditional requests,
	// idempotency, rate limit, audit trail, problems, logging.
	"internal/web":     join(vocabularies, []string{"internal/auth", "internal/handlers", "internal/metrics", "internal/policy", "internal/reqctx", "internal/store"}),
	"internal/app":     join(domain, vocabularies, []string{"internal/accounts", "internal/auth", "internal/config", "internal/handlers", "internal/metrics", "internal/store", "internal/web"}),
	"internal/demo":    join(vocabularies, []string{"internal/accounts", "internal/app", "internal/auth", "internal/config", "internal/store"}),
	"internal/apitest": join(vocabularies, []string{"internal/accounts", "internal/app", "internal/auth", "internal/config", "internal/handlers", "internal/store", "internal/web"}),
	"cmd/api":          {"internal/app", "internal/config", "internal/demo"},
	"bench":            join(domain, vocabularies, []string{"internal/app", "internal/auth", "internal/config", "internal/store"}),
}

type pkg struct {
	ImportPath string
	Imports    []string
}

// packages lists the module's packages with their imports, as go list sees
// them.
func packages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", module+"...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestImportsFollowTheLayers(t *testing.T) {
	pkgs := packages(t)
	if len(pkgs) < len(allowed)/2 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		name := strings.TrimPrefix(p.ImportPath, module)
		may, placed := allowed[name]
		if !placed {
			t.Errorf("%s is in no layer: add it to allowed in this test and to ARCHITECTURE.md", name)
			continue
		}
		for _, imp := range p.Imports {
			dep, ours := strings.CutPrefix(imp, module)
			if !ours {
				continue
			}
			if !slices.Contains(may, dep) {
				t.Errorf("%s imports %s, which its layer may not", name, dep)
			}
		}
	}
}
