package yamlpos

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

const stream = `# comment
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
data:
  key: value
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx
        - name: "side/car"
          ports:
            - containerPort: 80
`

func TestLocateIn(t *testing.T) {
	for _, tc := range []struct {
		line             int
		pointer, message string
		want             Position
	}{
		{2, "/data/key", "", Position{7, 3}},
		{9, "/spec/template/spec/containers/1/ports/0/containerPort", "", Position{21, 15}},
		{9, "/spec/template/spec/containers/1", "", Position{19, 11}},
		// Past what the document holds: the deepest node there is.
		{9, "/spec/template/spec/containers/0/resources/limits", "", Position{17, 11}},
		// The property an error names, below the node it points at.
		{15, "/spec/template/spec/containers/0", "additional properties 'image' not allowed", Position{18, 11}},
		// The object itself: its first key.
		{12, "", "missing property 'selector'", Position{9, 1}},
		// Above the first document: the first document.
		{1, "/metadata/name", "", Position{5, 3}},
	} {
		got, ok := LocateIn([]byte(stream), tc.line, tc.pointer, tc.message)
		if !ok || got != tc.want {
			t.Errorf("LocateIn(line %d, %q, %q) = %+v, %v; want %+v", tc.line, tc.pointer, tc.message, got, ok, tc.want)
		}
	}
	if _, ok := LocateIn([]byte("a: [\n"), 1, "/a", ""); ok {
		t.Error("LocateIn of unparsable YAML: got ok")
	}
}

// A document's comments above its content are its own: an object's
// first line (the one after "---", as the manifest split gives it) finds
// that object, not the one before.
func TestLocateInDocumentWithLeadingComments(t *testing.T) {
	content := []byte("a: 1\n---\n# Source: chart/templates/b.yaml\n\nkind: X\nb: 2\n--- # c\n# d\nkind: Y\nc: 3\n")
	for _, tc := range []struct {
		line    int
		pointer string
		want    int
	}{{1, "/a", 1}, {3, "/b", 6}, {4, "/b", 6}, {5, "/b", 6}, {8, "/c", 10}, {7, "/kind", 9}} {
		got, ok := LocateIn(content, tc.line, tc.pointer, "")
		if !ok || got.Line != tc.want {
			t.Errorf("LocateIn(line %d, %q) = line %d, %v; want %d", tc.line, tc.pointer, got.Line, ok, tc.want)
		}
	}
	if docs := Documents([]byte("--- {a: 1}\n--- {b: 2}\n")); len(docs) != 2 || docs[1].Start != 2 || DocumentAt(docs, 2) != 1 {
		t.Errorf("documents on their separators' lines: %+v", docs)
	}
}

func TestPointerSegments(t *testing.T) {
	got := PointerSegments("/metadata/annotations/a~1b~0c", "additional properties 'x', 'y' not allowed")
	want := []string{"metadata", "annotations", "a/b~c", "x"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("segment %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

// TestNode places a name at its value, a mapping at its key, a missing
// field at the deepest node written, and a node added after parsing (no
// line) at its parent.
func TestNode(t *testing.T) {
	docs := Documents([]byte(stream))
	if len(docs) != 2 {
		t.Fatalf("got %d documents, want 2", len(docs))
	}
	dep := docs[1].Node
	added := &yaml.Node{Kind: yaml.ScalarNode, Value: "labels"}
	meta := dep.Content[5]
	meta.Content = append(meta.Content, added, &yaml.Node{Kind: yaml.MappingNode})
	for _, tc := range []struct {
		segs      []string
		line, col int
		wantFound bool
	}{
		{[]string{"metadata", "name"}, 12, 9, true},
		{[]string{"spec", "template"}, 14, 3, true},
		{[]string{"metadata", "namespace"}, 11, 1, false},
		{[]string{"metadata", "labels", "app"}, 11, 1, false},
		{[]string{"spec", "template", "spec", "containers", "1", "name"}, 19, 17, true},
	} {
		pos, found := Node(dep, tc.segs)
		if pos.Line != tc.line || pos.Column != tc.col || found != tc.wantFound {
			t.Errorf("%v: got %d:%d found %v, want %d:%d found %v", tc.segs, pos.Line, pos.Column, found, tc.line, tc.col, tc.wantFound)
		}
	}
}
