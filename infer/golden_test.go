package infer

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/workspace"
)

var update = flag.Bool("update", false, "rewrite the golden proposals in testdata/golden")

// Layouts are the public repositories (or, for the seed layout, this
// repository's example) the golden proposals are made from; each
// fixture's SOURCE names its origin and commit.
var Layouts = []struct{ Name, Dir string }{
	{"flux2-kustomize-helm-example", "../validators/testdata/trees/flux2-kustomize-helm-example"},
	{"flux2-multi-tenancy", "testdata/layouts/flux2-multi-tenancy"},
	{"seed", "../examples/gitops"},
	{"prometheus-community-helm-charts", "testdata/layouts/prometheus-community-helm-charts"},
	{"argocd-app-of-apps", "testdata/layouts/argocd-app-of-apps"},
}

// withoutConfig reads a fixture as a repository without a generation
// config (the seed layout ships one: init is to find it again).
func withoutConfig(t testing.TB, dir string) []workspace.File {
	var out []workspace.File
	for _, f := range readTree(t, dir) {
		if !strings.HasPrefix(f.Path, ".stackgen/") {
			out = append(out, f)
		}
	}
	return out
}

// TestGoldenProposals: the proposal for each layout, evidence comments
// included, is the golden one (go test ./infer -run Golden -update
// rewrites them), and it parses as a generation config.
func TestGoldenProposals(t *testing.T) {
	for _, l := range Layouts {
		t.Run(l.Name, func(t *testing.T) {
			got := Infer(withoutConfig(t, l.Dir)).YAML()
			if _, err := genconfig.Parse(genconfig.Path, got); err != nil {
				t.Fatalf("the proposal does not parse: %v\n%s", err, got)
			}
			golden := filepath.Join("testdata", "golden", l.Name+".yaml")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("proposal for %s differs from %s:\n%s", l.Name, golden, got)
			}
		})
	}
}

// The seed layout's proposal finds again what its own config says of
// names, labels, annotations and namespace.
func TestSeedProposalMatchesItsConfig(t *testing.T) {
	own, err := genconfig.Load("../examples/gitops/.stackgen/generation-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := Infer(withoutConfig(t, "../examples/gitops")).Config
	vars := genconfig.Vars{Env: "production", App: "web", Team: own.Team}
	if a, b := own.Expand(own.Naming.Pattern, vars), got.Expand(got.Naming.Pattern, vars); a != b {
		t.Errorf("naming: own %q, proposed %q", a, b)
	}
	if a, b := own.Expand(own.Namespace.Pattern, vars), got.Expand(got.Namespace.Pattern, vars); a != b {
		t.Errorf("namespace: own %q, proposed %q", a, b)
	}
	for k, v := range own.Labels {
		if got.Expand(got.Labels[k], vars) != own.Expand(v, vars) {
			t.Errorf("label %s: own %q, proposed %q", k, v, got.Labels[k])
		}
	}
	for k, v := range own.Annotations {
		if got.Annotations[k] != v {
			t.Errorf("annotation %s: own %q, proposed %q", k, v, got.Annotations[k])
		}
	}
}

// BenchmarkInfer measures one inference of each layout (what aiden init
// and a config-less generation pay once per repository state).
func BenchmarkInfer(b *testing.B) {
	for _, l := range Layouts {
		b.Run(l.Name, func(b *testing.B) {
			files := withoutConfig(b, l.Dir)
			b.ReportAllocs()
			for b.Loop() {
				Infer(files)
			}
		})
	}
}
