package genconfig

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/stackgen/aiden/workspace"
)

// Error is one problem of a config: where it is and which key it is about.
type Error struct {
	// File is the config's path as given to Parse.
	File string
	// Line and Column are 1-based; 0 when unknown.
	Line, Column int
	// Key is the dotted path of the key, for example naming.maxLength.
	Key string
	// Message says what is wrong.
	Message string
}

// Error formats the problem as file:line:column: key: message.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Errors are all the problems of one config, in file order.
type Errors []*Error

// Error lists the problems one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Load reads and parses the config file at name.
func Load(name string) (*Config, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(name, data)
}

// FromWorkspace parses the config among files (at Path); a workspace
// without one yields the empty config.
func FromWorkspace(files []workspace.File) (*Config, error) {
	for _, f := range files {
		if f.Path == Path {
			return Parse(f.Path, f.Content)
		}
	}
	return &Config{Version: Version}, nil
}

// Parse reads a config. name is used in error messages only. Every problem
// is reported, each as an *Error naming the key and line, joined in an
// Errors value; the config is nil then.
func Parse(name string, data []byte) (*Config, error) {
	p := &parser{file: name}
	cfg := &Config{Version: Version}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.errs = append(p.errs, syntaxError(name, err))
		return nil, p.errs
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return cfg, nil // an empty file is the empty config
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return cfg, nil
	}
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "", "the config must be a mapping of keys (naming, labels, ...), not %s", kindName(root))
		return nil, p.errs
	}
	p.mapping(root, "", topKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			n, ok := p.integer(v, key)
			if ok && n != Version {
				p.errorf(v, key, "unsupported version %d (this aiden reads version %d)", n, Version)
			}
			if ok {
				cfg.Version = n
			}
		case "team":
			if s, ok := p.str(v, key); ok {
				if errs := validation.IsDNS1123Label(s); len(errs) > 0 {
					p.errorf(v, key, "%q is not a valid team name: %s", s, errs[0])
				}
				cfg.Team = s
			}
		case "naming":
			p.naming(v, cfg)
		case "labels":
			cfg.Labels, cfg.LabelKeys = p.metadata(v, key, true)
		case "annotations":
			cfg.Annotations, cfg.AnnotationKeys = p.metadata(v, key, false)
		case "namespace":
			p.namespace(v, cfg)
		case "resources":
			p.resources(v, cfg)
		case "kubernetesVersion":
			if s, ok := p.str(v, key); ok {
				if !versionRE.MatchString(s) {
					p.errorf(v, key, "%q is not a Kubernetes version (want for example 1.35.4)", s)
				}
				cfg.KubernetesVersion = strings.TrimPrefix(s, "v")
			}
		case "failOnMissingSchema":
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
				p.errorf(v, key, "want true or false")
			} else {
				cfg.FailOnMissingSchema = v.Value == "true"
			}
		case "charts":
			p.charts(v, cfg)
		case "formats":
			p.formats(v, cfg)
		case "examples":
			cfg.Examples = p.folder(v, key)
		case "policies":
			cfg.Policies = p.folder(v, key)
		case "policy":
			cfg.Policy = v
		case "review":
			p.review(v, cfg)
		case "layout":
			p.layout(v, cfg)
		}
	})
	if len(p.errs) > 0 {
		// Keys are checked in an order of their own (a pattern after the
		// maximum length it must fit); report in file order.
		sort.SliceStable(p.errs, func(i, j int) bool {
			a, b := p.errs[i], p.errs[j]
			return a.Line < b.Line || (a.Line == b.Line && a.Column < b.Column)
		})
		return nil, p.errs
	}
	return cfg, nil
}

var topKeys = []string{"version", "team", "naming", "labels", "annotations", "namespace", "resources", "kubernetesVersion", "failOnMissingSchema", "charts", "formats", "examples", "policies", "policy", "review", "layout"}

