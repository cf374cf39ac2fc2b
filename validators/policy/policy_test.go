package policy

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
	"github.com/stackgen/aiden/workspace/workspacetest"
)

func readFiles(t *testing.T, paths ...string) []workspace.File {
	t.Helper()
	var out []workspace.File
	for _, p := range paths {
		out = append(out, workspacetest.Read(t, p, filepath.ToSlash(p))...)
	}
	return out
}

// regoOnly keeps the findings of Rego rules and returns their worst exit
// status as conftest computes it (1 on deny/violation, or on warn with
// failOnWarn).
func conftestStatus(fs []Finding, failOnWarn bool) (int, []string) {
	status := 0
	var msgs []string
	for _, f := range fs {
		if !strings.HasPrefix(f.Rule, "rego/") {
			continue
		}
		msgs = append(msgs, f.Message)
		if f.Severity == Error || failOnWarn {
			status = 1
		}
	}
	return status, msgs
}

// TestConftestExamples gives conftest's answers on its own examples, as
// conftest-examples/acceptance.bats states them.
func TestConftestExamples(t *testing.T) {
	root := corpus(t, "conftest-examples")
	ex := filepath.Join(root, "examples")
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		policy     string
		input      string
		namespaces []string
		failOnWarn bool
		want       int
		wantMsg    string
	}{
		{name: "service with a warning passes", policy: "kubernetes/policy", input: "kubernetes/service.yaml", want: 0},
		{name: "deployment with root containers fails", policy: "kubernetes/policy", input: "kubernetes/deployment.yaml", want: 1, wantMsg: "Containers must not run as root"},
		{name: "service fails on warnings", policy: "kubernetes/policy", input: "kubernetes/service.yaml", failOnWarn: true, want: 1, wantMsg: "Found service hello-kubernetes but services are not allowed"},
		{name: "blank namespace passes", policy: "kubernetes/policy", input: "kubernetes/deployment.yaml", namespaces: []string{"notpresent"}, want: 0},
		{name: "hcl2", policy: "hcl2/policy", input: "hcl2/terraform.tf", want: 1, wantMsg: "ALB `my-alb-listener` is using HTTP rather than HTTPS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol := readFiles(t, filepath.Join(ex, tc.policy))
			for i := range pol {
				pol[i].Path = "policies/" + filepath.Base(pol[i].Path)
			}
			eng, err := New(ctx, pol, Options{Config: Config{RegoNamespaces: tc.namespaces}})
			if err != nil {
				t.Fatal(err)
			}
			in := readFiles(t, filepath.Join(ex, tc.input))
			var objs, tf []workspace.File
			if strings.HasSuffix(tc.input, ".tf") {
				tf = in
			} else {
				objs = in
			}
			fs, _, err := eng.Check(ctx, objs, tf)
			if err != nil {
				t.Fatal(err)
			}
			got, msgs := conftestStatus(fs, tc.failOnWarn)
			if got != tc.want {
				t.Errorf("status = %d, want %d (messages %q)", got, tc.want, msgs)
			}
			if tc.wantMsg != "" && !strings.Contains(strings.Join(msgs, "\n"), tc.wantMsg) {
				t.Errorf("messages %q do not contain %q", msgs, tc.wantMsg)
			}
		})
	}
}

const goodDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
ANNOTATIONS
spec:
  replicas: REPLICAS
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: web
        image: IMAGE
        ENV
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}
        resources:
          requests: {cpu: 100m, memory: 64Mi}
          limits: {memory: 128Mi}
        livenessProbe: {httpGet: {path: /, port: 8080}}
        readinessProbe: {httpGet: {path: /, port: 8080}}
`

func deployment(replicas, image, annotations, env string) string {
	return strings.NewReplacer("REPLICAS", replicas, "IMAGE", image, "ANNOTATIONS", annotations, "ENV", env).Replace(goodDeployment)
}

const pdb = `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  minAvailable: 1
  selector:
    matchLabels: {app: web}
