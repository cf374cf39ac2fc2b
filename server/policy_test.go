package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
)

const plaintextSecret = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: apps
stringData:
  password: S3cr3tP4ssw0rd!
`

const hostPIDPod = `apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: apps
spec:
  hostPID: true
  containers:
    - name: debug
      image: busybox:1.36
      securityContext:
        privileged: true
`

// Probe (issue 12): with the API default (policyCheck false), a plaintext
// Secret and a privileged hostPID pod came back valid: true. Policy checks
// are now on unless skip_policy_check is set.
func TestProbePolicyOnByDefaultOverAPI(t *testing.T) {
	srv := newServer(t)
	files := []*aidenv1.File{
		{Path: "apps/db/secret.yaml", Content: []byte(plaintextSecret)},
		{Path: "apps/debug/pod.yaml", Content: []byte(hostPIDPod)},
	}
	rules := func(fs []*aidenv1.Finding) map[string]bool {
		m := map[string]bool{}
		for _, f := range fs {
			if f.GetSeverity() == aidenv1.Severity_SEVERITY_ERROR {
				m[f.GetRule()] = true
			}
		}
		return m
	}
	for _, p := range protocols[:2] {
		t.Run(p.name, func(t *testing.T) {
			client := aidenv1connect.NewValidateServiceClient(srv.Client(), srv.URL, p.opts...)
			for _, opts := range []*aidenv1.Options{nil, {}, {PolicyCheck: false}, {PolicyCheck: true, SkipPolicyCheck: true}} {
				resp, err := client.Validate(context.Background(), connect.NewRequest(&aidenv1.ValidateRequest{Files: files, Options: opts}))
				if err != nil {
					t.Fatal(err)
				}
				if resp.Msg.GetValid() {
					t.Errorf("options %v: valid = true for a plaintext Secret and a privileged hostPID pod", opts)
				}
				got := rules(resp.Msg.GetFindings())
				for _, want := range []string{"secret-plaintext", "pss-baseline"} {
					if !got[want] {
						t.Errorf("options %v: no %s error in %v", opts, want, resp.Msg.GetFindings())
					}
				}
			}
			// The opt-out.
			resp, err := client.Validate(context.Background(), connect.NewRequest(&aidenv1.ValidateRequest{
				Files: files, Options: &aidenv1.Options{SkipPolicyCheck: true}}))
			if err != nil {
				t.Fatal(err)
			}
			if !resp.Msg.GetValid() {
				t.Errorf("skip_policy_check: valid = false: %v", resp.Msg.GetFindings())
			}
		})
	}

	// An old JSON client sending policyCheck: false explicitly is read as
	// unset: the checks run. skipPolicyCheck: true turns them off.
	for body, wantValid := range map[string]bool{
		`{"files":[{"path":"apps/db/secret.yaml","content":"` + b64(plaintextSecret) + `"}],"options":{"policyCheck":false}}`:    false,
		`{"files":[{"path":"apps/db/secret.yaml","content":"` + b64(plaintextSecret) + `"}]}`:                                    false,
		`{"files":[{"path":"apps/db/secret.yaml","content":"` + b64(plaintextSecret) + `"}],"options":{"skipPolicyCheck":true}}`: true,
	} {
		resp, err := srv.Client().Post(srv.URL+"/aiden.v1.ValidateService/Validate", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, raw)
		}
		var got struct {
			Valid bool `json:"valid"`
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		if got.Valid != wantValid {
			t.Errorf("%.120s…: valid = %v, want %v (%s)", body[len(body)-60:], got.Valid, wantValid, raw)
		}
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
