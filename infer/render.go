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
	cfg := p.Config
	ev := map[string]Evidence{}
	for _, e := range p.Evidence {
		ev[e.Key] = e
	}
	var b bytes.Buffer
	comment := func(indent, key string) {
		if e, ok := ev[key]; ok {
			fmt.Fprintf(&b, "%s# %d of %d %s", indent, e.Count, e.Total, e.What)
			if len(e.Files) > 0 {
				fmt.Fprintf(&b, ": %s", strings.Join(e.Files, ", "))
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "# Proposed by aiden init from %d files of this repository: what it already\n", p.Read)
	b.WriteString("# does. Review it, then commit it. Format: docs/generation-config.md.\n")
	fmt.Fprintf(&b, "version: %d\n", genconfig.Version)
	if cfg.Naming.Pattern != "" {
		b.WriteString("\nnaming:\n")
		comment("  ", "naming.pattern")
		fmt.Fprintf(&b, "  pattern: %s\n", q(cfg.Naming.Pattern))
	}
	for _, m := range []struct {
		name string
		keys []string
		vals map[string]string
	}{{"labels", cfg.LabelKeys, cfg.Labels}, {"annotations", cfg.AnnotationKeys, cfg.Annotations}} {
		if len(m.keys) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s:\n", m.name)
		for _, k := range m.keys {
			comment("  ", m.name+"."+k)
			fmt.Fprintf(&b, "  %s: %s\n", q(k), q(m.vals[k]))
		}
	}
	if cfg.Namespace.Pattern != "" {
		b.WriteString("\n")
		comment("", "namespace")
		fmt.Fprintf(&b, "namespace: %s\n", q(cfg.Namespace.Pattern))
	}
	if len(cfg.Charts) > 0 {
		b.WriteString("\ncharts:                           # the upstream charts the apps install, by chart\n")
		names := make([]string, 0, len(cfg.Charts))
		for n := range cfg.Charts {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			c := cfg.Charts[n]
			comment("  ", "charts."+n)
			fmt.Fprintf(&b, "  %s: {repository: %s, chart: %s, version: %s}\n", q(n), q(c.Repository), q(c.Chart), q(c.Version))
		}
	}
	if len(cfg.Formats) > 0 {
		b.WriteString("\nformats:\n")
		for _, f := range cfg.Formats {
			comment("  ", "formats."+f.Path)
			fmt.Fprintf(&b, "  %s: %s\n", q(f.Path), f.Format)
		}
	}
	if len(p.Examples) > 0 {
		b.WriteString("\n")
		comment("", "examples")
		fmt.Fprintf(&b, "examples: %s\n", workspace.ExamplesDir)
	}
	if l := cfg.Layout; !l.IsZero() {
		b.WriteString("\nlayout:\n")
		line := func(key, value string) {
			if value == "" {
				return
			}
			comment("  ", "layout."+key)
			fmt.Fprintf(&b, "  %s: %s\n", key, q(value))
		}
		line("delivery", l.Delivery)
		line("apps", l.Apps)
		line("overlays", l.Overlays)
		line("patches", l.Patches)
		line("clusters", l.Clusters)
		line("applications", l.Applications)
		if len(l.Environments) > 0 {
			comment("  ", "layout.environments")
			var qs []string
			for _, e := range l.Environments {
				qs = append(qs, q(e))
			}
			fmt.Fprintf(&b, "  environments: [%s]\n", strings.Join(qs, ", "))
		}
		if l.NamespaceObject {
			comment("  ", "layout.namespaceObject")
			b.WriteString("  namespaceObject: true\n")
		}
		if len(l.Application) > 0 {
			var shared []string
			for _, e := range p.Evidence {
				if k, ok := strings.CutPrefix(e.Key, "layout.application."); ok {
					shared = append(shared, k)
					if len(shared) == 1 {
						fmt.Fprintf(&b, "  # %d of %d Applications share each of these fields: %s\n", e.Count, e.Total, strings.Join(e.Files, ", "))
					}
				}
			}
			fmt.Fprintf(&b, "  # (%s); a new app's Application takes them\n  application:\n", strings.Join(shared, ", "))
			var body bytes.Buffer
			enc := yaml.NewEncoder(&body)
			enc.SetIndent(2)
			if err := enc.Encode(l.Application); err == nil {
				for _, ln := range strings.Split(strings.TrimSuffix(body.String(), "\n"), "\n") {
					fmt.Fprintf(&b, "    %s\n", ln)
				}
			}
		}
		if len(l.FileKinds) > 0 {
			b.WriteString("  files:\n")
			for _, k := range l.FileKinds {
				comment("    ", "layout.files."+k)
				fmt.Fprintf(&b, "    %s: %s\n", q(k), q(l.Files[k]))
			}
		}
	}
	return b.Bytes()
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
