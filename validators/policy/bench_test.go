package policy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// benchManifests returns n Deployments, alternately compliant and not,
// one per file, as docs/benchmarks.md "Policy evaluation" uses them.
func benchManifests(n int) []workspace.File {
	out := make([]workspace.File, n)
	for i := range out {
		image, replicas := "nginx:1.27", "1"
		if i%2 == 1 {
			image, replicas = "nginx:latest", "3"
		}
		m := strings.Replace(deployment(replicas, image, "", ""), "name: web\n", fmt.Sprintf("name: web-%d\n", i), 1)
		out[i] = workspace.File{Path: fmt.Sprintf("m%04d.yaml", i), Content: []byte(m)}
	}
	return out
}

func kyvernoPackFiles(tb testing.TB) []workspace.File {
	root := corpus(tb, "kyverno-policies")
	var out []workspace.File
	for _, level := range []string{"baseline", "restricted"} {
		dirs, _ := filepath.Glob(filepath.Join(root, "pod-security", level, "*"))
		for _, d := range dirs {
			name := filepath.Base(d)
			b, err := os.ReadFile(filepath.Join(d, name+".yaml"))
			if err != nil {
				continue
			}
			out = append(out, workspace.File{Path: "policies/" + name + ".yaml", Content: b})
		}
	}
	return out
}

func benchEngine(b *testing.B, ws []workspace.File, all bool) {
	ctx := context.Background()
	eng, err := New(ctx, ws, Options{AllKyverno: all})
	if err != nil {
		b.Fatal(err)
	}
	objs := benchManifests(1000)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := eng.Check(ctx, objs, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuiltin1000 runs the built-in pack on 1,000 Deployments.
func BenchmarkBuiltin1000(b *testing.B) { benchEngine(b, nil, false) }

// BenchmarkKyverno1000 runs the built-in pack and Kyverno's 17 Pod
// Security policies (baseline and restricted) on 1,000 Deployments.
func BenchmarkKyverno1000(b *testing.B) { benchEngine(b, kyvernoPackFiles(b), true) }

// BenchmarkRego1000 runs the built-in pack and conftest's
// examples/kubernetes policies on 1,000 Deployments.
func BenchmarkRego1000(b *testing.B) {
	ws := readFilesB(b, filepath.Join(corpus(b, "conftest-examples"), "examples", "kubernetes", "policy"))
	benchEngine(b, ws, false)
}

func readFilesB(b *testing.B, dir string) []workspace.File {
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var out []workspace.File
	for _, e := range entries {
		c, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, workspace.File{Path: "policies/" + e.Name(), Content: c})
	}
	return out
}

// TestWriteBenchInputs writes the benchmark's manifests to
// $AIDEN_BENCH_DIR, so that the kyverno and conftest CLIs can be timed on
// the same inputs.
func TestWriteBenchInputs(t *testing.T) {
	dir := os.Getenv("AIDEN_BENCH_DIR")
	if dir == "" {
		t.Skip("AIDEN_BENCH_DIR not set")
	}
	for _, f := range benchManifests(1000) {
		if err := os.WriteFile(filepath.Join(dir, f.Path), f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkRegoOnly1000 evaluates only conftest's examples/kubernetes Rego
// on 1,000 decoded Deployments: the work `conftest test` does.
func BenchmarkRegoOnly1000(b *testing.B) {
	ctx := context.Background()
	ws := readFilesB(b, filepath.Join(corpus(b, "conftest-examples"), "examples", "kubernetes", "policy"))
	r, err := LoadRego(ctx, ws, nil)
	if err != nil {
		b.Fatal(err)
	}
	var objs []Object
	for _, f := range benchManifests(1000) {
		o, err := DecodeObjects(f.Path, f.Content)
		if err != nil {
			b.Fatal(err)
		}
		objs = append(objs, o...)
	}
	b.ResetTimer()
	for b.Loop() {
		for _, o := range objs {
			if _, err := r.Eval(ctx, o.Content); err != nil {
				b.Fatal(err)
			}
		}
	}
}
