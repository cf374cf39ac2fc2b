package generator

import (
	"slices"
	"testing"

	"github.com/stackgen/aiden/record"
	"github.com/stackgen/aiden/workspace"
)

// TestGuardChangeRecord: a change edits files, whoever wrote them, and the
// record follows what aiden wrote: a file it wrote and nobody changed gets
// its new digest, a file changed by hand keeps its old one (so it still
// reads as changed by hand), a file it never wrote stays out, a file the
// change creates comes in, and a file it deletes goes.
func TestGuardChangeRecord(t *testing.T) {
	const app = "apps/api"
	old := record.New("web API image ghcr.io/acme/api:1.4.2", "planner")
	have := map[string]string{
		"values.yaml":           "image: api:1.4.2\n",
		"templates/deploy.yaml": "kind: Deployment\n",
		"templates/hpa.yaml":    "kind: HorizontalPodAutoscaler\n",
		"NOTES.md":              "mine\n",
	}
	for p, c := range have {
		if p != "NOTES.md" {
			old.Files[p] = record.Digest([]byte(c))
		}
	}
	handDigest := old.Files["templates/deploy.yaml"]
	have["templates/deploy.yaml"] = "kind: Deployment # by hand\n" // changed since
	ws := []workspace.File{{Path: app + "/" + record.Path, Content: old.Marshal()}}
	for p, c := range have {
		ws = append(ws, workspace.File{Path: app + "/" + p, Content: []byte(c)})
	}

	req := Request{Intent: "bump the api image to 1.5.0", Workspace: ws}
	g, err := newGuard(req, ModeChange, app)
	if err != nil {
		t.Fatal(err)
	}
	res := &Result{Provenance: Provenance{Generator: "model", Model: "gpt-test"}, Files: []workspace.File{
		{Path: app + "/values.yaml", Content: []byte("image: api:1.5.0\n")},
		{Path: app + "/templates/deploy.yaml", Content: []byte("kind: Deployment # by hand\nspec: {}\n")},
		{Path: app + "/NOTES.md", Content: []byte("mine, edited\n")},
		{Path: app + "/templates/pdb.yaml", Content: []byte("kind: PodDisruptionBudget\n")},
	}, Deleted: []string{app + "/templates/hpa.yaml"}}
	if err := g.finish(res); err != nil {
		t.Fatalf("finish: %v", err)
	}
	if len(res.LeftAlone) != 0 {
		t.Errorf("left alone = %v, want none for a change", res.LeftAlone)
	}
	if !slices.Equal(res.Deleted, []string{app + "/templates/hpa.yaml"}) {
		t.Errorf("deleted = %v", res.Deleted)
	}
	rec, err := record.Read(app, res.Files)
	if err != nil || rec == nil {
		t.Fatalf("record = %v, %v", rec, err)
	}
	want := map[string]string{
		"values.yaml":           record.Digest([]byte("image: api:1.5.0\n")),
		"templates/deploy.yaml": handDigest,
		"templates/pdb.yaml":    record.Digest([]byte("kind: PodDisruptionBudget\n")),
	}
	if len(rec.Files) != len(want) {
		t.Errorf("record lists %v, want %v", rec.Paths(), want)
	}
	for p, d := range want {
		if rec.Files[p] != d {
			t.Errorf("record %s = %s, want %s", p, rec.Files[p], d)
		}
	}
	if rec.Intent != req.Intent || rec.Author != "model gpt-test" {
		t.Errorf("record intent %q author %q", rec.Intent, rec.Author)
	}
}

// TestGuardChangeWithoutRecord: a change to an app written by hand that
// creates nothing writes no record.
func TestGuardChangeWithoutRecord(t *testing.T) {
	ws := []workspace.File{{Path: "apps/api/values.yaml", Content: []byte("a: 1\n")}}
	g, err := newGuard(Request{Intent: "x", Workspace: ws}, ModeChange, "apps/api")
	if err != nil {
		t.Fatal(err)
	}
	res := &Result{Files: []workspace.File{{Path: "apps/api/values.yaml", Content: []byte("a: 2\n")}}}
	if err := g.finish(res); err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 {
		t.Errorf("files = %v, want the edit and no record", res.Files)
	}
}
