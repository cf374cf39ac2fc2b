package auth

import (
	"context"
	"slices"
)

// Certificates authenticates a client certificate that TLS has verified
// against the configured client CAs: the subject is the certificate's
// common name. A request that sends a bearer token is left to the token
// authenticators.
type Certificates struct {
	// Roles are what every certificate holder may do.
	Roles []Role
}

// Authenticate implements Authenticator.
func (a Certificates) Authenticate(_ context.Context, c Credentials) (Principal, error) {
	if c.Token != "" || c.Certificate == nil {
		return Principal{}, ErrNoCredentials
	}
	cn := c.Certificate.Subject.CommonName
	if cn == "" {
		return Principal{}, ErrInvalid
	}
	return Principal{Subject: cn, Roles: slices.Clone(a.Roles), Method: "certificate"}, nil
}
