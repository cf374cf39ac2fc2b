package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"

	"github.com/stackgen/aiden/auth"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/store"
)

// Paths the authentication guard leaves alone: health checks answer
// anyone, and Slack signs its own requests (slack.Handler checks them).
const (
	healthPrefix = "/" + grpchealth.HealthV1ServiceName + "/"
	slackPath    = "/slack/commands"
	patchPrefix  = "/generations/"
)

// procedureRoles is the role each RPC needs. A procedure of aiden's API
// missing here needs admin, so that a new one is closed until it is given
// a row; other paths (reflection, unknown ones) need only a principal.
var procedureRoles = map[string]auth.Role{
	aidenv1connect.GenerateServiceGenerateProcedure:        auth.RoleGenerate,
	aidenv1connect.GenerateServiceGenerateStreamProcedure:  auth.RoleGenerate,
	aidenv1connect.ValidateServiceValidateProcedure:        auth.RoleValidate,
	aidenv1connect.GenerateServiceGetGenerationProcedure:   auth.RoleReadOwn,
	aidenv1connect.GenerateServiceListGenerationsProcedure: auth.RoleReadOwn,
}

// requiredRole returns the role a request path needs, or "" when any
// principal will do.
func requiredRole(path string) auth.Role {
	if r, ok := procedureRoles[path]; ok {
		return r
	}
	switch {
	case strings.HasPrefix(path, patchPrefix):
		return auth.RoleReadOwn
	case strings.HasPrefix(path, "/aiden."):
		return auth.RoleAdmin
	}
	return ""
}

// guard authenticates every request but health checks and Slack's,
// checks the role the path needs, and puts the principal in the request's
// context. With no authenticator every caller is auth.Anonymous.
type guard struct {
	authn  auth.Authenticator
	next   http.Handler
	errors *connect.ErrorWriter
	log    *slog.Logger
	// refused counts a refusal (metrics.go); nil counts nothing.
	refused func(r *http.Request, code connect.Code)
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == slackPath {
		g.next.ServeHTTP(w, r)
		return
	}
	p := auth.Anonymous()
	if g.authn != nil {
		var err error
		p, err = g.authn.Authenticate(r.Context(), credentials(r))
		if err != nil {
			if !errors.Is(err, auth.ErrNoCredentials) && !errors.Is(err, auth.ErrInvalid) {
				g.log.ErrorContext(r.Context(), "authenticate", "path", r.URL.Path, "error", err)
			} else {
				g.log.InfoContext(r.Context(), "unauthenticated", "path", r.URL.Path, "peer", peerHost(r.RemoteAddr), "error", err)
			}
			g.refuse(w, r, connect.CodeUnauthenticated)
			return
		}
	}
	if role := requiredRole(r.URL.Path); role != "" && !p.Has(role) {
		g.log.InfoContext(r.Context(), "permission denied", "path", r.URL.Path, "subject", p.Subject, "role", string(role))
		g.refuse(w, r, connect.CodePermissionDenied)
		return
	}
	g.next.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), p)))
}

// refuse answers in the request's protocol, saying no more than the code.
func (g *guard) refuse(w http.ResponseWriter, r *http.Request, code connect.Code) {
	if g.refused != nil {
		g.refused(r, code)
	}
	if !strings.HasPrefix(r.URL.Path, patchPrefix) && g.errors.IsSupported(r) {
		_ = g.errors.Write(w, r, connect.NewError(code, errors.New(code.String())))
		return
	}
	status := http.StatusForbidden
	if code == connect.CodeUnauthenticated {
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	http.Error(w, code.String(), status)
}

// credentials extracts what a request carries: an Authorization bearer
// token, and the client certificate TLS verified.
func credentials(r *http.Request) auth.Credentials {
	var c auth.Credentials
	if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		c.Token = strings.TrimSpace(tok)
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		c.Certificate = r.TLS.VerifiedChains[0][0]
	}
	return c
}

func peerHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// readRecord returns the record id if the caller in ctx may read it: an
// admin reads every record, anyone else their own; others' records are
// not found, so that an id tells nothing of whether it exists.
func readRecord(ctx context.Context, st *store.Store, id string) (*store.Generation, error) {
	p, ok := auth.FromContext(ctx)
	switch {
	case ok && p.Has(auth.RoleAdmin):
		return st.Get(ctx, id)
	case ok && p.Subject != "":
		return st.GetOwned(ctx, id, p.Subject)
	}
	return nil, store.ErrNotFound
}

// listOwner returns the Filter.Owner for the caller in ctx: "" for an
// admin (every record), the subject otherwise; ok is false for a caller
// who may list nothing.
func listOwner(ctx context.Context) (owner string, ok bool) {
	p, found := auth.FromContext(ctx)
	switch {
	case found && p.Has(auth.RoleAdmin):
		return "", true
	case found && p.Subject != "":
		return p.Subject, true
	}
	return "", false
}
