package auth_test

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stackgen/aiden/auth"
	"github.com/stackgen/aiden/auth/authtest"
)

func digest(token string) string {
	d := sha256.Sum256([]byte(token))
	return hex.EncodeToString(d[:])
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.yaml")
	writeFile(t, path, `tokens:
  - subject: alice
    sha256: `+digest("alice-secret-token")+`
    roles: [generate, read-own]
  - subject: root
    sha256: `+strings.ToUpper(digest("root-secret-token"))+`
    roles: [admin]
`)
	tf, err := auth.NewTokenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := tf.Authenticate(ctx, auth.Credentials{Token: "alice-secret-token"})
	if err != nil {
		t.Fatalf("alice: %v", err)
	}
	if p.Subject != "alice" || p.Method != "token" || !p.Has(auth.RoleGenerate) || p.Has(auth.RoleValidate) || p.Has(auth.RoleAdmin) {
		t.Errorf("alice = %+v", p)
	}
	p, err = tf.Authenticate(ctx, auth.Credentials{Token: "root-secret-token"})
	if err != nil || p.Subject != "root" || !p.Has(auth.RoleValidate) {
		t.Errorf("root = %+v, %v; want admin holding every role", p, err)
	}
	if _, err := tf.Authenticate(ctx, auth.Credentials{Token: "alice-secret-tokeN"}); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("wrong token: err = %v, want ErrInvalid", err)
	}
	if _, err := tf.Authenticate(ctx, auth.Credentials{}); !errors.Is(err, auth.ErrNoCredentials) {
		t.Errorf("no token: err = %v, want ErrNoCredentials", err)
	}
}

func TestTokenFileReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens.json")
	writeFile(t, path, `{"tokens": [{"subject": "alice", "sha256": "`+digest("one")+`", "roles": ["generate"]}]}`)
	tf, err := auth.NewTokenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := tf.Authenticate(ctx, auth.Credentials{Token: "one"}); err != nil {
		t.Fatalf("before reload: %v", err)
	}

	// Replaced the way a secret mount or an editor does: a new file renamed
	// over the old one. The old token is revoked, the new one accepted.
	tmp := filepath.Join(dir, "tokens.new")
	writeFile(t, tmp, `{"tokens": [{"subject": "bob", "sha256": "`+digest("two")+`", "roles": ["validate"]}]}`)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	if _, err := tf.Authenticate(ctx, auth.Credentials{Token: "one"}); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("revoked token: err = %v, want ErrInvalid", err)
	}
	p, err := tf.Authenticate(ctx, auth.Credentials{Token: "two"})
	if err != nil || p.Subject != "bob" {
		t.Errorf("new token: %+v, %v", p, err)
	}

	// Rewritten in place with a different size.
	writeFile(t, path, `tokens: [{subject: carol, sha256: `+digest("three")+`, roles: [read-own]}]`)
	if p, err := tf.Authenticate(ctx, auth.Credentials{Token: "three"}); err != nil || p.Subject != "carol" {
		t.Errorf("rewritten file: %+v, %v", p, err)
	}

	// A broken file refuses every token, and says why, until it is fixed.
	writeFile(t, path, `tokens: [{subject: carol, sha256: nothex, roles: [read-own]}]`)
	_, err = tf.Authenticate(ctx, auth.Credentials{Token: "three"})
	if err == nil || errors.Is(err, auth.ErrInvalid) || !strings.Contains(err.Error(), "tokens[0] (carol): sha256") {
		t.Errorf("broken file: err = %v, want the file's problem", err)
	}
	writeFile(t, path, `tokens: [{subject: carol, sha256: `+digest("three")+`, roles: [read-own, validate]}]`)
	if p, err := tf.Authenticate(ctx, auth.Credentials{Token: "three"}); err != nil || !p.Has(auth.RoleValidate) {
		t.Errorf("fixed file: %+v, %v", p, err)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := tf.Authenticate(ctx, auth.Credentials{Token: "three"}); err == nil {
		t.Error("removed file: a token was accepted")
	}
}

func TestTokenFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"not yaml", "tokens: [", "parse"},
		{"unknown field", "tokens: [{subject: a, sha256: " + digest("x") + ", roles: [generate], token: x}]", "field token not found"},
		{"no subject", "tokens: [{sha256: " + digest("x") + ", roles: [generate]}]", "tokens[0]: subject is empty"},
		{"short digest", "tokens: [{subject: a, sha256: abcd, roles: [generate]}]", "tokens[0] (a): sha256 must be 64 hex digits"},
		{"unknown role", "tokens: [{subject: a, sha256: " + digest("x") + ", roles: [deploy]}]", `tokens[0] (a): roles: unknown role "deploy"`},
		{"no roles", "tokens: [{subject: a, sha256: " + digest("x") + "}]", "tokens[0] (a): roles is empty"},
		{"duplicate", "tokens: [{subject: a, sha256: " + digest("x") + ", roles: [generate]}, {subject: b, sha256: " + digest("x") + ", roles: [generate]}]", "tokens[1] (b): the same token as tokens[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokens.yaml")
			writeFile(t, path, tc.body)
			_, err := auth.NewTokenFile(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := auth.NewTokenFile(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.yaml")
	writeFile(t, path, "tokens: [{subject: alice, sha256: "+digest("tok")+", roles: [generate]}]")
	tf, err := auth.NewTokenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ch := auth.Chain{tf, auth.Certificates{Roles: []auth.Role{auth.RoleValidate}}}
	cert := &x509.Certificate{Subject: pkix.Name{CommonName: "ci.example.com"}}
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		c       auth.Credentials
		subject string
		err     error
	}{
		{"token", auth.Credentials{Token: "tok"}, "alice", nil},
		{"token wins over certificate", auth.Credentials{Token: "tok", Certificate: cert}, "alice", nil},
		{"certificate", auth.Credentials{Certificate: cert}, "ci.example.com", nil},
		{"bad token with certificate", auth.Credentials{Token: "nope", Certificate: cert}, "", auth.ErrInvalid},
		{"certificate without a name", auth.Credentials{Certificate: &x509.Certificate{}}, "", auth.ErrInvalid},
		{"nothing", auth.Credentials{}, "", auth.ErrNoCredentials},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ch.Authenticate(ctx, tc.c)
			if !errors.Is(err, tc.err) || p.Subject != tc.subject {
				t.Errorf("got %q, %v; want %q, %v", p.Subject, err, tc.subject, tc.err)
			}
		})
	}
}

func TestContext(t *testing.T) {
	if _, ok := auth.FromContext(context.Background()); ok {
		t.Error("empty context carries a principal")
	}
	ctx := auth.NewContext(context.Background(), auth.Principal{Subject: "alice"})
	if p, ok := auth.FromContext(ctx); !ok || p.Subject != "alice" {
		t.Errorf("FromContext = %+v, %v", p, ok)
	}
}

func TestParseRoles(t *testing.T) {
	got, err := auth.ParseRoles(" generate, read-own,generate ")
	if err != nil || !slices.Equal(got, []auth.Role{auth.RoleGenerate, auth.RoleReadOwn}) {
		t.Errorf("ParseRoles = %v, %v", got, err)
	}
	if _, err := auth.ParseRoles("generate,root"); err == nil || !strings.Contains(err.Error(), `"root"`) {
		t.Errorf("unknown role: err = %v", err)
	}
}

func TestOIDC(t *testing.T) {
	iss := authtest.NewIssuer(t)
	ctx := context.Background()
	o, err := auth.NewOIDC(ctx, auth.OIDCOptions{
		Issuer:     iss.URL,
		Audience:   "aiden",
		GroupRoles: map[string][]auth.Role{"platform": {auth.RoleAdmin}},
	})
	if err != nil {
		t.Fatal(err)
	}
	other := authtest.NewIssuer(t)

	p, err := o.Authenticate(ctx, auth.Credentials{Token: iss.Token(t, "alice", "aiden", map[string]any{"groups": []string{"dev"}})})
	if err != nil {
		t.Fatalf("valid token: %v", err)
	}
	if p.Subject != "alice" || p.Method != "oidc" || !slices.Equal(p.Groups, []string{"dev"}) || !p.Has(auth.RoleGenerate) || p.Has(auth.RoleAdmin) {
		t.Errorf("alice = %+v", p)
	}
	p, err = o.Authenticate(ctx, auth.Credentials{Token: iss.Token(t, "root", "aiden", map[string]any{"groups": []string{"dev", "platform"}})})
	if err != nil || !p.Has(auth.RoleAdmin) {
		t.Errorf("platform member = %+v, %v; want admin", p, err)
	}

	for _, tc := range []struct {
		name  string
		token string
	}{
		{"wrong audience", iss.Token(t, "alice", "someone-else", nil)},
		{"expired", iss.Token(t, "alice", "aiden", map[string]any{"exp": time.Now().Add(-time.Minute).Unix()})},
		{"another issuer", other.Token(t, "alice", "aiden", nil)},
		{"signed by another key", other.Token(t, "alice", "aiden", map[string]any{"iss": iss.URL})},
		{"no subject", iss.Token(t, "", "aiden", nil)},
		{"not a jwt", "alice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := o.Authenticate(ctx, auth.Credentials{Token: tc.token}); !errors.Is(err, auth.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}

	// Another claim as the subject.
	o2, err := auth.NewOIDC(ctx, auth.OIDCOptions{Issuer: iss.URL, Audience: "aiden", SubjectClaim: "email", GroupsClaim: "roles"})
	if err != nil {
		t.Fatal(err)
	}
	p, err = o2.Authenticate(ctx, auth.Credentials{Token: iss.Token(t, "0042", "aiden", map[string]any{"email": "alice@example.com", "roles": "a b"})})
	if err != nil || p.Subject != "alice@example.com" || !slices.Equal(p.Groups, []string{"a", "b"}) {
		t.Errorf("email subject = %+v, %v", p, err)
	}

	if _, err := auth.NewOIDC(ctx, auth.OIDCOptions{Issuer: iss.URL}); err == nil {
		t.Error("no audience: no error")
	}
}
