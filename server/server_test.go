package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protowire"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
)

const redisIntent = "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production"

// newServer starts the real handler over HTTP/2 (TLS, as httptest offers).
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(server.New(generator.New(generator.Options{}), server.Options{}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// protocols runs each test once with the Connect protocol and once with gRPC.
var protocols = []struct {
	name string
	opts []connect.ClientOption
}{
	{name: "connect"},
	{name: "grpc", opts: []connect.ClientOption{connect.WithGRPC()}},
	{name: "grpcweb", opts: []connect.ClientOption{connect.WithGRPCWeb()}},
}

func TestGenerate(t *testing.T) {
	srv := newServer(t)
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL, p.opts...)
			resp, err := client.Generate(context.Background(), connect.NewRequest(&aidenv1.GenerateRequest{
				Intent:     redisIntent,
				Format:     aidenv1.Format_FORMAT_HELM,
				TargetPath: "clusters/production/apps/redis",
			}))
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			m := resp.Msg
			if !m.GetValid() {
				t.Errorf("valid = false, findings: %v", m.GetFindings())
			}
			paths := map[string]bool{}
			for _, f := range m.GetFiles() {
				paths[f.GetPath()] = true
				if !strings.HasPrefix(f.GetPath(), "clusters/production/apps/redis/") {
					t.Errorf("file %s is outside the target", f.GetPath())
				}
			}
			for _, want := range []string{"clusters/production/apps/redis/Chart.yaml", "clusters/production/apps/redis/values.yaml"} {
				if !paths[want] {
					t.Errorf("files lack %s; got %v", want, paths)
				}
			}
			if !strings.Contains(m.GetPatch(), "+++ b/clusters/production/apps/redis/Chart.yaml") {
				t.Errorf("patch does not create Chart.yaml:\n%.500s", m.GetPatch())
			}
			checks := map[string]string{}
			for _, c := range m.GetChecks() {
				checks[c.GetName()] = c.GetStatus()
			}
			for _, name := range []string{"render", "lint", "schema"} {
				if checks[name] != "passed" {
					t.Errorf("check %s = %q, want passed (checks %v)", name, checks[name], checks)
				}
			}
			prov := m.GetProvenance()
			if prov.GetGenerator() != "planner" || len(prov.GetUnderstood()) == 0 || len(prov.GetStages()) == 0 {
				t.Errorf("provenance = %v, want planner with facts and stage timings", prov)
			}
		})
	}
}

func TestGenerateStream(t *testing.T) {
	srv := newServer(t)
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL, p.opts...)
			stream, err := client.GenerateStream(context.Background(), connect.NewRequest(&aidenv1.GenerateStreamRequest{
				Request: &aidenv1.GenerateRequest{Intent: redisIntent, TargetPath: "apps/redis"},
			}))
			if err != nil {
				t.Fatalf("GenerateStream: %v", err)
			}
			var stages []aidenv1.Stage
			var result *aidenv1.GenerateResponse
			for stream.Receive() {
				stages = append(stages, stream.Msg().GetStage())
				if r := stream.Msg().GetResult(); r != nil {
					result = r
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("stream: %v", err)
			}
			want := []aidenv1.Stage{aidenv1.Stage_STAGE_CONTEXT, aidenv1.Stage_STAGE_PLAN, aidenv1.Stage_STAGE_RENDER, aidenv1.Stage_STAGE_VALIDATE, aidenv1.Stage_STAGE_DONE}
			if len(stages) != len(want) {
				t.Fatalf("stages = %v, want %v", stages, want)
			}
			for i := range want {
				if stages[i] != want[i] {
					t.Errorf("stage %d = %v, want %v", i, stages[i], want[i])
				}
			}
			if result == nil || len(result.GetFiles()) == 0 || !result.GetValid() {
				t.Errorf("done event result = %v, want valid files", result)
			}
		})
	}
}

