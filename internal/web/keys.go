package web

// The values one middleware leaves in Echo's context for another, keyed by
// these names. They never reach the handlers: what the handlers need of a
// request travels in its context.Context (internal/reqctx).
const (
	// routeKey holds the *routers.Route of the spec's operation. Written by
	// the contract middleware; read by conditional, the audit trail and
	// idempotency.
	routeKey = "spec.route"
	// bodyKey holds the request body the contract middleware read and
	// validated. Read by idempotency, for the request's fingerprint.
	bodyKey = "request.body"
	// verifiedTokenKey holds the auth.Identity of a token the rate limiter
	// already verified. Read by the contract middleware, which so verifies
	// each token once.
	verifiedTokenKey = "auth.verified"
)
