package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stackgen/aiden/auth"
	"github.com/stackgen/aiden/server"
)

// securityFlags are serve's flags for identity and TLS.
type securityFlags struct {
	tokenFile       string
	oidcIssuer      string
	oidcAudience    string
	oidcSubject     string
	oidcGroups      string
	oidcAdminGroups []string
	oidcGroupRoles  []string
	oidcRoles       string
	tlsCert         string
	tlsKey          string
	clientCA        string
	clientCert      string
	clientCertRoles string
	insecureNoAuth  bool
}

func (f *securityFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.tokenFile, "auth-token-file", os.Getenv("AIDEN_AUTH_TOKEN_FILE"),
		"YAML or JSON file of accepted bearer tokens (SHA-256 digests, subjects, roles), read again when it changes (default $AIDEN_AUTH_TOKEN_FILE)")
	fl.StringVar(&f.oidcIssuer, "oidc-issuer", os.Getenv("AIDEN_OIDC_ISSUER"), "accept JWT bearer tokens signed by this OIDC issuer (default $AIDEN_OIDC_ISSUER)")
	fl.StringVar(&f.oidcAudience, "oidc-audience", os.Getenv("AIDEN_OIDC_AUDIENCE"), "audience (client id) OIDC tokens must name; required with --oidc-issuer (default $AIDEN_OIDC_AUDIENCE)")
	fl.StringVar(&f.oidcSubject, "oidc-subject-claim", "sub", "OIDC claim that names the caller")
	fl.StringVar(&f.oidcGroups, "oidc-groups-claim", "groups", "OIDC claim that lists the caller's groups")
	fl.StringArrayVar(&f.oidcAdminGroups, "oidc-admin-group", nil, "members of this OIDC group are admins (read every record); repeatable")
	fl.StringArrayVar(&f.oidcGroupRoles, "oidc-group-role", nil, "GROUP=ROLE[,ROLE]: give members of an OIDC group these roles too; repeatable")
	fl.StringVar(&f.oidcRoles, "oidc-default-roles", "generate,validate,read-own", "roles of every valid OIDC token")
	fl.StringVar(&f.tlsCert, "tls-cert", os.Getenv("AIDEN_TLS_CERT"), "serve HTTPS (HTTP/2 and HTTP/1.1) with this PEM certificate chain, read again when it changes (default $AIDEN_TLS_CERT)")
	fl.StringVar(&f.tlsKey, "tls-key", os.Getenv("AIDEN_TLS_KEY"), "PEM key of --tls-cert (default $AIDEN_TLS_KEY)")
	fl.StringVar(&f.clientCA, "client-ca", os.Getenv("AIDEN_CLIENT_CA"), "PEM CAs whose client certificates are accepted; the certificate's common name is the caller when no token is sent (default $AIDEN_CLIENT_CA)")
	fl.StringVar(&f.clientCert, "client-cert", "require", "with --client-ca: require a client certificate at the handshake, or verify one when given (optional)")
	fl.StringVar(&f.clientCertRoles, "client-cert-roles", "generate,validate,read-own", "roles of a caller known by its client certificate")
	fl.BoolVar(&f.insecureNoAuth, "insecure-no-auth", false, "serve beyond loopback without authentication (when a proxy in front of aiden authenticates)")
}

