package generator_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/record"
	"github.com/stackgen/aiden/workspace"
)

const (
	guardTarget = "apps/svc"
	webIntent   = "web API image ghcr.io/acme/api:1.4.2 on port 8080 exposed at api.acme.io"
	workIntent  = "worker image ghcr.io/acme/w:1.0.0"
)

// applied is the workspace after res is applied to ws.
func applied(ws []workspace.File, res *generator.Result) []workspace.File {
	out := map[string][]byte{}
	for _, f := range ws {
		out[f.Path] = f.Content
	}
	for _, f := range res.Files {
		out[f.Path] = f.Content
	}
	for _, d := range res.Deleted {
		delete(out, d)
	}
	var files []workspace.File
	for p, c := range out {
		files = append(files, workspace.File{Path: p, Content: c})
	}
	slices.SortFunc(files, func(a, b workspace.File) int { return strings.Compare(a.Path, b.Path) })
	return files
}

func with(ws []workspace.File, p, content string) []workspace.File {
	out := slices.Clone(ws)
	for i, f := range out {
		if f.Path == p {
			out[i].Content = []byte(content)
			return out
		}
	}
	return append(out, workspace.File{Path: p, Content: []byte(content)})
}

// TestGuardRecordsWhatItWrote: a creation writes the record of exactly the
// files it wrote in the app folder, with the intent and the author.
func TestGuardRecordsWhatItWrote(t *testing.T) {
	res, err := generator.New(generator.Options{}).Generate(context.Background(), generator.Request{Intent: webIntent, TargetPath: guardTarget, SkipValidation: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != generator.ModeCreate {
		t.Errorf("mode = %s, want create", res.Mode)
	}
	rec, err := record.Read(guardTarget, res.Files)
	if err != nil || rec == nil {
		t.Fatalf("record = %v, %v", rec, err)
	}
	if rec.Intent != webIntent || rec.Author != "planner" {
		t.Errorf("record intent %q author %q, want %q planner", rec.Intent, rec.Author, webIntent)
	}
	var want []string
	for _, f := range res.Files {
		if f.Path == guardTarget+"/"+record.Path {
			continue
		}
		want = append(want, strings.TrimPrefix(f.Path, guardTarget+"/"))
		if rec.State(strings.TrimPrefix(f.Path, guardTarget+"/"), f.Content) != record.Unchanged {
			t.Errorf("%s: the record's digest is not the file's", f.Path)
		}
	}
	slices.Sort(want)
	if got := rec.Paths(); !slices.Equal(got, want) {
		t.Errorf("record lists %v, want %v", got, want)
	}
	if !strings.Contains(string(res.Patch), "+++ b/"+guardTarget+"/"+record.Path) {
		t.Errorf("the patch does not add the record")
	}
}

// TestGuardReplaceChart replaces a web service chart by a worker chart over
// a hand-changed Ingress template and a template aiden never wrote.
func TestGuardReplaceChart(t *testing.T) {
	e := generator.New(generator.Options{})
	ctx := context.Background()
	first, err := e.Generate(ctx, generator.Request{Intent: webIntent, TargetPath: guardTarget, SkipValidation: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws := applied(nil, first)
	// Broken on purpose: if it is rendered with the chart, the checks say so.
	mine := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mine\ndata:\n  count: 3\n"
	ws = with(ws, guardTarget+"/templates/mine.yaml", mine)

	t.Run("create refuses a folder aiden wrote", func(t *testing.T) {
		_, err := e.Generate(ctx, generator.Request{Intent: workIntent, TargetPath: guardTarget, Workspace: ws, Mode: generator.ModeCreate}, nil)
		if !errors.Is(err, generator.ErrInvalidInput) || !strings.Contains(err.Error(), "already holds") {
			t.Errorf("err = %v, want invalid input saying the folder holds an app", err)
		}
	})

	t.Run("replace deletes the stale templates aiden wrote, keeps the rest", func(t *testing.T) {
		res, err := e.Generate(ctx, generator.Request{Intent: workIntent, TargetPath: guardTarget, Workspace: ws, Mode: generator.ModeReplace}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, gone := range []string{"templates/ingress.yaml", "templates/service.yaml"} {
			if !slices.Contains(res.Deleted, guardTarget+"/"+gone) {
				t.Errorf("deleted = %v, want %s", res.Deleted, gone)
			}
		}
		if slices.Contains(res.Deleted, guardTarget+"/templates/mine.yaml") {
			t.Errorf("mine.yaml, which aiden never wrote, is deleted")
		}
		want := generator.LeftAlone{Path: guardTarget + "/templates/mine.yaml", Reason: "not written by aiden; it stays in the chart and renders with it"}
		if !slices.Contains(res.LeftAlone, want) {
			t.Errorf("left alone = %v, want %v", res.LeftAlone, want)
		}
		rendered := false
		for _, f := range res.Report.Findings {
			rendered = rendered || f.File == guardTarget+"/templates/mine.yaml"
		}
		if !rendered {
			t.Errorf("mine.yaml was not checked with the chart: %v", res.Report.Findings)
		}
		rec, err := record.Read(guardTarget, res.Files)
		if err != nil || rec == nil || rec.Has("templates/ingress.yaml") || rec.Has("templates/mine.yaml") || rec.Intent != workIntent {
			t.Errorf("record = %+v, %v; want the worker's files only", rec, err)
		}
	})

	hand := with(ws, guardTarget+"/templates/ingress.yaml", file(ws, guardTarget+"/templates/ingress.yaml")+"# kept for the old host\n")
	t.Run("replace refuses to delete a template changed by hand", func(t *testing.T) {
		_, err := e.Generate(ctx, generator.Request{Intent: workIntent, TargetPath: guardTarget, Workspace: hand, Mode: generator.ModeReplace, SkipValidation: true}, nil)
		if !errors.Is(err, generator.ErrInvalidInput) || !strings.Contains(err.Error(), "changed by hand since aiden wrote them") ||
			!strings.Contains(err.Error(), "templates/ingress.yaml") || strings.Contains(err.Error(), "mine.yaml") {
			t.Errorf("err = %v, want invalid input naming templates/ingress.yaml only", err)
		}
	})
	t.Run("replace with force deletes it", func(t *testing.T) {
		res, err := e.Generate(ctx, generator.Request{Intent: workIntent, TargetPath: guardTarget, Workspace: hand, Mode: generator.ModeReplace, Force: true, SkipValidation: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(res.Deleted, guardTarget+"/templates/ingress.yaml") || slices.Contains(res.Deleted, guardTarget+"/templates/mine.yaml") {
			t.Errorf("deleted = %v, want ingress.yaml and not mine.yaml", res.Deleted)
		}
	})
}

// TestGuardBadRecord: a record that cannot be read is refused by name,
// rather than taken as no record (which would let aiden treat its own
// files as foreign) or as every file (which would let it overwrite).
func TestGuardBadRecord(t *testing.T) {
	ws := []workspace.File{{Path: guardTarget + "/" + record.Path, Content: []byte("version: 7\n")}}
	_, err := generator.New(generator.Options{}).Generate(context.Background(), generator.Request{Intent: webIntent, TargetPath: guardTarget, Workspace: ws, Mode: generator.ModeReplace}, nil)
	if !errors.Is(err, generator.ErrInvalidInput) || !strings.Contains(err.Error(), guardTarget+"/.aiden/record.yaml") {
		t.Errorf("err = %v, want invalid input naming the record", err)
	}
}

// TestGuardModelReplace: a model's answer goes through the same guard: a
// replacement over a chart written by hand keeps the hand-written
// values.yaml (checked with the model's templates), writes the new files,
// and records the model as the author.
func TestGuardModelReplace(t *testing.T) {
	srv := providertest.OpenAI(t, providertest.Step{Text: answer(t, "good")})
	req := request()
	values := providertest.Files(t, "testdata/model/charts/good")["values.yaml"] + "# tuned by hand\n"
	req.Workspace = []workspace.File{{Path: target + "/values.yaml", Content: []byte(values)}}
	req.Mode = generator.ModeReplace
	res, err := modelEngine(srv, nil).Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if file(res.Files, target+"/values.yaml") != "" || !slices.ContainsFunc(res.Files, func(f workspace.File) bool { return f.Path == target+"/Chart.yaml" }) {
		t.Errorf("files = %v, want the model's files but values.yaml", res.Files)
	}
	want := generator.LeftAlone{Path: target + "/values.yaml", Reason: "not written by aiden, so the generated version of it was not written"}
	if !slices.Contains(res.LeftAlone, want) {
		t.Errorf("left alone = %v, want %v", res.LeftAlone, want)
	}
	if !res.Valid() {
		t.Errorf("the model's chart with the hand-written values.yaml is not valid: %v", res.Report.Findings)
	}
	rec, err := record.Read(target, res.Files)
	if err != nil || rec == nil || rec.Has("values.yaml") || !strings.HasPrefix(rec.Author, "model ") {
		t.Errorf("record = %+v, %v; want the model as author and no values.yaml", rec, err)
	}
}
