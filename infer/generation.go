package infer

import (
	"fmt"
	"maps"
	"strings"

	"github.com/stackgen/aiden/catalog"
	"github.com/stackgen/aiden/genconfig"
)

// ForGeneration returns the config a generation uses in a repository
// without one: the proposal's config and, when the repository delivers
// apps as Flux HelmReleases, the catalogue's chart (catalog.Lookup) for
// each component the repository defines no chart for, so that a new app
// is a HelmRelease like the others. The proposal is not modified.
func (p *Proposal) ForGeneration() *genconfig.Config {
	return WithCatalog(p.Config)
}

// WithCatalog returns cfg, or when its layout delivers apps as Flux
// HelmReleases a copy of it with the catalogue's chart (catalog.Lookup)
// for each component it names no chart for.
func WithCatalog(in *genconfig.Config) *genconfig.Config {
	if in == nil || in.Layout.Delivery != genconfig.DeliveryFluxHelmRelease {
		return in
	}
	cfg := *in
	cfg.Charts = maps.Clone(in.Charts)
	for _, component := range catalog.Components() {
		if _, ok := cfg.Charts[component]; ok {
			continue
		}
		c, ok := catalog.Lookup(component)
		if !ok {
			continue
		}
		if cfg.Charts == nil {
			cfg.Charts = map[string]genconfig.Chart{}
		}
		cfg.Charts[component] = genconfig.Chart{Repository: c.Repository, Chart: c.Chart, Version: c.Version}
	}
	return &cfg
}

// Summary says in one line what was inferred, and from how many files.
func (p *Proposal) Summary() string {
	l := p.Config.Layout
	var parts []string
	if l.Delivery != "" {
		parts = append(parts, l.Delivery)
	}
	if l.Apps != "" {
		parts = append(parts, "apps in "+l.Apps)
	}
	if l.Overlays != "" {
		parts = append(parts, "listed by "+l.Overlays)
	}
	if n := p.Config.Namespace.Pattern; n != "" {
		parts = append(parts, "namespace "+n)
	}
	if n := p.Config.Naming.Pattern; n != "" {
		parts = append(parts, "names "+n)
	}
	if len(p.Config.Labels) > 0 {
		parts = append(parts, fmt.Sprintf("%d labels", len(p.Config.Labels)))
	}
	return fmt.Sprintf("%s (inferred from %d files; no %s)", strings.Join(parts, ", "), p.Read, genconfig.Path)
}
