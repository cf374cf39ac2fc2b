package record

import (
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

func TestMarshalParseRoundTrip(t *testing.T) {
	r := New(`Deploy a worker: "ghcr.io/acme/worker:1.0"`, "model gpt-4o")
	r.Files["values.yaml"] = Digest([]byte("replicaCount: 3\n"))
	r.Files["Chart.yaml"] = Digest([]byte("name: worker\n"))
	r.Files["templates/deployment.yaml"] = Digest(nil)

	data := r.Marshal()
	got, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(Marshal()) = %v\n%s", err, data)
	}
	if got.Intent != r.Intent || got.Author != r.Author || got.Aiden != r.Aiden || got.Version != Version {
		t.Errorf("round trip = %+v, want %+v", got, r)
	}
	if len(got.Files) != 3 || got.Files["values.yaml"] != r.Files["values.yaml"] {
		t.Errorf("files = %v, want %v", got.Files, r.Files)
	}
	// Sorted by path, one line per file, no timestamps: diff-friendly.
	text := string(data)
	chart, tmpl, values := strings.Index(text, "  Chart.yaml:"), strings.Index(text, "  templates/deployment.yaml:"), strings.Index(text, "  values.yaml:")
	if chart < 0 || tmpl < chart || values < tmpl {
		t.Errorf("files are not one sorted line each:\n%s", text)
	}
	if again := New(r.Intent, r.Author); string(func() []byte { again.Files = r.Files; return again.Marshal() }()) != text {
		t.Errorf("Marshal is not stable")
	}
}

func TestState(t *testing.T) {
	r := New("x", "planner")
	r.Files["values.yaml"] = Digest([]byte("a: 1\n"))
	tests := []struct {
		name    string
		rec     *Record
		path    string
		content string
		want    State
	}{
		{"unchanged", r, "values.yaml", "a: 1\n", Unchanged},
		{"changed by hand", r, "values.yaml", "a: 5 # mine\n", Changed},
		{"never written", r, "templates/my-cm.yaml", "a: 1\n", Unknown},
		{"no record", nil, "values.yaml", "a: 1\n", Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rec.State(tt.path, []byte(tt.content)); got != tt.want {
				t.Errorf("State(%s) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

func TestParseRefusesBadRecords(t *testing.T) {
	good := Digest([]byte("x"))
	tests := []struct {
		name, text, want string
	}{
		{"future version", "version: 2\nfiles: {}\n", "version 2 is not supported"},
		{"unknown field", "version: 1\nwhen: today\n", "field when not found"},
		{"path escapes", "version: 1\nfiles:\n  ../x.yaml: " + good + "\n", `file "../x.yaml" is not a clean path`},
		{"absolute path", "version: 1\nfiles:\n  /etc/x: " + good + "\n", `file "/etc/x" is not a clean path`},
		{"unclean path", "version: 1\nfiles:\n  a//b.yaml: " + good + "\n", `file "a//b.yaml" is not a clean path`},
		{"bad digest", "version: 1\nfiles:\n  a.yaml: md5:abc\n", `digest "md5:abc" is not sha256`},
		{"short digest", "version: 1\nfiles:\n  a.yaml: sha256:abc\n", `digest "sha256:abc" is not sha256`},
		{"not yaml", "version: [\n", "parse record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestRead(t *testing.T) {
	r := New("x", "planner")
	r.Files["values.yaml"] = Digest([]byte("a: 1\n"))
	ws := []workspace.File{
		{Path: "apps/other/" + Path, Content: []byte("version: 9\n")},
		{Path: "apps/api/" + Path, Content: r.Marshal()},
	}
	got, err := Read("apps/api", ws)
	if err != nil || got == nil || !got.Has("values.yaml") {
		t.Fatalf("Read(apps/api) = %+v, %v; want the record", got, err)
	}
	if got, err := Read("apps/none", ws); got != nil || err != nil {
		t.Errorf("Read(apps/none) = %+v, %v; want nil, nil", got, err)
	}
	if _, err := Read("apps/other", ws); err == nil || !strings.Contains(err.Error(), "apps/other/.aiden/record.yaml") {
		t.Errorf("Read(apps/other) = %v, want an error naming the file", err)
	}
}