// authenticator builds the authenticators the flags name; nil when none
// is configured.
func (f *securityFlags) authenticator(ctx context.Context) (auth.Authenticator, error) {
	var chain auth.Chain
	if f.tokenFile != "" {
		tf, err := auth.NewTokenFile(f.tokenFile)
		if err != nil {
			return nil, usageErr("--auth-token-file: %w", err)
		}
		chain = append(chain, tf)
	}
	if f.oidcIssuer != "" || f.oidcAudience != "" {
		if f.oidcIssuer == "" || f.oidcAudience == "" {
			return nil, usageErr("--oidc-issuer and --oidc-audience go together: tokens are checked for both")
		}
		opts := auth.OIDCOptions{
			Issuer: f.oidcIssuer, Audience: f.oidcAudience,
			SubjectClaim: f.oidcSubject, GroupsClaim: f.oidcGroups,
			GroupRoles: map[string][]auth.Role{},
		}
		var err error
		if opts.DefaultRoles, err = auth.ParseRoles(f.oidcRoles); err != nil {
			return nil, usageErr("--oidc-default-roles: %w", err)
		}
		if opts.DefaultRoles == nil {
			opts.DefaultRoles = []auth.Role{}
		}
		for _, g := range f.oidcAdminGroups {
			opts.GroupRoles[g] = append(opts.GroupRoles[g], auth.RoleAdmin)
		}
		for _, gr := range f.oidcGroupRoles {
			group, roles, ok := strings.Cut(gr, "=")
			rs, err := auth.ParseRoles(roles)
			if !ok || group == "" || len(rs) == 0 || err != nil {
				return nil, usageErr("--oidc-group-role %q: want GROUP=ROLE[,ROLE] with roles among generate, validate, read-own, admin", gr)
			}
			opts.GroupRoles[group] = append(opts.GroupRoles[group], rs...)
		}
		o, err := auth.NewOIDC(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("--oidc-issuer: %w", err)
		}
		chain = append(chain, o)
	}
	if f.clientCA != "" {
		roles, err := auth.ParseRoles(f.clientCertRoles)
		if err != nil {
			return nil, usageErr("--client-cert-roles: %w", err)
		}
		chain = append(chain, auth.Certificates{Roles: roles})
	}
	if len(chain) == 0 {
		return nil, nil
	}
	return chain, nil
}

// configured reports whether any authentication flag is set.
func (f *securityFlags) configured() bool {
	return f.tokenFile != "" || f.oidcIssuer != "" || f.oidcAudience != "" || f.clientCA != ""
}

// check refuses contradictory flags, and serving beyond loopback with no
// authentication, before anything is opened.
func (f *securityFlags) check(ctx context.Context, addr string, log *slog.Logger) error {
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return usageErr("--tls-cert and --tls-key go together")
	}
	if f.clientCA != "" && f.tlsCert == "" {
		return usageErr("--client-ca needs --tls-cert and --tls-key: client certificates come with TLS")
	}
	if f.clientCert != "require" && f.clientCert != "optional" {
		return usageErr("--client-cert %s: want require or optional", f.clientCert)
	}
	if f.configured() {
		if f.insecureNoAuth {
			return usageErr("--insecure-no-auth contradicts the authentication flags given: drop one")
		}
		return nil
	}
	local, err := loopback(ctx, addr)
	if err != nil {
		return err
	}
	switch {
	case f.insecureNoAuth:
		log.Warn("authentication is off (--insecure-no-auth): whoever reaches the port may generate, validate and read every record")
	case local:
		log.Warn("authentication is off: every process on this machine may generate, validate and read every record; give --auth-token-file or --oidc-issuer to require identities")
	default:
		return usageErr("refusing to serve %s without authentication: the address is reachable beyond this machine, and anyone reaching it could generate, validate and read every record. "+
			"Give --auth-token-file FILE, --oidc-issuer URL with --oidc-audience ID, or --client-ca FILE with --tls-cert/--tls-key; "+
			"or --insecure-no-auth when a proxy in front of aiden authenticates (see docs/security.md)", addr)
	}
	return nil
}

// tlsConfig returns the TLS configuration, nil without --tls-cert.
func (f *securityFlags) tlsConfig(log *slog.Logger) (*tls.Config, error) {
	if f.tlsCert == "" {
		return nil, nil
	}
	cfg, err := server.TLSConfig(server.TLSOptions{
		CertFile: f.tlsCert, KeyFile: f.tlsKey,
		ClientCAFile: f.clientCA, RequireClientCert: f.clientCert == "require",
		Logger: log,
	})
	if err != nil {
		return nil, usageErr("%w", err)
	}
	return cfg, nil
}

// loopback reports whether addr listens on loopback only: an IP that is
// loopback, or a name all of whose addresses are. An empty host (every
// interface) is not.
func loopback(ctx context.Context, addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, usageErr("--addr %s: %w", addr, err)
	}
	if host == "" {
		return false, nil
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback(), nil
	}
	if strings.EqualFold(host, "localhost") {
		return true, nil
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(ips) == 0 {
		return false, nil
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return false, nil
		}
	}
	return true, nil
}
