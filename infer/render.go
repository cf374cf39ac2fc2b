package infer

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/workspace"
)

// YAML returns the proposal as a generation config file, each line
// preceded by its evidence as a comment. genconfig.Parse reads it back as
// p.Config.
func (p *Proposal) YAML() []byte {
	w := &proposalWriter{ev: map[string]Evidence{}}
	for _, e := range p.Evidence {
		w.ev[e.Key] = e
	}
	cfg := p.Config
	fmt.Fprintf(&w.b, "# Proposed by aiden init from %d files of this repository: what it already\n", p.Read)
	w.b.WriteString("# does. Review it, then commit it. Format: docs/generation-config.md.\n")
	fmt.Fprintf(&w.b, "version: %d\n", genconfig.Version)
	w.conventions(cfg)
	w.charts(cfg.Charts)
	if len(cfg.Formats) > 0 {
		w.b.WriteString("\nformats:\n")
		for _, f := range cfg.Formats {
			w.comment("  ", "formats."+f.Path)
			fmt.Fprintf(&w.b, "  %s: %s\n", q(f.Path), f.Format)
		}
	}
	if len(p.Examples) > 0 {
		w.b.WriteString("\n")
		w.comment("", "examples")
		fmt.Fprintf(&w.b, "examples: %s\n", workspace.ExamplesDir)
	}
	if !cfg.Layout.IsZero() {
		w.layout(cfg.Layout, p.Evidence)
	}
	return w.b.Bytes()
}

// proposalWriter writes a proposal's config, each key after its evidence.
type proposalWriter struct {
	b  bytes.Buffer
	ev map[string]Evidence // by key
}

// comment writes the evidence for key, if there is any, at indent.
func (w *proposalWriter) comment(indent, key string) {
	e, ok := w.ev[key]
	if !ok {
		return
	}
	fmt.Fprintf(&w.b, "%s# %d of %d %s", indent, e.Count, e.Total, e.What)
	if len(e.Files) > 0 {
		fmt.Fprintf(&w.b, ": %s", strings.Join(e.Files, ", "))
	}
	w.b.WriteString("\n")
}

// conventions writes the naming pattern, the labels, the annotations and
// the namespace pattern.
func (w *proposalWriter) conventions(cfg *genconfig.Config) {
	if cfg.Naming.Pattern != "" {
		w.b.WriteString("\nnaming:\n")
		w.comment("  ", "naming.pattern")
		fmt.Fprintf(&w.b, "  pattern: %s\n", q(cfg.Naming.Pattern))
	}
	for _, m := range []struct {
		name string
		keys []string
		vals map[string]string
	}{{"labels", cfg.LabelKeys, cfg.Labels}, {"annotations", cfg.AnnotationKeys, cfg.Annotations}} {
		if len(m.keys) == 0 {
			continue
		}
		fmt.Fprintf(&w.b, "\n%s:\n", m.name)
		for _, k := range m.keys {
			w.comment("  ", m.name+"."+k)
			fmt.Fprintf(&w.b, "  %s: %s\n", q(k), q(m.vals[k]))
		}
	}
	if cfg.Namespace.Pattern != "" {
		w.b.WriteString("\n")
		w.comment("", "namespace")
		fmt.Fprintf(&w.b, "namespace: %s\n", q(cfg.Namespace.Pattern))
	}
}

// charts writes the upstream charts the apps install, by chart name.
func (w *proposalWriter) charts(charts map[string]genconfig.Chart) {
	if len(charts) == 0 {
		return
	}
	w.b.WriteString("\ncharts:                           # the upstream charts the apps install, by chart\n")
	names := make([]string, 0, len(charts))
	for n := range charts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := charts[n]
		w.comment("  ", "charts."+n)
		fmt.Fprintf(&w.b, "  %s: {repository: %s, chart: %s, version: %s}\n", q(n), q(c.Repository), q(c.Chart), q(c.Version))
	}
}

