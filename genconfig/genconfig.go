// Package genconfig reads and checks .stackgen/generation-config.yaml, the
// file in which a repository states its conventions: how generated objects
// are named, which labels and annotations they carry, which namespace they
// live in, default resources per environment, the Kubernetes version to
// validate against, preferred upstream Helm charts, and which format goes
// under which path.
//
// The format is versioned (version: 1) and described by the JSON Schema in
// schema.json; docs/generation-config.md documents every key. Parse reports
// every problem it finds, each naming the key and the line.
package genconfig

import (
	_ "embed"
	"fmt"
	"path"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/workspace"
)

// Path is where the config lives, relative to the repository root
// (workspace.ConfigPath, its one definition).
const Path = workspace.ConfigPath

// Version is the newest format version this package reads.
const Version = 1

// Schema is the JSON Schema (draft 2020-12) of the format.
//
//go:embed schema.json
var Schema []byte

// Config is a parsed generation config. The zero value is the empty
// config: no conventions beyond Kubernetes' own rules.
type Config struct {
	// Version is the format version; 1 when the file does not say.
	Version int
	// Team is the value of the {team} placeholder when the request does not
	// name a team.
	Team string
	// Naming is the rule for metadata.name of generated objects.
	Naming Naming
	// Labels are required on every object and pod template; values may use
	// placeholders. Keys keep the file's order in LabelKeys.
	Labels map[string]string
	// LabelKeys lists the keys of Labels in file order.
	LabelKeys []string
	// Annotations are required on every object and pod template.
	Annotations map[string]string
	// AnnotationKeys lists the keys of Annotations in file order.
	AnnotationKeys []string
	// Namespace is the rule for metadata.namespace of namespaced objects.
	Namespace Namespace
	// Resources are default container requests and limits by environment;
	// the key "default" applies to environments not listed.
	Resources map[string]Resources
	// KubernetesVersion is the version to validate against ("1.35.4").
	KubernetesVersion string
	// FailOnMissingSchema makes an object whose kind has no schema (in
	// Kubernetes, the shipped CRD catalogue or the repository's CRDs) an
	// error for aiden validate, as --fail-on-missing-schema does.
	FailOnMissingSchema bool
	// Charts are preferred upstream Helm charts by component (redis,
	// postgresql, ...).
	Charts map[string]Chart
	// Formats say which output format to use under which path, first match
	// wins.
	Formats []FormatRule
	// Examples is the folder of example manifests; default .stackgen/examples.
	Examples string
	// Policies is the folder of the repository's policies; default policies.
	Policies string
	// Policy is the policy: section, kept as raw YAML for the policy engine
	// (nil when absent).
	Policy *yaml.Node
	// Review is the review: section (genconfig/review.go).
	Review Review
	// Layout says where the repository keeps its apps and how it deploys
	// them (layout.go).
	Layout Layout
}

// Naming is the naming rule.
type Naming struct {
	// Pattern is the name of an app's main object, with placeholders; other
	// objects of the app may add a "-suffix". Empty means no pattern.
	Pattern string
	// MaxLength is the longest name allowed; default 63.
	MaxLength int
	// AllowedChars is a regular expression character class body listing the
	// characters a name may hold; default "a-z0-9-" (DNS-1123 labels).
	AllowedChars string
}

// Namespace is the namespace rule.
type Namespace struct {
	// Pattern is the namespace of every namespaced object, with
	// placeholders. Empty means any namespace.
	Pattern string
}

// Resources are the requests and limits of a container.
type Resources struct {
	Requests Quantities
	Limits   Quantities
}

// Quantities are CPU and memory as Kubernetes quantities.
type Quantities struct {
	CPU    string
	Memory string
}

// Chart is a preferred upstream Helm chart.
type Chart struct {
	// Repository is the chart repository URL (https:// or oci://).
	Repository string
	// Chart is the chart's name in the repository.
	Chart string
	// Version is a semver constraint ("19.6.x", "~19.6.0", "19.6.4").
	Version string
}

// FormatRule maps a path glob to an output format.
type FormatRule struct {
	// Path is a slash-separated glob; * matches within one path element,
	// ** any number of elements.
	Path string
	// Format is helm, kustomize or terraform.
	Format string
}

// Vars are the values of the placeholders.
type Vars struct {
	Env       string // {env}
	App       string // {app}
	Component string // {component}
	Team      string // {team}
}

// Placeholders lists the placeholders patterns and values may use.
var Placeholders = []string{"env", "app", "component", "team"}

