package gitops

import (
	"bytes"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/workspace"
)

// Shape lays out the generated files of the new app folder target as the
// repository's layout keeps its apps: each single-object file renamed to
// the file the layout names for its kind (HelmRelease: release.yaml), the
// app's Namespace beside them when the layout says apps bring theirs,
// and the folder's kustomization.yaml listing them (Namespace first, then
// sources, then the rest) in namespace. Files elsewhere, files of several
// objects and a kustomization that lists more than the folder's own files
// are kept as they are.
func Shape(l genconfig.Layout, target, namespace string, files []workspace.File) []workspace.File {
	out, kust, own, hasNamespace := renameOwn(l, target, files)
	if l.NamespaceObject && namespace != "" && !hasNamespace {
		name := l.FileFor("Namespace")
		if _, taken := own[name]; !taken {
			own[name] = "Namespace"
			out = append(out, workspace.File{Path: target + "/" + name,
				Content: fmt.Appendf(nil, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", namespace)})
		}
	}
	if kust >= 0 {
		out[kust].Content = relist(out[kust].Content, own, namespace)
	}
	return out
}

// renameOwn names each file directly in target that holds one object as
// the layout names that kind's file (the name it had when that is taken).
// It returns the files, the index of target's kustomization among them
// (-1 without one), the kind in each of target's own files by name, and
// whether one of them is a Namespace.
func renameOwn(l genconfig.Layout, target string, files []workspace.File) (out []workspace.File, kust int, own map[string]string, hasNamespace bool) {
	kust, own = -1, map[string]string{}
	for _, f := range files {
		rel, ok := strings.CutPrefix(f.Path, target+"/")
		if !ok || strings.Contains(rel, "/") {
			out = append(out, f)
			continue
		}
		if kustomize.IsKustomization(f.Path) {
			kust = len(out)
			out = append(out, f)
			continue
		}
		objs := objects(f)
		if len(objs) != 1 {
			out = append(out, f)
			continue
		}
		kind := objs[0].Kind
		hasNamespace = hasNamespace || kind == "Namespace"
		name := rel
		if n, ok := l.Files[kind]; ok {
			name = n
		}
		if _, taken := own[name]; taken {
			name = rel
		}
		own[name] = kind
		out = append(out, workspace.File{Path: target + "/" + name, Content: f.Content})
	}
	return out, kust, own, hasNamespace
}

// relist returns the folder's kustomization listing its own files (own:
// name -> kind) as the layout names them: the Namespace first, then the
// chart sources, then the rest. A kustomization that does more than list
// the folder's files is kept, with the app's Namespace added to it.
func relist(kustomization []byte, own map[string]string, namespace string) []byte {
	var k struct {
		Resources []string       `yaml:"resources"`
		Rest      map[string]any `yaml:",inline"`
	}
	if yaml.Unmarshal(kustomization, &k) != nil {
		return kustomization
	}
	keep := false
	for key := range k.Rest {
		keep = keep || key != "apiVersion" && key != "kind" && key != "namespace"
	}
	for _, r := range k.Resources {
		keep = keep || strings.Contains(r, "/")
	}
	if keep {
		for name, kind := range own {
			if kind == "Namespace" && !slices.ContainsFunc(k.Resources, func(r string) bool { return same(r, name) }) {
				if c, changed, err := addResource(kustomization, name); err == nil && changed {
					kustomization = c
				}
			}
		}
		return kustomization
	}
	names := slices.Collect(maps.Keys(own))
	rank := func(kind string) int {
		switch kind {
		case "Namespace":
			return 0
		case "HelmRepository", "OCIRepository", "GitRepository":
			return 1
		}
		return 2
	}
	sort.SliceStable(names, func(i, j int) bool {
		a, b := rank(own[names[i]]), rank(own[names[j]])
		if a != b {
			return a < b
		}
		return names[i] < names[j]
	})
	var b bytes.Buffer
	b.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n")
	if namespace != "" {
		fmt.Fprintf(&b, "namespace: %s\n", namespace)
	}
	b.WriteString("resources:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  - %s\n", n)
	}
	return b.Bytes()
}

// SplitValues moves the values of the HelmRelease in release out of it,
// into a patch of that HelmRelease (the same apiVersion, kind, name and
// namespace, and spec.values) at patchPath, as an environment overlay
// keeps them; name is the HelmRelease's. ok is false, and nothing
// changes, when release holds no single HelmRelease with values.
func SplitValues(release workspace.File, patchPath string) (rel, patch workspace.File, name string, ok bool, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(release.Content, &doc); err != nil {
		return release, workspace.File{}, "", false, fmt.Errorf("parse %s: %w", release.Path, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return release, workspace.File{}, "", false, nil
	}
	root := doc.Content[0]
	_, kind := value(root, "kind")
	_, api := value(root, "apiVersion")
	_, md := value(root, "metadata")
	_, spec := value(root, "spec")
	if kind == nil || kind.Value != "HelmRelease" || api == nil || md == nil || spec == nil || spec.Kind != yaml.MappingNode {
		return release, workspace.File{}, "", false, nil
	}
	var values *yaml.Node
	for i := 0; i+1 < len(spec.Content); i += 2 {
		if spec.Content[i].Value == "values" {
			values = spec.Content[i+1]
			spec.Content = append(spec.Content[:i], spec.Content[i+2:]...)
			break
		}
	}
	if values == nil {
		return release, workspace.File{}, "", false, nil
	}
	_, nameNode := value(md, "name")
	_, ns := value(md, "namespace")
	if nameNode == nil {
		return release, workspace.File{}, "", false, nil
	}
	relOut, err := encode(&doc)
	if err != nil {
		return release, workspace.File{}, "", false, fmt.Errorf("write %s: %w", release.Path, err)
	}
	pmd := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{str("name"), str(nameNode.Value)}}
	if ns != nil {
		pmd.Content = append(pmd.Content, str("namespace"), str(ns.Value))
	}
	pdoc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		str("apiVersion"), str(api.Value), str("kind"), str("HelmRelease"), str("metadata"), pmd,
		str("spec"), {Kind: yaml.MappingNode, Content: []*yaml.Node{str("values"), values}},
	}}
	patchOut, err := encode(pdoc)
	if err != nil {
		return release, workspace.File{}, "", false, fmt.Errorf("write %s: %w", patchPath, err)
	}
	return workspace.File{Path: release.Path, Content: relOut}, workspace.File{Path: patchPath, Content: patchOut}, nameNode.Value, true, nil
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func encode(n *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// AppFile returns the file of the app folder dir among files that holds
// an object of kind.
func AppFile(files []workspace.File, dir, kind string) (workspace.File, bool) {
	for _, f := range files {
		if path.Dir(f.Path) != dir {
			continue
		}
		for _, o := range objects(f) {
			if o.Kind == kind {
				return f, true
			}
		}
	}
	return workspace.File{}, false
}