func TestGenerateErrors(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name string
		req  *aidenv1.GenerateRequest
		want connect.Code
	}{
		{name: "empty intent", req: &aidenv1.GenerateRequest{TargetPath: "apps/x"}, want: connect.CodeInvalidArgument},
		{name: "no target", req: &aidenv1.GenerateRequest{Intent: redisIntent}, want: connect.CodeInvalidArgument},
		{name: "target escapes", req: &aidenv1.GenerateRequest{Intent: redisIntent, TargetPath: "../../etc"}, want: connect.CodeInvalidArgument},
		{name: "absolute target", req: &aidenv1.GenerateRequest{Intent: redisIntent, TargetPath: "/etc/redis"}, want: connect.CodeInvalidArgument},
		{name: "workspace path escapes", req: &aidenv1.GenerateRequest{Intent: redisIntent, TargetPath: "apps/redis",
			Workspace: []*aidenv1.File{{Path: "apps/../../secret", Content: []byte("x")}}}, want: connect.CodeInvalidArgument},
		{name: "outside the catalog", req: &aidenv1.GenerateRequest{Intent: "set up a Cassandra cluster", TargetPath: "apps/cassandra"}, want: connect.CodeFailedPrecondition},
		{name: "outside the format's catalog", req: &aidenv1.GenerateRequest{Intent: redisIntent, TargetPath: "apps/redis", Format: aidenv1.Format_FORMAT_TERRAFORM}, want: connect.CodeFailedPrecondition},
	}
	for _, p := range protocols[:2] {
		client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL, p.opts...)
		for _, tt := range tests {
			t.Run(p.name+"/"+tt.name, func(t *testing.T) {
				_, err := client.Generate(context.Background(), connect.NewRequest(tt.req))
				if got := connect.CodeOf(err); got != tt.want {
					t.Errorf("code = %v (%v), want %v", got, err, tt.want)
				}
				if err != nil && len(err.Error()) < 20 {
					t.Errorf("error %q is too terse to act on", err)
				}
			})
		}
	}
}

func TestValidate(t *testing.T) {
	srv := newServer(t)
	bad := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: "three"
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
`
	for _, p := range protocols[:2] {
		t.Run(p.name, func(t *testing.T) {
			client := aidenv1connect.NewValidateServiceClient(srv.Client(), srv.URL, p.opts...)
			resp, err := client.Validate(context.Background(), connect.NewRequest(&aidenv1.ValidateRequest{
				Files: []*aidenv1.File{{Path: "apps/web/deployment.yaml", Content: []byte(bad)}},
			}))
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if resp.Msg.GetValid() {
				t.Fatalf("valid = true for a Deployment with replicas: \"three\"")
			}
			var found bool
			for _, f := range resp.Msg.GetFindings() {
				if f.GetFile() == "apps/web/deployment.yaml" && f.GetRule() == "schema" && strings.Contains(f.GetPath(), "replicas") {
					found = true
				}
			}
			if !found {
				t.Errorf("no schema finding at /spec/replicas in %v", resp.Msg.GetFindings())
			}

			_, err = client.Validate(context.Background(), connect.NewRequest(&aidenv1.ValidateRequest{
				Files: []*aidenv1.File{{Path: "/etc/passwd", Content: []byte(bad)}},
			}))
			if got := connect.CodeOf(err); got != connect.CodeInvalidArgument {
				t.Errorf("absolute path: code = %v, want InvalidArgument", got)
			}
		})
	}
}

// TestConnectJSON is what curl does: a plain HTTP/1.1 POST of JSON.
func TestConnectJSON(t *testing.T) {
	srv := httptest.NewServer(server.New(generator.New(generator.Options{}), server.Options{}))
	defer srv.Close()
	body := `{"intent": "` + redisIntent + `", "format": "FORMAT_HELM", "targetPath": "clusters/production/apps/redis"}`
	resp, err := http.Post(srv.URL+"/aiden.v1.GenerateService/Generate", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, raw)
	}
	var got struct {
		Patch string `json:"patch"`
		Valid bool   `json:"valid"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if !got.Valid || got.Patch == "" {
		t.Errorf("valid=%v patch=%d bytes, want a valid result with a patch", got.Valid, len(got.Patch))
	}

	// An oversized request is refused before any work.
	big := `{"intent": "` + strings.Repeat("a", 33<<20) + `"}`
	resp2, err := http.Post(srv.URL+"/aiden.v1.GenerateService/Generate", "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode == http.StatusOK {
		t.Errorf("oversized request: status 200, want an error")
	}
}

