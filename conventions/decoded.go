package conventions

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/stackgen/aiden/validators/manifest"
	"github.com/stackgen/aiden/workspace"
)

// checkDecoded is check for a render's objects, reading decoded (the
// split and decode every check of the render reads) to pass over the
// files in which no rule can find anything: only the others are parsed
// into YAML nodes, which locate findings. A file whose documents decode
// in a way a node tree might read differently is parsed whatever it holds
// (see cleanFile), so the findings are check's.
// It also returns the number of objects the files hold, as parseFile
// counts them.
func checkDecoded(e *engine, objects []workspace.File, decoded *manifest.Set) ([]*yamlFile, int, error) {
	var parsed []*yamlFile
	n := 0
	for _, f := range objects {
		if clean, count := e.cleanFile(decoded.File(f.Path, f.Content)); clean {
			n += count
			continue
		}
		yf, err := parseFile(f.Path, f.Content)
		if err != nil {
			return nil, 0, err
		}
		parsed = append(parsed, yf)
		n += len(yf.objects)
	}
	return parsed, n, nil
}

// cleanFile reports whether checking f (not fixing) certainly finds
// nothing, reading its decoded documents. It answers false whenever the
// decoded values might differ from what parseFile's node tree holds: a
// file that is not manifest.Plain, a document that does not decode or
// holds a key twice, anchors or merge keys (which yaml.v2 resolves and a
// node tree keeps), tags, document end markers, and any value the rules
// read that is not a string. For a clean file it also returns the number
// of objects parseFile would find in it.
func (e *engine) cleanFile(f *manifest.File) (clean bool, objects int) {
	docs, ok := f.Docs()
	if !ok {
		return false, 0
	}
	for _, d := range docs {
		if d.Err != nil || !d.Unique || !plainText(d.Text) {
			return false, 0
		}
		if d.Value == nil {
			continue // empty or comments only
		}
		m, isMap := d.Value.(map[string]any)
		if !isMap || !blockMapping(d.Text) {
			// yaml.v2 stops after a complete flow node or scalar and
			// ignores what follows, which a node tree refuses.
			return false, 0
		}
		clean, object := e.cleanObject(m)
		if !clean {
			return false, 0
		}
		if object {
			objects++
		}
	}
	return true, objects
}

// blockMapping reports whether a document's first content (past blank
// and comment lines) is a block mapping's key, not a flow collection or a
// quoted scalar.
func blockMapping(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		t := bytes.TrimLeft(line, " \t")
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		switch t[0] {
		case '{', '[', '"', '\'', '-', '?', '|', '>':
			return false
		}
		return true
	}
	return false
}

// plainText reports whether a document has none of the YAML that yaml.v2
// and a node tree read differently: anchors (and so aliases), merge keys,
// tags and document end markers.
func plainText(doc []byte) bool {
	if bytes.ContainsAny(doc, "&!") || bytes.Contains(doc, []byte("<<")) {
		return false
	}
	return !bytes.HasPrefix(doc, []byte("...")) && !bytes.Contains(doc, []byte("\n..."))
}

// cleanObject reports whether a decoded document certainly yields no
// finding when checked: parseFile's object test, then the rules engine.run
// applies when not fixing (naming, labels and annotations, namespace).
// object says whether parseFile takes it for an object.
func (e *engine) cleanObject(m map[string]any) (clean, object bool) {
	apiVersion, ok1 := text(m, "apiVersion")
	kind, ok2 := text(m, "kind")
	if !ok1 || !ok2 {
		return false, false
	}
	if _, hasMeta := m["metadata"]; apiVersion == "" || kind == "" || !hasMeta {
		return true, false // not an object
	}
	if group, _, _ := strings.Cut(apiVersion, "/"); strings.Contains(apiVersion, "/") && strings.HasPrefix(group, "kustomize.config.k8s.io") {
		return true, false // a Kustomization or Component
	}
	md, _ := m["metadata"].(map[string]any)
	name, ok1 := text(md, "name")
	ns, ok2 := text(md, "namespace")
	if !ok1 || !ok2 {
		return false, true
	}
	if kind != "Namespace" && kind != "CustomResourceDefinition" && name != "" && e.nameProblem(name) != "" {
		return false, true
	}
	if md != nil && !e.cleanMetadata(md) {
		return false, true
	}
	if tmpl := podTemplateMetadata(m, kind); tmpl != nil && !e.cleanMetadata(tmpl) {
		return false, true
	}
	if e.namespace != "" && !clusterScoped[kind] && ns != "" && ns != e.namespace {
		return false, true
	}
	return true, true
}

// cleanMetadata reports whether a metadata mapping has every label and
// annotation required, with the value required.
func (e *engine) cleanMetadata(md map[string]any) bool {
	for _, want := range []struct {
		field string
		pairs []kv
	}{{"labels", e.labels}, {"annotations", e.annotations}} {
		if len(want.pairs) == 0 {
			continue
		}
		have, _ := md[want.field].(map[string]any)
		for _, p := range want.pairs {
			if !plainKey(p.key) {
				return false
			}
			if v, ok := have[p.key].(string); !ok || v != p.value {
				return false
			}
		}
	}
	return true
}

// plainKey reports whether a decoded key equal to k was written k (or
// quoted): sigs.k8s.io/yaml writes a number or boolean key as digits,
// "true" or "false", which a node tree reads as written (0x1F, yes).
func plainKey(k string) bool {
	if k == "true" || k == "false" {
		return false
	}
	_, err := strconv.ParseInt(k, 10, 64)
	return err != nil
}

// podTemplateMetadata returns the metadata mapping of a workload's pod
// template (podSpec), or nil.
func podTemplateMetadata(m map[string]any, kind string) map[string]any {
	var path []string
	switch kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController":
		path = []string{"spec", "template", "metadata"}
	case "CronJob":
		path = []string{"spec", "jobTemplate", "spec", "template", "metadata"}
	default:
		return nil
	}
	for _, k := range path {
		next, ok := m[k].(map[string]any)
		if !ok {
			return nil
		}
		m = next
	}
	return m
}

// text returns the string at key of m ("" when m or the key is absent);
// ok is false for a value that is not a string, null included, which a
// node tree reads as written.
func text(m map[string]any, key string) (string, bool) {
	v, present := m[key]
	if !present {
		return "", true
	}
	s, ok := v.(string)
	return s, ok
}