// layout writes where apps, overlays, patches and clusters live, the
// environments, and what a new app's Application shares with the others.
func (w *proposalWriter) layout(l genconfig.Layout, evidence []Evidence) {
	w.b.WriteString("\nlayout:\n")
	for _, kv := range [][2]string{{"delivery", l.Delivery}, {"apps", l.Apps}, {"overlays", l.Overlays}, {"patches", l.Patches},
		{"clusters", l.Clusters}, {"applications", l.Applications}} {
		if kv[1] != "" {
			w.comment("  ", "layout."+kv[0])
			fmt.Fprintf(&w.b, "  %s: %s\n", kv[0], q(kv[1]))
		}
	}
	if len(l.Environments) > 0 {
		w.comment("  ", "layout.environments")
		var qs []string
		for _, e := range l.Environments {
			qs = append(qs, q(e))
		}
		fmt.Fprintf(&w.b, "  environments: [%s]\n", strings.Join(qs, ", "))
	}
	if l.NamespaceObject {
		w.comment("  ", "layout.namespaceObject")
		w.b.WriteString("  namespaceObject: true\n")
	}
	if len(l.Application) > 0 {
		w.application(l.Application, evidence)
	}
	if len(l.FileKinds) > 0 {
		w.b.WriteString("  files:\n")
		for _, k := range l.FileKinds {
			w.comment("    ", "layout.files."+k)
			fmt.Fprintf(&w.b, "    %s: %s\n", q(k), q(l.Files[k]))
		}
	}
}

// application writes the fields every Argo CD Application shares, with
// the evidence for them as one comment.
func (w *proposalWriter) application(app map[string]any, evidence []Evidence) {
	var shared []string
	for _, e := range evidence {
		if k, ok := strings.CutPrefix(e.Key, "layout.application."); ok {
			shared = append(shared, k)
			if len(shared) == 1 {
				fmt.Fprintf(&w.b, "  # %d of %d Applications share each of these fields: %s\n", e.Count, e.Total, strings.Join(e.Files, ", "))
			}
		}
	}
	fmt.Fprintf(&w.b, "  # (%s); a new app's Application takes them\n  application:\n", strings.Join(shared, ", "))
	var body bytes.Buffer
	enc := yaml.NewEncoder(&body)
	enc.SetIndent(2)
	if err := enc.Encode(app); err == nil {
		for _, ln := range strings.Split(strings.TrimSuffix(body.String(), "\n"), "\n") {
			fmt.Fprintf(&w.b, "    %s\n", ln)
		}
	}
}

// q quotes s for YAML when it is not a plain word.
func q(s string) string {
	plain := s != ""
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '/') {
			plain = false
		}
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~":
		plain = false
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		plain = false
	}
	if plain {
		return s
	}
	return strconv.Quote(s)
}

// ExampleFiles returns the files of the few-shot examples as they go in
// the examples folder: <examples>/<app>/<path in the app folder>.
func (p *Proposal) ExampleFiles() []workspace.File {
	var out []workspace.File
	for _, a := range p.Examples {
		for _, f := range a.Files {
			rel := exampleRel(a, f)
			out = append(out, workspace.File{Path: path.Join(workspace.ExamplesDir, a.Name, rel), Content: f.Content})
		}
	}
	return out
}

// Files returns the files aiden init --write writes: the config and the
// examples.
func (p *Proposal) Files() []workspace.File {
	return append([]workspace.File{{Path: genconfig.Path, Content: p.YAML()}}, p.ExampleFiles()...)
}

// cache holds the proposals of the last repository states seen.
var cache = struct {
	sync.Mutex
	keys []string
	m    map[string]*Proposal
}{m: map[string]*Proposal{}}

// cacheSize is how many repository states Cached remembers.
const cacheSize = 16

// Cached returns Infer(files), computed once per repository state (the
// files' paths and contents). Callers must not modify the proposal.
func Cached(files []workspace.File) *Proposal {
	h := sha256.New()
	sorted := make([]workspace.File, len(files))
	copy(sorted, files)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	for _, f := range sorted {
		fmt.Fprintf(h, "%s\x00%d\x00", f.Path, len(f.Content))
		h.Write(f.Content)
	}
	key := string(h.Sum(nil))
	cache.Lock()
	if p, ok := cache.m[key]; ok {
		cache.Unlock()
		return p
	}
	cache.Unlock()
	p := Infer(files)
	cache.Lock()
	defer cache.Unlock()
	if _, ok := cache.m[key]; !ok {
		cache.m[key] = p
		cache.keys = append(cache.keys, key)
		if len(cache.keys) > cacheSize {
			delete(cache.m, cache.keys[0])
			cache.keys = cache.keys[1:]
		}
	}
	return cache.m[key]
}