// TestPatchApplies applies the returned patch with the real git in a
// repository that already has unrelated files.
func TestPatchApplies(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	srv := newServer(t)
	dir := t.TempDir()
	must := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	must("git", "init", "-q")
	if err := os.MkdirAll(filepath.Join(dir, "clusters/production/apps"), 0o755); err != nil {
		t.Fatal(err)
	}
	readme := []byte("# apps\n")
	if err := os.WriteFile(filepath.Join(dir, "clusters/production/apps/README.md"), readme, 0o644); err != nil {
		t.Fatal(err)
	}
	client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL)
	resp, err := client.Generate(context.Background(), connect.NewRequest(&aidenv1.GenerateRequest{
		Intent:     redisIntent,
		TargetPath: "clusters/production/apps/redis",
		Workspace:  []*aidenv1.File{{Path: "clusters/production/apps/README.md", Content: readme}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	patchFile := filepath.Join(t.TempDir(), "redis.patch")
	if err := os.WriteFile(patchFile, []byte(resp.Msg.GetPatch()), 0o644); err != nil {
		t.Fatal(err)
	}
	must("git", "apply", "--check", patchFile)
	must("git", "apply", patchFile)
	for _, f := range resp.Msg.GetFiles() {
		got, err := os.ReadFile(filepath.Join(dir, f.GetPath()))
		if err != nil {
			t.Fatalf("after git apply: %v", err)
		}
		if !bytes.Equal(got, f.GetContent()) {
			t.Errorf("%s after git apply differs from the response's file", f.GetPath())
		}
	}
}

// rawCodec sends and receives pre-encoded protobuf bytes, so the test can
// speak the standard health and reflection protocols without their stubs.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }

func (rawCodec) Unmarshal(b []byte, v any) error {
	*v.(*[]byte) = append([]byte(nil), b...)
	return nil
}

func TestHealthAndReflection(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()

	// grpc.health.v1.Health/Check {service: "aiden.v1.GenerateService"}.
	req := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), aidenv1connect.GenerateServiceName)
	health := connect.NewClient[[]byte, []byte](srv.Client(), srv.URL+"/grpc.health.v1.Health/Check", connect.WithGRPC(), connect.WithCodec(rawCodec{}))
	resp, err := health.CallUnary(ctx, connect.NewRequest(&req))
	if err != nil {
		t.Fatalf("health check: %v", err)
	}
	// HealthCheckResponse{status: SERVING (1)}.
	if want := []byte{0x08, 0x01}; !bytes.Equal(*resp.Msg, want) {
		t.Errorf("health = %x, want %x (SERVING)", *resp.Msg, want)
	}

	// grpc.reflection.v1.ServerReflection/ServerReflectionInfo {list_services: ""}.
	refl := connect.NewClient[[]byte, []byte](srv.Client(), srv.URL+"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", connect.WithGRPC(), connect.WithCodec(rawCodec{}))
	stream := refl.CallBidiStream(ctx)
	list := protowire.AppendString(protowire.AppendTag(nil, 7, protowire.BytesType), "")
	if err := stream.Send(&list); err != nil {
		t.Fatalf("reflection send: %v", err)
	}
	if err := stream.CloseRequest(); err != nil {
		t.Fatal(err)
	}
	got, err := stream.Receive()
	if err != nil {
		t.Fatalf("reflection receive: %v", err)
	}
	for _, name := range []string{aidenv1connect.GenerateServiceName, aidenv1connect.ValidateServiceName} {
		if !bytes.Contains(*got, []byte(name)) {
			t.Errorf("reflection's service list lacks %s", name)
		}
	}
	_ = stream.CloseResponse()
}

// TestH2C runs the server as aiden serve does (NewHTTPServer, no TLS) and
// calls it with gRPC over unencrypted HTTP/2, as grpcurl -plaintext does.
func TestH2C(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.NewHTTPServer(ln.Addr().String(), server.New(generator.New(generator.Options{}), server.Options{}))
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: &http.Transport{Protocols: &protocols}}
	gen := aidenv1connect.NewGenerateServiceClient(client, "http://"+ln.Addr().String(), connect.WithGRPC())
	resp, err := gen.Generate(context.Background(), connect.NewRequest(&aidenv1.GenerateRequest{
		Intent:     redisIntent,
		TargetPath: "clusters/production/apps/redis",
	}))
	if err != nil {
		t.Fatalf("gRPC over h2c: %v", err)
	}
	if !resp.Msg.GetValid() || len(resp.Msg.GetFiles()) == 0 {
		t.Errorf("valid = %v with %d files, want a valid chart", resp.Msg.GetValid(), len(resp.Msg.GetFiles()))
	}
}
