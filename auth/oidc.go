package auth

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// OIDCOptions configure OIDC bearer tokens.
type OIDCOptions struct {
	// Issuer is the issuer URL; its discovery document names the JWKS.
	Issuer string
	// Audience is the value the token's aud claim must hold (the client
	// id); required.
	Audience string
	// SubjectClaim names the claim that becomes the subject; "" means
	// "sub".
	SubjectClaim string
	// GroupsClaim names the claim listing the caller's groups; "" means
	// "groups".
	GroupsClaim string
	// DefaultRoles are what every valid token holds; nil means
	// DefaultRoles.
	DefaultRoles []Role
	// GroupRoles adds roles to members of a group.
	GroupRoles map[string][]Role
	// Client fetches the discovery document and the keys; nil means a
	// client with a 10-second timeout.
	Client *http.Client
}

// OIDC authenticates JWT bearer tokens (ID tokens, or access tokens that
// are JWTs) signed by the issuer's keys, for the audience, unexpired.
type OIDC struct {
	opts     OIDCOptions
	verifier *oidc.IDTokenVerifier
}

// NewOIDC reads the issuer's discovery document; the keys are fetched when
// a token needs them, and again when one is signed by a key not seen yet.
func NewOIDC(ctx context.Context, opts OIDCOptions) (*OIDC, error) {
	if opts.Issuer == "" {
		return nil, errors.New("oidc: the issuer is empty")
	}
	if opts.Audience == "" {
		return nil, errors.New("oidc: the audience is empty: name the client id tokens are issued for")
	}
	opts.SubjectClaim = cmp.Or(opts.SubjectClaim, "sub")
	opts.GroupsClaim = cmp.Or(opts.GroupsClaim, "groups")
	if opts.DefaultRoles == nil {
		opts.DefaultRoles = DefaultRoles
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	ctx = oidc.ClientContext(ctx, opts.Client)
	provider, err := oidc.NewProvider(ctx, opts.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discover %s: %w", opts.Issuer, err)
	}
	return &OIDC{opts: opts, verifier: provider.VerifierContext(ctx, &oidc.Config{ClientID: opts.Audience})}, nil
}

// Authenticate implements Authenticator.
func (o *OIDC) Authenticate(ctx context.Context, c Credentials) (Principal, error) {
	if c.Token == "" {
		return Principal{}, ErrNoCredentials
	}
	tok, err := o.verifier.Verify(ctx, c.Token)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	var claims map[string]json.RawMessage
	if err := tok.Claims(&claims); err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	var subject string
	if err := json.Unmarshal(claims[o.opts.SubjectClaim], &subject); err != nil || strings.TrimSpace(subject) == "" {
		return Principal{}, fmt.Errorf("%w: claim %q is not a non-empty string", ErrInvalid, o.opts.SubjectClaim)
	}
	groups := stringsClaim(claims[o.opts.GroupsClaim])
	roles := slices.Clone(o.opts.DefaultRoles)
	for _, g := range groups {
		for _, r := range o.opts.GroupRoles[g] {
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	return Principal{Subject: subject, Groups: groups, Roles: roles, Method: "oidc"}, nil
}

// stringsClaim reads a claim that is a list of strings or one string
// (space-separated, as some issuers send scopes and roles).
func stringsClaim(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return list
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return strings.Fields(one)
	}
	return nil
}
