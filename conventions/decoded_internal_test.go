package conventions

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/validators/manifest"
	"github.com/stackgen/aiden/workspace"
)

// manifestCorpus reads the YAML files of the repository's test data and
// of ../shared/corpora (relative to the module root).
func manifestCorpus(t *testing.T) []workspace.File {
	t.Helper()
	var out []workspace.File
	walk := func(dir string) {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == ".git" || d.Name() == "node_modules" {
					return filepath.SkipDir
				}
				return nil
			}
			if ext := filepath.Ext(p); (ext != ".yaml" && ext != ".yml") || !d.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out = append(out, workspace.File{Path: filepath.ToSlash(p), Content: b})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	walk("..")
	if fi, err := os.Stat(filepath.Join("..", "..", "shared", "corpora")); err == nil && fi.IsDir() {
		walk(filepath.Join("..", "..", "shared", "corpora"))
	} else {
		t.Log("../shared/corpora not found: the repository's files only")
	}
	return out
}

// TestCheckDecodedMatchesCheck holds the check of a render that passes
// over clean files by their shared decode (checkDecoded) to the check that
// parses every file (checkCount), file by file, over every YAML file of
// the repository and the corpora and under configs from lenient to
// strict: the same findings, in order, and the same failure to parse.
func TestCheckDecodedMatchesCheck(t *testing.T) {
	files := manifestCorpus(t)
	if len(files) < 500 {
		t.Fatalf("only %d files", len(files))
	}
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "
	for name, text := range map[string]string{
		// YAML breaks lines at LS: two documents, the second's name too long.
		"line separator": cm + "a\n\u2028---\u2028" + cm + "waytoolongname-x\n",
		// yaml.v2 reads the flow mapping and ignores the rest; a node tree refuses it.
		"flow then text":   "{apiVersion: v1, kind: ConfigMap, metadata: {name: ok}}\nfoo: bar\n",
		"quoted then text": "\"\"00\n",
		"later bom":        cm + "a\n---\n\ufeff" + cm + "b\n",
	} {
		files = append(files, workspace.File{Path: "edge/" + name + ".yaml", Content: []byte(text)})
	}
	vars := genconfig.Vars{Env: "prod", App: "nginx", Team: "payments"}
	configs := map[string]string{
		"defaults":    "naming:\n  maxLength: 63\n",
		"short names": "naming:\n  maxLength: 12\n",
		"pattern":     "naming:\n  pattern: \"{app}\"\n",
		"namespace":   "namespace: default\n",
		"app label":   "labels:\n  app: nginx\n",
		"strict":      "naming:\n  pattern: \"{env}-{app}\"\n  maxLength: 25\nlabels:\n  app.kubernetes.io/name: \"{app}\"\n  team: payments\nannotations:\n  owner: a@b.c\nnamespace: \"{team}\"\nteam: payments\n",
		"number key":  "labels:\n  \"1\": \"x\"\n",
	}
	for name, text := range configs {
		cfg, err := genconfig.Parse("c.yaml", []byte(text))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		skipped, findings := 0, 0
		for _, f := range files {
			want, wantN, wantErr := checkCount(cfg, vars, []workspace.File{f})
			set := manifest.NewSet()
			e := newEngine(cfg, vars, false)
			parsed, n, err := checkDecoded(e, []workspace.File{f}, set)
			if (err == nil) != (wantErr == nil) {
				t.Errorf("%s: %s: error %v, check's %v", name, f.Path, err, wantErr)
				continue
			}
			if err != nil {
				continue
			}
			if n != wantN {
				t.Errorf("%s: %s: %d objects, check counts %d", name, f.Path, n, wantN)
			}
			e.run(parsed)
			if len(parsed) == 0 {
				skipped++
			}
			if !reflect.DeepEqual(e.findings, want) {
				t.Errorf("%s: %s: findings differ:\n%v\n%v", name, f.Path, e.findings, want)
			}
			findings += len(want)
		}
		t.Logf("%s: %d files, %d passed over by their decode, %d findings", name, len(files), skipped, findings)
		if skipped == 0 && !strings.Contains(name, "strict") && name != "number key" {
			t.Errorf("%s: no file passed over: the decode is not read", name)
		}
	}
}
