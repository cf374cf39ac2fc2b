package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/stackgen/aiden/auth"
	"github.com/stackgen/aiden/auth/authtest"
	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/wire"
)

// bearer returns a client like c that sends token on every request.
func bearer(c *http.Client, token string) *http.Client {
	cp := *c
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp.Transport = roundTripper(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+token)
		return base.RoundTrip(r)
	})
	return &cp
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// status POSTs a Connect JSON call and returns the HTTP status, as curl
// sees it.
func status(t *testing.T, c *http.Client, url, body string) int {
	t.Helper()
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func code(err error) connect.Code {
	if err == nil {
		return 0
	}
	return connect.CodeOf(err)
}

// TestOIDC: a local issuer signs tokens; the server verifies them against
// its JWKS. No token, a token for another audience and an expired one are
// refused; users read only their own records, an admin reads all.
func TestOIDC(t *testing.T) {
	iss := authtest.NewIssuer(t)
	ctx := context.Background()
	oidc, err := auth.NewOIDC(ctx, auth.OIDCOptions{
		Issuer: iss.URL, Audience: "aiden",
		GroupRoles: map[string][]auth.Role{"platform-admins": {auth.RoleAdmin}},
	})
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	srv := newRecordingServer(t, st, server.Options{Auth: oidc})
	as := func(token string) *http.Client { return bearer(srv.Client(), token) }
	alice := as(iss.Token(t, "alice", "aiden", map[string]any{"groups": []string{"dev"}}))
	bob := as(iss.Token(t, "bob", "aiden", nil))
	admin := as(iss.Token(t, "root", "aiden", map[string]any{"groups": []string{"platform-admins"}}))
	generate := `{"intent": "` + redisIntent + `", "targetPath": "apps/redis"}`
	genURL := srv.URL + aidenv1connect.GenerateServiceGenerateProcedure

	refused := map[string]*http.Client{
		"no token":       srv.Client(),
		"wrong audience": as(iss.Token(t, "alice", "someone-else", nil)),
		"expired":        as(iss.Token(t, "alice", "aiden", map[string]any{"exp": 1})),
		"garbage":        as("not-a-token"),
	}
	for name, c := range refused {
		t.Run(name, func(t *testing.T) {
			if got := status(t, c, genURL, generate); got != http.StatusUnauthorized {
				t.Errorf("Connect Generate: status %d, want 401", got)
			}
			for _, p := range protocols {
				client := aidenv1connect.NewGenerateServiceClient(c, srv.URL, p.opts...)
				_, err := client.ListGenerations(ctx, connect.NewRequest(&aidenv1.ListGenerationsRequest{}))
				if code(err) != connect.CodeUnauthenticated {
					t.Errorf("%s ListGenerations: %v, want unauthenticated", p.name, err)
				}
				if err != nil && strings.Contains(err.Error(), "audience") || err != nil && strings.Contains(err.Error(), "expired") {
					t.Errorf("%s: the error helps an attacker: %v", p.name, err)
				}
			}
			get(t, c, srv.URL+"/generations/gen_0000000000000000.patch", http.StatusUnauthorized)
		})
	}

	// Health answers anyone.
	req := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "")
	health := connect.NewClient[[]byte, []byte](srv.Client(), srv.URL+"/grpc.health.v1.Health/Check", connect.WithGRPC(), connect.WithCodec(rawCodec{}))
	if _, err := health.CallUnary(ctx, connect.NewRequest(&req)); err != nil {
		t.Errorf("health without a token: %v", err)
	}

	ids := map[string]string{}
	for name, c := range map[string]*http.Client{"alice": alice, "bob": bob} {
		client := aidenv1connect.NewGenerateServiceClient(c, srv.URL)
		call := connect.NewRequest(&aidenv1.GenerateRequest{Intent: redisIntent, TargetPath: "apps/redis"})
		call.Header().Set("Aiden-User", "root")
		resp, err := client.Generate(ctx, call)
		if err != nil {
			t.Fatalf("%s Generate: %v", name, err)
		}
		ids[name] = resp.Header().Get(wire.HeaderGenerationID)
	}

	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			list := func(c *http.Client, caller string) map[string]string {
				t.Helper()
				resp, err := aidenv1connect.NewGenerateServiceClient(c, srv.URL, p.opts...).
					ListGenerations(ctx, connect.NewRequest(&aidenv1.ListGenerationsRequest{Caller: caller}))
				if err != nil {
					t.Fatalf("ListGenerations: %v", err)
				}
				out := map[string]string{}
				for _, g := range resp.Msg.GetGenerations() {
					out[g.GetId()] = g.GetCaller()
				}
				return out
			}
			if got := list(alice, ""); len(got) != 1 || got[ids["alice"]] != "alice" {
				t.Errorf("alice lists %v, want her one record, owned by alice (not the Aiden-User header)", got)
			}
			if got := list(alice, "bob"); len(got) != 0 {
				t.Errorf("alice asking for bob's records lists %v, want none", got)
			}
			if got := list(admin, ""); len(got) != 2 {
				t.Errorf("admin lists %v, want both records", got)
			}
			if got := list(admin, "bob"); len(got) != 1 || got[ids["bob"]] != "bob" {
				t.Errorf("admin asking for bob's lists %v", got)
			}

			getGen := func(c *http.Client, id string) error {
				_, err := aidenv1connect.NewGenerateServiceClient(c, srv.URL, p.opts...).
					GetGeneration(ctx, connect.NewRequest(&aidenv1.GetGenerationRequest{Id: id}))
				return err
			}
			if err := getGen(alice, ids["alice"]); err != nil {
				t.Errorf("alice reads her own: %v", err)
			}
			err := getGen(alice, ids["bob"])
			missing := getGen(alice, "gen_0000000000000000")
			if code(err) != connect.CodeNotFound || code(missing) != connect.CodeNotFound {
				t.Errorf("alice reads bob's: %v; a missing one: %v; want both not found", err, missing)
			}
			if err := getGen(admin, ids["bob"]); err != nil {
				t.Errorf("admin reads bob's: %v", err)
			}
		})
	}

	patch := func(id string) string { return srv.URL + "/generations/" + id + ".patch" }
	get(t, alice, patch(ids["alice"]), http.StatusOK)
	if body := get(t, alice, patch(ids["bob"]), http.StatusNotFound); body != "no generation "+ids["bob"]+"\n" {
		t.Errorf("alice's GET of bob's patch says %q, want what a missing id says", body)
	}
	get(t, admin, patch(ids["bob"]), http.StatusOK)
}

