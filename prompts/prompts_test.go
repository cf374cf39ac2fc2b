package prompts

import (
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := "testdata/" + name
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n%s", name, got)
	}
}

func TestBuildGolden(t *testing.T) {
	ex, _ := Select("web api", "helm", Builtin(), 2000)
	p, err := Build(Input{
		Intent:            "Deploy a web API ghcr.io/acme/api:1.4.2 on port 8080 with 3 replicas",
		Format:            "helm",
		TargetPath:        "clusters/production/apps/api",
		Environment:       "production",
		KubernetesVersion: "1.35.4",
		Conventions:       "labels:\n  required: [team]",
		Policies:          []string{"no image uses the :latest tag"},
		Examples:          ex,
		Existing:          []string{"values.yaml"},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "system.golden", p.System)
	golden(t, "user.golden", p.User)

	r, err := Repair(RepairInput{Findings: []string{"templates/deployment.yaml: Deployment/api: /spec: missing selector (schema)"}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "repair.golden", r)
}

func TestParse(t *testing.T) {
	chart := `{"files":[{"path":"Chart.yaml","content":"apiVersion: v2\nname: x\n"},{"path":"templates/cm.yaml","content":"kind: ConfigMap"}]}`
	tests := []struct {
		name    string
		in      string
		want    []string // path=content
		wantErr error
	}{
		{name: "bare json", in: chart, want: []string{"Chart.yaml=apiVersion: v2\nname: x\n", "templates/cm.yaml=kind: ConfigMap\n"}},
		{name: "json fence", in: "Sure.\n\n```json\n" + chart + "\n```\nDone.", want: []string{"Chart.yaml=apiVersion: v2\nname: x\n", "templates/cm.yaml=kind: ConfigMap\n"}},
		{name: "unlabelled fence", in: "```\n" + chart + "\n```", want: []string{"Chart.yaml=apiVersion: v2\nname: x\n", "templates/cm.yaml=kind: ConfigMap\n"}},
		{name: "think", in: "<think>{\"files\": []}</think>" + chart, want: []string{"Chart.yaml=apiVersion: v2\nname: x\n", "templates/cm.yaml=kind: ConfigMap\n"}},
		{
			name: "fenced files",
			in:   "Here:\n\n### `Chart.yaml`\n```yaml\napiVersion: v2\n```\n\n**templates/svc.yaml**:\n\n```yaml\nkind: Service\n```\n\nFile: values.yaml\n~~~\nreplicas: 2\n~~~\n",
			want: []string{"Chart.yaml=apiVersion: v2\n", "templates/svc.yaml=kind: Service\n", "values.yaml=replicas: 2\n"},
		},
		{
			name: "fence holding a fence",
			in:   "README.md\n````markdown\n```sh\nhelm install\n```\n````\n",
			want: []string{"README.md=```sh\nhelm install\n```\n"},
		},
		{name: "escaping path kept for the caller to reject", in: "### ../../etc/passwd\n```\nroot\n```", want: []string{"../../etc/passwd=root\n"}},
		{name: "empty", in: "  \n", wantErr: ErrEmpty},
		{name: "prose", in: "I cannot help with that.", wantErr: ErrUnparseable},
		{name: "fences without names", in: "```yaml\nkind: Service\n```", wantErr: ErrUnparseable},
		{name: "empty list", in: `{"files": []}`, wantErr: ErrUnparseable},
		{name: "truncated json", in: `{"files": [{"path": "Chart.yaml", "content": "apiV`, wantErr: ErrUnparseable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := Parse(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range files {
				got = append(got, f.Path+"="+string(f.Content))
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add("```json\n{\"files\":[{\"path\":\"a\",\"content\":\"b\"}]}\n```")
	f.Add("### a.yaml\n```\nx\n```")
	f.Fuzz(func(t *testing.T, s string) {
		files, err := Parse(s)
		if err == nil && len(files) == 0 {
			t.Errorf("no error and no files for %q", s)
		}
	})
}

func TestSelect(t *testing.T) {
	examples := append(FromWorkspace([]workspace.File{
		{Path: ".stackgen/examples/redis/Chart.yaml", Content: []byte("apiVersion: v2\nname: redis\n")},
		{Path: ".stackgen/examples/redis/templates/statefulset.yaml", Content: []byte("kind: StatefulSet\n")},
		{Path: ".stackgen/examples/nightly-report.yaml", Content: []byte("kind: CronJob\nschedule: nightly\n")},
	}), Builtin()...)
	if len(examples) != 4 {
		t.Fatalf("got %d examples, want 2 from the workspace and 2 built in", len(examples))
	}

	chosen, tokens := Select("a redis cache with persistence", "helm", examples, 100000)
	if chosen[0].ID() != "workspace/redis" {
		t.Errorf("first = %s, want workspace/redis", chosen[0].ID())
	}
	sum := 0
	for _, e := range chosen {
		sum += e.Tokens
	}
	if sum != tokens {
		t.Errorf("tokens = %d, want the sum %d", tokens, sum)
	}

	chosen, _ = Select("run a nightly report job", "helm", examples, 100000)
	if chosen[0].Name != "cronjob" && chosen[0].Name != "nightly-report.yaml" {
		t.Errorf("first = %s, want a cron job example", chosen[0].ID())
	}

	chosen, tokens = Select("web api", "helm", examples, 30)
	if tokens > 30 {
		t.Errorf("used %d tokens, budget 30", tokens)
	}
	for _, e := range chosen {
		if e.Tokens > 30 {
			t.Errorf("chose %s of %d tokens over budget", e.ID(), e.Tokens)
		}
	}
}
