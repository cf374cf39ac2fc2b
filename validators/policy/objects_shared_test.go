package policy

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stackgen/aiden/validators/manifest"
	"github.com/stackgen/aiden/workspace"
)

// yamlFiles reads the YAML files below dir, by path relative to dir.
func yamlFiles(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSharedDecodeMatchesSplit holds the objects the shared decode gives
// (decodeFile) to those of the policy engine's own splitter and decode
// (decodeSplit) over the Kyverno CLI tests, the Kyverno policy library and
// the kubeconform fixtures: the same objects, lines and errors.
func TestSharedDecodeMatchesSplit(t *testing.T) {
	files := yamlFiles(t, "testdata")
	for _, c := range []string{"kyverno-policies", "kubeconform-fixtures"} {
		for p, b := range yamlFiles(t, corpus(t, c)) {
			files[c+"/"+p] = b
		}
	}
	for name, text := range map[string]string{
		"leading":   "---\nkind: A\n---\n# c\n---\nkind: B\n",
		"separator": "kind: A\n--- foo\nkind: B\n",
		"comment":   "kind: A\n--- # c\nkind: B\n",
		"list":      "apiVersion: v1\nkind: List\nitems:\n- kind: A\n- kind: B\n---\nkind: C\n",
		"scalar":    "kind: A\n---\ntext\n",
		"crlf":      "kind: A\r\n---\r\nkind: B\r\n",
		"bad":       "kind: A\n---\nkind: [B\n",
		"tab":       "kind: A\n---\n\t\n---\nkind: B\n",
		"nbsp":      "kind: A\n---\n\u00a0\n---\nkind: B\n",
		"formfeed":  "kind: A\n---\n\f\n---\nkind: B\n",
	} {
		files["edge/"+name] = []byte(text)
	}
	objects, plain := 0, 0
	for p, b := range files {
		want, wantErr := decodeSplit(p, b)
		got, err := decodeFile(manifest.NewFile(p, b))
		if manifest.Plain(b) {
			plain++
		}
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Errorf("%s: error %v, the splitter's %v", p, err, wantErr)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: objects differ:\n%#v\n%#v", p, got, want)
		}
		objects += len(got)
	}
	t.Logf("%d files (%d plain), %d objects compared", len(files), plain, objects)
	if objects < 1000 {
		t.Errorf("only %d objects compared", objects)
	}
}

// TestCheckLeavesSharedDecodeAlone runs the Kyverno policy library's
// policies over its test resources, every object placed in a namespace,
// reading a shared decode, and checks that the decode still holds what
// the files say: other checks read the same values.
func TestCheckLeavesSharedDecodeAlone(t *testing.T) {
	dir := corpus(t, "kyverno-policies")
	var ws, objects []workspace.File
	namespaces := map[string]string{}
	for p, b := range yamlFiles(t, dir) {
		if strings.Contains(filepath.Base(p), "resource") {
			objects = append(objects, workspace.File{Path: p, Content: b})
			namespaces[p] = "team"
			continue
		}
		ws = append(ws, workspace.File{Path: "policies/" + p, Content: b})
	}
	ctx := context.Background()
	eng, err := New(ctx, ws, Options{AllKyverno: true, Namespaces: namespaces})
	if err != nil {
		t.Fatal(err)
	}
	set := manifest.NewSet()
	shared, _, err := eng.CheckDecoded(ctx, set, objects, nil)
	if err != nil {
		t.Fatal(err)
	}
	own, sum, err := eng.Check(ctx, objects, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(shared, own) {
		t.Errorf("findings differ reading the shared decode")
	}
	if sum.Objects < 100 || sum.KyvernoPolicies < 10 || len(own) == 0 {
		t.Fatalf("too little checked: %+v, %d findings", sum, len(own))
	}
	for _, f := range objects {
		got, _ := set.File(f.Path, f.Content).Docs()
		want, _ := manifest.NewFile(f.Path, f.Content).Docs()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the policy check changed the shared decode", f.Path)
		}
	}
	t.Logf("%d objects, %d Kyverno policies, %d findings", sum.Objects, sum.KyvernoPolicies, len(own))
}