// TestRoles: each RPC needs its role; a refusal says nothing more.
func TestRoles(t *testing.T) {
	st := openStore(t)
	srv := newRecordingServer(t, st, server.Options{Auth: authtest.TokenFile(t, map[string][]auth.Role{
		"validator": {auth.RoleValidate},
		"writer":    {auth.RoleGenerate},
	})})
	ctx := context.Background()
	validator := bearer(srv.Client(), "validator-token")
	writer := bearer(srv.Client(), "writer-token")
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			_, err := aidenv1connect.NewGenerateServiceClient(validator, srv.URL, p.opts...).
				Generate(ctx, connect.NewRequest(&aidenv1.GenerateRequest{Intent: redisIntent, TargetPath: "apps/redis"}))
			if code(err) != connect.CodePermissionDenied {
				t.Errorf("Generate with validate only: %v, want permission denied", err)
			}
			var ce *connect.Error
			if errors.As(err, &ce) && ce.Message() != "permission_denied" {
				t.Errorf("message %q says more than the code", ce.Message())
			}
			cm := &aidenv1.ValidateRequest{Files: []*aidenv1.File{{Path: "cm.yaml", Content: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")}}}
			_, err = aidenv1connect.NewValidateServiceClient(validator, srv.URL, p.opts...).
				Validate(ctx, connect.NewRequest(cm))
			if err != nil {
				t.Errorf("Validate with validate: %v", err)
			}
			_, err = aidenv1connect.NewValidateServiceClient(writer, srv.URL, p.opts...).
				Validate(ctx, connect.NewRequest(cm))
			if code(err) != connect.CodePermissionDenied {
				t.Errorf("Validate with generate only: %v, want permission denied", err)
			}
			_, err = aidenv1connect.NewGenerateServiceClient(writer, srv.URL, p.opts...).
				ListGenerations(ctx, connect.NewRequest(&aidenv1.ListGenerationsRequest{}))
			if code(err) != connect.CodePermissionDenied {
				t.Errorf("ListGenerations without read-own: %v, want permission denied", err)
			}
		})
	}
	if got := status(t, validator, srv.URL+aidenv1connect.GenerateServiceGenerateProcedure, `{"intent": "redis"}`); got != http.StatusForbidden {
		t.Errorf("Connect JSON Generate with validate only: %d, want 403", got)
	}
	get(t, writer, srv.URL+"/generations/gen_0000000000000000.patch", http.StatusForbidden)
}