var (
	versionRE   = regexp.MustCompile(`^v?\d+\.\d+(\.\d+)?$`)
	yamlLineRE  = regexp.MustCompile(`line (\d+)`)
	chartNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$`)
	formatNames = []string{"helm", "kustomize", "terraform"}
)

type parser struct {
	file string
	errs Errors
}

func (p *parser) errorf(n *yaml.Node, key, format string, args ...any) {
	e := &Error{File: p.file, Key: key, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

func syntaxError(name string, err error) *Error {
	e := &Error{File: name, Message: strings.TrimPrefix(err.Error(), "yaml: ")}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Message = strings.TrimPrefix(e.Message, m[0]+": ")
		}
	}
	e.Message = "invalid YAML: " + e.Message
	return e
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// mapping walks the key/value pairs of n, reporting duplicate keys, keys
// not in known (when known is not nil) and non-string keys.
func (p *parser) mapping(n *yaml.Node, prefix string, known []string, each func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, prefix, "must be a mapping, not %s", kindName(n))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, prefix, "keys must be strings, not %s", kindName(k))
			continue
		}
		full := join(prefix, k.Value)
		if line, dup := seen[k.Value]; dup {
			p.errorf(k, full, "duplicate key (first set on line %d)", line)
			continue
		}
		seen[k.Value] = k.Line
		if known != nil && !contains(known, k.Value) {
			msg := "unknown key"
			if s := suggest(k.Value, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += fmt.Sprintf(" (known keys: %s)", strings.Join(known, ", "))
			}
			p.errorf(k, full, "%s", msg)
			continue
		}
		each(k.Value, k, v)
	}
}

func (p *parser) str(v *yaml.Node, key string) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		p.errorf(v, key, "must be a string, not %s", kindName(v))
		return "", false
	}
	return v.Value, true
}

func (p *parser) integer(v *yaml.Node, key string) (int, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
		p.errorf(v, key, "must be a whole number, not %s", describe(v))
		return 0, false
	}
	n, err := strconv.Atoi(v.Value)
	if err != nil {
		p.errorf(v, key, "must be a whole number, not %s", describe(v))
		return 0, false
	}
	return n, true
}

func (p *parser) naming(v *yaml.Node, cfg *Config) {
	p.mapping(v, "naming", []string{"pattern", "maxLength", "allowedChars"}, func(key string, _, v *yaml.Node) {
		full := "naming." + key
		switch key {
		case "pattern":
			if s, ok := p.str(v, full); ok {
				cfg.Naming.Pattern = s
			}
		case "maxLength":
			if n, ok := p.integer(v, full); ok {
				if n < 1 || n > 253 {
					p.errorf(v, full, "must be from 1 to 253, not %d", n)
				}
				cfg.Naming.MaxLength = n
			}
		case "allowedChars":
			if s, ok := p.str(v, full); ok {
				if _, err := regexp.Compile("^[" + s + "]*$"); err != nil || s == "" {
					p.errorf(v, full, "%q is not a character class such as a-z0-9-", s)
				}
				cfg.Naming.AllowedChars = s
			}
		}
	})
	if cfg.Naming.Pattern == "" {
		return
	}
	node := find(v, "pattern")
	if bad := unknownPlaceholders(cfg.Naming.Pattern); len(bad) > 0 {
		p.errorf(node, "naming.pattern", "unknown placeholder %s (known: {env}, {app}, {component}, {team})", bad[0])
		return
	}
	literal := placeholderRE.ReplaceAllString(cfg.Naming.Pattern, "")
	allowed, err := regexp.Compile("^[" + cfg.AllowedChars() + "]*$")
	if err == nil && !allowed.MatchString(literal) {
		p.errorf(node, "naming.pattern", "%q holds characters outside naming.allowedChars (%s)", cfg.Naming.Pattern, cfg.AllowedChars())
	}
	if !strings.Contains(cfg.Naming.Pattern, "{app}") && !strings.Contains(cfg.Naming.Pattern, "{component}") {
		p.errorf(node, "naming.pattern", "%q names every app alike: use {app} or {component}", cfg.Naming.Pattern)
	}
}

// metadata reads labels or annotations: a mapping of qualified names to
// scalar values.
func (p *parser) metadata(v *yaml.Node, key string, label bool) (map[string]string, []string) {
	out := map[string]string{}
	var keys []string
	p.mapping(v, key, nil, func(name string, k, v *yaml.Node) {
		full := key + "." + name
		if errs := validation.IsQualifiedName(name); len(errs) > 0 {
			p.errorf(k, full, "%q is not a valid %s key: %s", name, strings.TrimSuffix(key, "s"), errs[0])
			return
		}
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			p.errorf(v, full, "must be a string, not %s", kindName(v))
			return
		}
		if bad := unknownPlaceholders(v.Value); len(bad) > 0 {
			p.errorf(v, full, "unknown placeholder %s (known: {env}, {app}, {component}, {team})", bad[0])
			return
		}
		if label {
			// Check the value with every placeholder replaced by a sample.
			sample := placeholderRE.ReplaceAllString(v.Value, "x")
			if errs := validation.IsValidLabelValue(sample); len(errs) > 0 {
				p.errorf(v, full, "%q is not a valid label value: %s", v.Value, errs[0])
				return
			}
		}
		out[name] = v.Value
		keys = append(keys, name)
	})
	return out, keys
}

func (p *parser) namespace(v *yaml.Node, cfg *Config) {
	node := v
	if v.Kind == yaml.ScalarNode {
		cfg.Namespace.Pattern, _ = p.str(v, "namespace")
	} else {
		p.mapping(v, "namespace", []string{"pattern"}, func(_ string, _, v *yaml.Node) {
			node = v
			cfg.Namespace.Pattern, _ = p.str(v, "namespace.pattern")
		})
	}
	if s := cfg.Namespace.Pattern; s != "" {
		if bad := unknownPlaceholders(s); len(bad) > 0 {
			p.errorf(node, "namespace.pattern", "unknown placeholder %s (known: {env}, {app}, {component}, {team})", bad[0])
		} else if errs := validation.IsDNS1123Label(placeholderRE.ReplaceAllString(s, "x")); len(errs) > 0 {
			p.errorf(node, "namespace.pattern", "%q does not make a valid namespace: %s", s, errs[0])
		}
	}
}

func (p *parser) resources(v *yaml.Node, cfg *Config) {
	cfg.Resources = map[string]Resources{}
	p.mapping(v, "resources", nil, func(env string, _, v *yaml.Node) {
		prefix := "resources." + env
		var r Resources
		p.mapping(v, prefix, []string{"requests", "limits"}, func(kind string, _, v *yaml.Node) {
			q := &r.Requests
			if kind == "limits" {
				q = &r.Limits
			}
			p.mapping(v, prefix+"."+kind, []string{"cpu", "memory"}, func(res string, _, v *yaml.Node) {
				full := prefix + "." + kind + "." + res
				s, ok := p.str(v, full)
				if !ok {
					return
				}
				if _, err := resource.ParseQuantity(s); err != nil {
					p.errorf(v, full, "%q is not a Kubernetes quantity (want for example 250m or 512Mi)", s)
					return
				}
				if res == "cpu" {
					q.CPU = s
				} else {
					q.Memory = s
				}
			})
		})
		for _, pair := range [][3]string{{r.Requests.CPU, r.Limits.CPU, "cpu"}, {r.Requests.Memory, r.Limits.Memory, "memory"}} {
			if pair[0] == "" || pair[1] == "" {
				continue
			}
			req, err1 := resource.ParseQuantity(pair[0])
			lim, err2 := resource.ParseQuantity(pair[1])
			if err1 == nil && err2 == nil && req.Cmp(lim) > 0 {
				p.errorf(find(find(v, "requests"), pair[2]), prefix+".requests."+pair[2], "request %s is more than the limit %s", pair[0], pair[1])
			}
		}
		cfg.Resources[env] = r
	})
}

func (p *parser) charts(v *yaml.Node, cfg *Config) {
	cfg.Charts = map[string]Chart{}
	p.mapping(v, "charts", nil, func(component string, k, v *yaml.Node) {
		prefix := "charts." + component
		var c Chart
		p.mapping(v, prefix, []string{"repository", "chart", "version"}, func(key string, _, v *yaml.Node) {
			full := prefix + "." + key
			s, ok := p.str(v, full)
			if !ok {
				return
			}
			switch key {
			case "repository":
				u, err := url.Parse(s)
				if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "oci") {
					p.errorf(v, full, "%q is not a chart repository URL (want https://... or oci://...)", s)
				}
				c.Repository = s
			case "chart":
				if !chartNameRE.MatchString(s) {
					p.errorf(v, full, "%q is not a chart name", s)
				}
				c.Chart = s
			case "version":
				if _, err := semver.NewConstraint(s); err != nil {
					p.errorf(v, full, "%q is not a version constraint (want for example 19.6.x or ~19.6.0)", s)
				}
				c.Version = s
			}
		})
		if v.Kind != yaml.MappingNode {
			return
		}
		for _, req := range []struct{ key, val string }{{"repository", c.Repository}, {"chart", c.Chart}, {"version", c.Version}} {
			if req.val == "" && find(v, req.key) == nil {
				p.errorf(k, prefix+"."+req.key, "is required")
			}
		}
		cfg.Charts[strings.ToLower(component)] = c
	})
}

func (p *parser) formats(v *yaml.Node, cfg *Config) {
	p.mapping(v, "formats", nil, func(glob string, k, v *yaml.Node) {
		full := "formats." + glob
		s, ok := p.str(v, full)
		if !ok {
			return
		}
		if !contains(formatNames, s) {
			p.errorf(v, full, "unknown format %q (want helm, kustomize or terraform)", s)
			return
		}
		for _, el := range strings.Split(strings.Trim(glob, "/"), "/") {
			if _, err := pathMatch(el); err != nil {
				p.errorf(k, full, "%q is not a valid path glob: %v", glob, err)
				return
			}
		}
		cfg.Formats = append(cfg.Formats, FormatRule{Path: glob, Format: s})
	})
}

func (p *parser) folder(v *yaml.Node, key string) string {
	s, ok := p.str(v, key)
	if !ok {
		return ""
	}
	c, err := workspace.Clean(s)
	if err != nil || c == "." {
		p.errorf(v, key, "%q must be a folder inside the repository", s)
		return ""
	}
	return c
}

// find returns the value of key in the mapping n, or nil.
func find(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "empty"
	}
	return "a scalar"
}

func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return strconv.Quote(n.Value)
	}
	return kindName(n)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest returns the known key closest to s when it is a likely typo.
func suggest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := distance(strings.ToLower(s), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