`

func TestBuiltin(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		manifest string
		tf       string
		cfg      Config
		want     []string // rule ids, in order
	}{
		{name: "good deployment", manifest: deployment("1", "nginx:1.27", "", ""), want: nil},
		{name: "latest tag", manifest: deployment("1", "nginx:latest", "", ""), want: []string{"image-tag"}},
		{name: "untagged", manifest: deployment("1", "registry.example.com:5000/nginx", "", ""), want: []string{"image-tag"}},
		{name: "digest", manifest: deployment("1", "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "", ""), want: nil},
		{name: "replicated without pdb", manifest: deployment("3", "nginx:1.27", "", ""), want: []string{"pdb"}},
		{name: "replicated with pdb", manifest: deployment("3", "nginx:1.27", "", "") + pdb, want: nil},
		{name: "exception with reason", manifest: deployment("3", "nginx:1.27", "  annotations:\n    exception.policy.stackgen.io/pdb: \"singleton leader, drains are scheduled\"", ""), want: nil},
		{name: "exception without reason", manifest: deployment("3", "nginx:1.27", "  annotations:\n    exception.policy.stackgen.io/pdb: \"\"", ""), want: []string{"policy-exception", "pdb"}},
		{name: "rule off", manifest: deployment("1", "nginx:latest", "", ""), cfg: Config{Rules: map[string]RuleConfig{"image-tag": {Disabled: true}}}, want: nil},
		{name: "password literal in env", manifest: deployment("1", "nginx:1.27", "", "env:\n        - name: DB_PASSWORD\n          value: \"hunter2-Sup3rS3cret!x\""), want: []string{"credential-literal"}},
		{name: "env from secret ref", manifest: deployment("1", "nginx:1.27", "", "env:\n        - name: DB_PASSWORD\n          valueFrom: {secretKeyRef: {name: db, key: password}}"), want: nil},
		{name: "plaintext secret", manifest: "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\ndata: {password: aHVudGVyMg==}\n", want: []string{"secret-plaintext"}},
		{name: "default namespace", manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata: {a: b}\n", want: []string{"default-namespace"}},
		{name: "privileged", manifest: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec:\n  containers:\n  - name: c\n    image: busybox:1.36\n    securityContext: {privileged: true}\n", want: []string{"pss-baseline", "pss-restricted", "resources", "probes"}},
		{name: "statefulset deletes claims", manifest: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: x}\nspec:\n  serviceName: db\n  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Retain}\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n      containers:\n      - name: db\n        image: postgres:17\n        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n        resources: {requests: {cpu: 1, memory: 1Gi}, limits: {memory: 1Gi}}\n        livenessProbe: {tcpSocket: {port: 5432}}\n        readinessProbe: {tcpSocket: {port: 5432}}\n  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n", want: []string{"statefulset-pvc-retention"}},
		{name: "terraform", tf: `resource "aws_s3_bucket" "b" {
  bucket = "x"
  acl    = "public-read"
}
resource "aws_ebs_volume" "v" {
  size = 10
}
resource "aws_security_group" "sg" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_db_instance" "db" {
  storage_encrypted = true
}
`, want: []string{"tf-admin-port-open", "tf-public-bucket", "tf-unencrypted-storage"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng, err := New(ctx, nil, Options{Config: tc.cfg})
			if err != nil {
				t.Fatal(err)
			}
			var objs, tf []workspace.File
			if tc.manifest != "" {
				objs = []workspace.File{{Path: "m.yaml", Content: []byte(tc.manifest)}}
			}
			if tc.tf != "" {
				tf = []workspace.File{{Path: "main.tf", Content: []byte(tc.tf)}}
			}
			fs, _, err := eng.Check(ctx, objs, tf)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			seen := map[string]bool{}
			for _, f := range fs {
				if !seen[f.Rule] {
					seen[f.Rule] = true
					got = append(got, f.Rule)
				}
			}
			if strings.Join(sortedCopy(got), ",") != strings.Join(sortedCopy(tc.want), ",") {
				t.Errorf("rules = %v, want %v\n%v", got, tc.want, fs)
			}
		})
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return c
}

func TestReadConfig(t *testing.T) {
	cfg, err := ReadConfig([]workspace.File{{Path: ".stackgen/generation-config.yaml", Content: []byte(`
naming: {pattern: "x"}
policy:
  rules:
    probes: {severity: error}
    pdb: {disabled: true}
  allKyverno: true
`)}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Rules["probes"].Severity != Error || !cfg.Rules["pdb"].Disabled || !cfg.AllKyverno {
		t.Errorf("config = %+v", cfg)
	}
}