// Expand replaces the placeholders of s with v's values; an empty Team
// falls back to the config's team.
func (c *Config) Expand(s string, v Vars) string {
	team := v.Team
	if team == "" && c != nil {
		team = c.Team
	}
	return strings.NewReplacer("{env}", v.Env, "{app}", v.App, "{component}", v.Component, "{team}", team).Replace(s)
}

// Unset returns the placeholders of s ("{env}") that v leaves empty, so
// that s cannot be expanded to what the config means.
func (c *Config) Unset(s string, v Vars) []string {
	team := v.Team
	if team == "" && c != nil {
		team = c.Team
	}
	values := map[string]string{"{env}": v.Env, "{app}": v.App, "{component}": v.Component, "{team}": team}
	var out []string
	for _, m := range placeholderRE.FindAllString(s, -1) {
		if values[m] == "" {
			out = append(out, m)
		}
	}
	return out
}

// MaxLength returns the naming rule's maximum length, 63 by default.
func (c *Config) MaxLength() int {
	if c == nil || c.Naming.MaxLength == 0 {
		return 63
	}
	return c.Naming.MaxLength
}

// AllowedChars returns the class of characters names may hold.
func (c *Config) AllowedChars() string {
	if c == nil || c.Naming.AllowedChars == "" {
		return "a-z0-9-"
	}
	return c.Naming.AllowedChars
}

// ResourcesFor returns the default resources of env, falling back to the
// "default" entry; ok is false when neither is set.
func (c *Config) ResourcesFor(env string) (Resources, bool) {
	if c == nil {
		return Resources{}, false
	}
	if r, ok := c.Resources[env]; ok {
		return r, true
	}
	r, ok := c.Resources["default"]
	return r, ok
}

// Chart returns the preferred chart of component.
func (c *Config) Chart(component string) (Chart, bool) {
	if c == nil {
		return Chart{}, false
	}
	ch, ok := c.Charts[strings.ToLower(component)]
	return ch, ok
}

// FormatFor returns the format of the first rule whose glob matches p (a
// folder or file relative to the repository root), or "".
func (c *Config) FormatFor(p string) string {
	if c == nil {
		return ""
	}
	p = strings.Trim(path.Clean(p), "/")
	for _, r := range c.Formats {
		if MatchGlob(r.Path, p) {
			return r.Format
		}
	}
	return ""
}

// ExamplesDir returns the examples folder, .stackgen/examples by default.
func (c *Config) ExamplesDir() string {
	if c == nil || c.Examples == "" {
		return workspace.ExamplesDir
	}
	return c.Examples
}

// PoliciesDir returns the policies folder, policies by default.
func (c *Config) PoliciesDir() string {
	if c == nil || c.Policies == "" {
		return workspace.PoliciesDir
	}
	return c.Policies
}

// MatchGlob reports whether the slash-separated path p matches glob, where
// * matches any run of characters within one element and ** matches any
// number of whole elements (including none). A glob matches the folder it
// names and everything below it, so clusters/*/apps/** and
// clusters/*/apps both match clusters/production/apps/redis/values.yaml.
func MatchGlob(glob, p string) bool {
	g := strings.Split(strings.Trim(glob, "/"), "/")
	e := strings.Split(strings.Trim(p, "/"), "/")
	return matchElems(g, e)
}

func matchElems(g, e []string) bool {
	if len(g) == 0 {
		return true // a glob naming a folder covers what lies below it
	}
	if g[0] == "**" {
		for i := 0; i <= len(e); i++ {
			if matchElems(g[1:], e[i:]) {
				return true
			}
		}
		return false
	}
	if len(e) == 0 {
		return false
	}
	if ok, err := path.Match(g[0], e[0]); err != nil || !ok {
		return false
	}
	return matchElems(g[1:], e[1:])
}

var placeholderRE = regexp.MustCompile(`\{[^{}]*\}`)

// unknownPlaceholders returns the {placeholders} of s that are not known.
func unknownPlaceholders(s string) []string {
	var bad []string
	for _, m := range placeholderRE.FindAllString(s, -1) {
		name := strings.Trim(m, "{}")
		known := false
		for _, p := range Placeholders {
			if p == name {
				known = true
			}
		}
		if !known {
			bad = append(bad, m)
		}
	}
	return bad
}

func (r Resources) String() string {
	return fmt.Sprintf("requests cpu=%s memory=%s, limits cpu=%s memory=%s", r.Requests.CPU, r.Requests.Memory, r.Limits.CPU, r.Limits.Memory)
}

// pathMatch checks the syntax of one glob element.
func pathMatch(el string) (bool, error) {
	return path.Match(el, "")
}
