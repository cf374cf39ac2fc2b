package helmchart

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stackgen/aiden/validators/manifest"
)

// TestLintObjectsMatchDecoder holds the objects lint's template rules read
// from the shared decode (lintObjects) to those helm lint's decoder reads
// (decodeObjects), with the same error, over every YAML file of the
// repository and ../shared/corpora and files on the splitters' seams.
func TestLintObjectsMatchDecoder(t *testing.T) {
	texts := map[string]string{
		"leading separator, bad":  "---\nkind: A\n  bad: [\n",
		"second document bad":     "kind: A\nmetadata:\n  name: a\n---\nkind: B\nx: [\n",
		"separator text":          "kind: A\n--- foo\nkind: B\n",
		"number name":             "apiVersion: v1\nkind: Service\nmetadata:\n  name: 123\n",
		"upper-case key":          "apiVersion: v1\nKind: Service\nmetadata:\n  name: a\n",
		"scalar document":         "kind: A\n---\ntext\n",
		"json":                    `{"kind": "A", "metadata": {"name": "a"}}`,
		"block scalar at the end": "kind: A\nmetadata:\n  name: |\n    a",
		"null fields":             "apiVersion: ~\nkind: A\nmetadata: ~\n",
		"empty":                   "---\n---\n",
	}
	for _, dir := range []string{filepath.Join("..", ".."), filepath.Join("..", "..", "..", "shared", "corpora")} {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !d.Type().IsRegular() {
				return nil
			}
			if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" {
				return nil
			}
			if b, err := os.ReadFile(p); err == nil {
				texts[p] = string(b)
			}
			return nil
		})
	}
	if len(texts) < 500 {
		t.Fatalf("only %d files", len(texts))
	}
	objects, errs := 0, 0
	for name, text := range texts {
		if strings.TrimSpace(text) == "" {
			continue
		}
		want, wantErr := decodeObjects(text)
		got, err := lintObjects(manifest.NewFile(name, []byte(text)), text)
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Errorf("%s: error %v, the decoder's %v", name, err, wantErr)
		}
		if !reflect.DeepEqual(got, want) && (len(got) > 0 || len(want) > 0) {
			t.Errorf("%s: objects %v, the decoder's %v", name, got, want)
		}
		objects += len(want)
		if wantErr != nil {
			errs++
		}
	}
	t.Logf("%d files, %d objects, %d unreadable", len(texts), objects, errs)
}
