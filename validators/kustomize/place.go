package kustomize

import (
	"path"
	"regexp"
	"strconv"
	"strings"

	yaml3 "go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/validators/yamlpos"
)

// Fields of a kustomization whose entries name files or folders: a problem
// that names one of them is placed at its entry.
var entryFields = []string{"resources", "components", "bases", "crds", "patches",
	"patchesStrategicMerge", "patchesJson6902", "configMapGenerator", "secretGenerator",
	"replacements", "generators", "transformers", "validators", "configurations", "openapi"}

// Fields of a kustomization whose entries are patches.
var patchFields = map[string]bool{"patches": true, "patchesStrategicMerge": true, "patchesJson6902": true}

var (
	// noMatch is kustomize's "no matches for Id Deployment.v1.apps/api.[noNs]".
	noMatch = regexp.MustCompile(`no matches for Id ([A-Za-z0-9]+)\.[^/\s]*/(\S+?)\.\[([^\]]*)\]`)
	// missingPath is a JSON 6902 operation's "doc is missing path: spec/x".
	missingPath = regexp.MustCompile(`missing path: /?(\S+?):?(?:\s|$)`)
	// yamlLine is a YAML parser's "yaml: line 3:".
	yamlLine = regexp.MustCompile(`yaml: line (\d+):`)
)

// entry is one item of a kustomization's list field, with the file names
// it holds (an item's own value, its path, its files) and its inline
// patch.
type entry struct {
	field  string
	node   *yaml3.Node // the item
	names  []string
	inline string
}

// place returns where in the kustomization file content (at dir) the
// entry or field a build problem msg names is written: the entry of a
// resource, component or generator file the message names, the entry of
// the patch whose target it did not find (by kind, name and namespace,
// read from the patch, inline or in its file through read) or whose JSON
// 6902 path it could not follow, the line of a YAML syntax error. ok is
// false when the message names nothing the file holds.
func place(content []byte, dir, msg string, read func(string) ([]byte, bool)) (yamlpos.Position, bool) {
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			return yamlpos.Position{Line: n, Column: 1}, true
		}
	}
	var doc yaml3.Node
	if yaml3.Unmarshal(content, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml3.MappingNode {
		return yamlpos.Position{}, false
	}
	entries := listEntries(doc.Content[0])
	at := func(e entry) (yamlpos.Position, bool) {
		return yamlpos.Position{Line: e.node.Line, Column: e.node.Column}, true
	}
	// A file or folder the message quotes: 'service.yaml', path(p.yaml),
	// [conf.txt], or its path from the repository root.
	for _, e := range entries {
		for _, n := range e.names {
			for _, form := range []string{n, path.Join(dir, n), path.Clean(n)} {
				if quoted(msg, form) {
					return at(e)
				}
			}
		}
	}
	// A patch whose target is not there.
	if m := noMatch.FindStringSubmatch(msg); m != nil {
		kind, name, ns := m[1], m[2], m[3]
		if ns == "noNs" {
			ns = ""
		}
		for _, e := range entries {
			if patchFields[e.field] && patchTargets(e, dir, read, kind, name, ns) {
				return at(e)
			}
		}
	}
	// A JSON 6902 operation whose path is not in the object.
	if m := missingPath.FindStringSubmatch(msg); m != nil {
		want := "/" + strings.TrimPrefix(m[1], "/")
		for _, e := range entries {
			if patchFields[e.field] && strings.Contains(patchText(e, dir, read), want) {
				return at(e)
			}
		}
	}
	return yamlpos.Position{}, false
}

// quoted reports whether msg names s as a whole, between quotes, brackets,
// parentheses or spaces, not as part of a longer name.
func quoted(msg, s string) bool {
	if s == "" || s == "." {
		return false
	}
	boundary := func(r byte) bool { return strings.IndexByte("'\"()[] ,:", r) >= 0 }
	for i := 0; ; {
		j := strings.Index(msg[i:], s)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(s)
		if (start == 0 || boundary(msg[start-1])) && (end == len(msg) || boundary(msg[end])) {
			return true
		}
		i = start + 1
	}
}

// listEntries returns the items of the kustomization's list fields, in
// order, with the file names each holds.
func listEntries(root *yaml3.Node) []entry {
	var out []entry
	for _, field := range entryFields {
		var list *yaml3.Node
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == field {
				list = root.Content[i+1]
			}
		}
		if list == nil || list.Kind != yaml3.SequenceNode {
			continue
		}
		for _, item := range list.Content {
			e := entry{field: field, node: item}
			switch item.Kind {
			case yaml3.ScalarNode:
				e.names = []string{item.Value}
			case yaml3.MappingNode:
				for i := 0; i+1 < len(item.Content); i += 2 {
					k, v := item.Content[i].Value, item.Content[i+1]
					switch {
					case k == "path" && v.Kind == yaml3.ScalarNode:
						e.names = append(e.names, v.Value)
					case k == "patch" && v.Kind == yaml3.ScalarNode:
						e.inline = v.Value
					case (k == "files" || k == "envs") && v.Kind == yaml3.SequenceNode:
						for _, f := range v.Content {
							// files: [key=path] names path.
							_, p, ok := strings.Cut(f.Value, "=")
							if !ok {
								p = f.Value
							}
							e.names = append(e.names, p)
						}
					case k == "env" && v.Kind == yaml3.ScalarNode:
						e.names = append(e.names, v.Value)
					}
				}
			}
			out = append(out, e)
		}
	}
	return out
}

// patchText is a patch entry's patch: inline, or its file's content.
func patchText(e entry, dir string, read func(string) ([]byte, bool)) string {
	if e.inline != "" {
		return e.inline
	}
	for _, n := range e.names {
		if b, ok := read(path.Join(dir, n)); ok {
			return string(b)
		}
	}
	return ""
}

// patchTargets reports whether a patch entry is about the object kind
// name (in ns): its target selector, or the objects of a strategic merge
// patch.
func patchTargets(e entry, dir string, read func(string) ([]byte, bool), kind, name, ns string) bool {
	if e.node.Kind == yaml3.MappingNode {
		if t := yamlValue(e.node, "target"); t != nil && t.Kind == yaml3.MappingNode {
			return yamlpos.Field(t, "kind") == kind && yamlpos.Field(t, "name") == name &&
				(ns == "" || yamlpos.Field(t, "namespace") == "" || yamlpos.Field(t, "namespace") == ns)
		}
	}
	for _, d := range yamlpos.Documents([]byte(patchText(e, dir, read))) {
		meta := yamlValue(d.Node, "metadata")
		if yamlpos.Field(d.Node, "kind") == kind && meta != nil && yamlpos.Field(meta, "name") == name &&
			(ns == "" || yamlpos.Field(meta, "namespace") == "" || yamlpos.Field(meta, "namespace") == ns) {
			return true
		}
	}
	return false
}

// yamlValue returns the value of key in a mapping node.
func yamlValue(n *yaml3.Node, key string) *yaml3.Node {
	if n == nil || n.Kind != yaml3.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
