// Package auth says who is calling and what they may do: a Principal with a
// subject and roles, and Authenticators that turn credentials (a bearer
// token, a verified client certificate) into one. It knows nothing of HTTP
// or RPC; the server extracts the credentials and maps the errors.
package auth

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Role is a permission a principal holds.
type Role string

// Roles. Admin implies every other role.
const (
	// RoleGenerate allows Generate and GenerateStream.
	RoleGenerate Role = "generate"
	// RoleValidate allows Validate.
	RoleValidate Role = "validate"
	// RoleReadOwn allows reading the generation records one asked for.
	RoleReadOwn Role = "read-own"
	// RoleAdmin allows reading every record, and everything else.
	RoleAdmin Role = "admin"
)

// Roles lists every role, in the order docs name them.
var Roles = []Role{RoleGenerate, RoleValidate, RoleReadOwn, RoleAdmin}

// DefaultRoles are what an authenticated user holds unless told otherwise:
// everything but reading other people's records.
var DefaultRoles = []Role{RoleGenerate, RoleValidate, RoleReadOwn}

// ParseRoles reads a comma-separated list of role names ("generate,read-own").
func ParseRoles(s string) ([]Role, error) {
	var out []Role
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		r := Role(part)
		if !slices.Contains(Roles, r) {
			return nil, fmt.Errorf("unknown role %q: want one of %s", part, roleList())
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

func roleList() string {
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// Principal is an authenticated caller.
type Principal struct {
	// Subject identifies the caller; generation records are owned by it.
	Subject string
	// Groups are the groups the identity provider said the caller is in.
	Groups []string
	// Roles are what the caller may do.
	Roles []Role
	// Method says how the caller was authenticated: "token" (the token
	// file), "oidc", "certificate", or "none" when authentication is off.
	Method string
}

// Has reports whether p holds role r; admin holds every role.
func (p Principal) Has(r Role) bool {
	return slices.Contains(p.Roles, r) || slices.Contains(p.Roles, RoleAdmin)
}

// Anonymous is the principal of every caller when authentication is off:
// it may do everything, as the server did before it had identities.
func Anonymous() Principal {
	return Principal{Roles: []Role{RoleAdmin}, Method: "none"}
}

// Credentials are what a request carries to prove who it is from.
type Credentials struct {
	// Token is the bearer token, "" when none was sent.
	Token string
	// Certificate is the client certificate that TLS verified against the
	// configured client CAs; nil when none was presented or TLS is off.
	Certificate *x509.Certificate
}

// Authenticator turns credentials into a principal.
type Authenticator interface {
	// Authenticate returns the principal the credentials prove, an error
	// wrapping ErrNoCredentials when they hold nothing this authenticator
	// reads, or one wrapping ErrInvalid when they are refused.
	Authenticate(ctx context.Context, c Credentials) (Principal, error)
}

// Errors of authentication. Any other error is a failure of the
// authenticator itself (an unreadable token file, an unreachable issuer).
var (
	// ErrNoCredentials says the request carried nothing to authenticate.
	ErrNoCredentials = errors.New("no credentials")
	// ErrInvalid says the credentials were refused.
	ErrInvalid = errors.New("invalid credentials")
)

// Chain tries each authenticator in order. The first principal wins. A
// bearer token decides on its own: when one is sent and no authenticator
// accepts it, a client certificate does not stand in.
type Chain []Authenticator

// Authenticate implements Authenticator.
func (ch Chain) Authenticate(ctx context.Context, c Credentials) (Principal, error) {
	var refused error
	for _, a := range ch {
		p, err := a.Authenticate(ctx, c)
		switch {
		case err == nil:
			return p, nil
		case errors.Is(err, ErrNoCredentials):
			continue
		case refused == nil || errors.Is(refused, ErrInvalid):
			// A failing authenticator outranks a refusal, so that the
			// server can log it.
			refused = err
		}
	}
	if refused != nil {
		return Principal{}, refused
	}
	return Principal{}, ErrNoCredentials
}

type principalKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal ctx carries, and whether it carries
// one.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
