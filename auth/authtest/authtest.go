// Package authtest serves an OIDC issuer on loopback for tests: a
// discovery document and a JWKS, and tokens signed with a test RSA key.
package authtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/stackgen/aiden/auth"
)

// Issuer is an OIDC issuer served by an httptest server.
type Issuer struct {
	// URL is the issuer URL, as tokens' iss claim holds it.
	URL string

	key    *rsa.PrivateKey
	signer jose.Signer
}

// NewIssuer starts an issuer that lives as long as the test.
func NewIssuer(t testing.TB) *Issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "test-key"))
	if err != nil {
		t.Fatalf("new signer: %v", err)
	}
	iss := &Issuer{key: key, signer: signer}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{
			"issuer":                                iss.URL,
			"jwks_uri":                              iss.URL + "/keys",
			"authorization_endpoint":                iss.URL + "/auth",
			"token_endpoint":                        iss.URL + "/token",
			"response_types_supported":              []string{"id_token"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "test-key", Algorithm: "RS256", Use: "sig"}}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	iss.URL = srv.URL
	return iss
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Token returns a token for subject and audience, valid for an hour from
// now, with extra claims (groups, or overrides of iss, exp, sub).
func (i *Issuer) Token(t testing.TB, subject, audience string, extra map[string]any) string {
	t.Helper()
	now := time.Now()
	claims := map[string]any{
		"iss": i.URL,
		"sub": subject,
		"aud": audience,
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	for k, v := range extra {
		claims[k] = v
	}
	tok, err := jwt.Signed(i.signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatalf("sign token: %v", err)
	}
	return tok
}

// TokenFile writes a token file that gives each subject its roles, with
// the token "SUBJECT-token", and returns its authenticator.
func TokenFile(t testing.TB, grants map[string][]auth.Role) *auth.TokenFile {
	t.Helper()
	var b strings.Builder
	b.WriteString("tokens:\n")
	for subject, roles := range grants {
		d := sha256.Sum256([]byte(subject + "-token"))
		var names []string
		for _, r := range roles {
			names = append(names, string(r))
		}
		fmt.Fprintf(&b, "  - subject: %s\n    sha256: %s\n    roles: [%s]\n", subject, hex.EncodeToString(d[:]), strings.Join(names, ", "))
	}
	path := filepath.Join(t.TempDir(), "tokens.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	tf, err := auth.NewTokenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return tf
}
