package genconfig

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Delivery mechanisms a layout names: how the repository's apps reach a
// cluster.
const (
	// DeliveryFluxHelmRelease is a Flux HelmRelease of a chart, read from
	// a HelmRepository or OCIRepository.
	DeliveryFluxHelmRelease = "flux-helmrelease"
	// DeliveryArgoApplication is an Argo CD Application per app.
	DeliveryArgoApplication = "argocd-application"
	// DeliveryHelmChart is a chart folder per app, kept in the repository.
	DeliveryHelmChart = "helm-chart"
	// DeliveryKustomize is a Kustomize base (and overlays) per app.
	DeliveryKustomize = "kustomize"
)

// Deliveries lists the delivery mechanisms layout.delivery accepts.
var Deliveries = []string{DeliveryFluxHelmRelease, DeliveryArgoApplication, DeliveryHelmChart, DeliveryKustomize}

// Layout says where a repository keeps its apps and how it deploys them:
// the layout: key, which aiden init proposes from what the repository
// already does. The zero value states no layout.
type Layout struct {
	// Delivery is how apps are delivered (one of Deliveries).
	Delivery string
	// Apps is the folder of one app, with {app} (apps/base/{app}).
	Apps string
	// Overlays is the folder, with {env}, whose kustomization lists the
	// apps deployed to an environment (apps/{env}); empty when apps are not
	// listed per environment.
	Overlays string
	// Patches is the file, with {env} and {app}, that holds an
	// environment's patch of an app, listed in the overlay's patches (for
	// a HelmRelease, its values: apps/{env}/{app}-values.yaml); empty when
	// apps are not patched per environment.
	Patches string
	// Clusters is the folder, with {env}, of a cluster's entry point
	// (clusters/{env}).
	Clusters string
	// Environments are the environments the repository deploys to.
	Environments []string
	// Files names the file an app keeps each kind in (HelmRelease:
	// release.yaml); kinds not listed go in <kind in lower case>.yaml.
	Files map[string]string
	// FileKinds lists the keys of Files in file order.
	FileKinds []string
	// NamespaceObject says that each app folder holds the Namespace its
	// objects live in.
	NamespaceObject bool
	// Applications is the folder, with {env} when there is one per
	// environment, that an Argo CD app-of-apps root Application syncs:
	// each app is an Application in it, in the file {app}.yaml
	// (clusters/{env}); empty when Applications are not kept so.
	Applications string
	// Application holds the fields every Application of the repository
	// shares (metadata.finalizers, spec.project, spec.destination,
	// spec.syncPolicy), as YAML values; strings may use {app} and {env}.
	// A new app's Application takes them (argocd-application delivery).
	Application map[string]any
}

// ApplicationFile returns the file of app's Argo CD Application under
// the layout ("" without an applications folder).
func (l Layout) ApplicationFile(app, env string) string {
	if l.Applications == "" || app == "" || strings.Contains(l.Applications, "{env}") && env == "" {
		return ""
	}
	return expandLayout(l.Applications, app, env) + "/" + app + ".yaml"
}

// MatchApplication reports whether dir names an app in the folder of
// Applications (clusters/dev/redis for applications: clusters/{env}), and
// returns the app's name and environment.
func (l Layout) MatchApplication(dir string) (app, env string, ok bool) {
	if l.Applications == "" {
		return "", "", false
	}
	dir = strings.Trim(dir, "/")
	i := strings.LastIndex(dir, "/")
	if i < 0 {
		return "", "", false
	}
	m := layoutRegexp(l.Applications).FindStringSubmatch(dir[:i])
	if m == nil {
		return "", "", false
	}
	app = dir[i+1:]
	if len(m) > 1 {
		env = m[1]
	}
	return app, env, validation.IsDNS1123Label(app) == nil
}

// IsZero reports whether l states nothing.
func (l Layout) IsZero() bool {
	return l.Delivery == "" && l.Apps == "" && l.Overlays == "" && l.Patches == "" && l.Clusters == "" &&
		len(l.Environments) == 0 && len(l.Files) == 0 && !l.NamespaceObject && l.Applications == "" && len(l.Application) == 0
}

// AppDir returns the folder of app under the layout ("" without an apps
// pattern).
func (l Layout) AppDir(app, env string) string {
	if l.Apps == "" {
		return ""
	}
	return expandLayout(l.Apps, app, env)
}

// OverlayDir returns the folder listing env's apps ("" without one).
func (l Layout) OverlayDir(env string) string {
	if l.Overlays == "" || env == "" {
		return ""
	}
	return expandLayout(l.Overlays, "", env)
}

// PatchFile returns the file of app's patch for env ("" without one).
func (l Layout) PatchFile(app, env string) string {
	if l.Patches == "" || env == "" {
		return ""
	}
	return expandLayout(l.Patches, app, env)
}

// FileFor returns the file name an app keeps objects of kind in.
func (l Layout) FileFor(kind string) string {
	if f, ok := l.Files[kind]; ok {
		return f
	}
	return strings.ToLower(kind) + ".yaml"
}

// MatchApp reports whether dir (a slash path relative to the repository
// root) is an app folder of the layout, and returns the app's name and
// the environment the path names, if any.
func (l Layout) MatchApp(dir string) (app, env string, ok bool) {
	if l.Apps == "" {
		return "", "", false
	}
	re := layoutRegexp(l.Apps)
	m := re.FindStringSubmatch(strings.Trim(dir, "/"))
	if m == nil {
		return "", "", false
	}
	for i, name := range re.SubexpNames() {
		switch name {
		case "app":
			app = m[i]
		case "env":
			env = m[i]
		}
	}
	return app, env, app != ""
}

func expandLayout(pattern, app, env string) string {
	return strings.NewReplacer("{app}", app, "{env}", env).Replace(pattern)
}

// layoutRegexp turns a layout pattern into a regular expression whose
// named groups are its placeholders.
func layoutRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	seen := map[string]bool{}
	rest := pattern
	for {
		i := strings.Index(rest, "{")
		j := strings.Index(rest, "}")
		if i < 0 || j < i {
			b.WriteString(regexp.QuoteMeta(rest))
			break
		}
		b.WriteString(regexp.QuoteMeta(rest[:i]))
		name := rest[i+1 : j]
		if seen[name] {
			fmt.Fprintf(&b, "[a-z0-9][a-z0-9.-]*")
		} else {
			fmt.Fprintf(&b, "(?P<%s>[a-z0-9][a-z0-9.-]*)", name)
			seen[name] = true
		}
		rest = rest[j+1:]
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

var layoutKeys = []string{"delivery", "apps", "overlays", "patches", "clusters", "environments", "files", "namespaceObject", "applications", "application"}

// layout reads the layout: key.
func (p *parser) layout(v *yaml.Node, cfg *Config) {
	l := &cfg.Layout
	p.mapping(v, "layout", layoutKeys, func(key string, _, v *yaml.Node) {
		full := "layout." + key
		switch key {
		case "delivery":
			if s, ok := p.str(v, full); ok {
				if !contains(Deliveries, s) {
					p.errorf(v, full, "unknown delivery %q (want %s)", s, strings.Join(Deliveries, ", "))
				}
				l.Delivery = s
			}
		case "apps":
			l.Apps = p.layoutPath(v, full, []string{"{app}"}, []string{"app", "env"})
		case "overlays":
			l.Overlays = p.layoutPath(v, full, []string{"{env}"}, []string{"env"})
		case "patches":
			l.Patches = p.layoutPath(v, full, []string{"{env}", "{app}"}, []string{"app", "env"})
		case "clusters":
			l.Clusters = p.layoutPath(v, full, []string{"{env}"}, []string{"env"})
		case "environments":
			if v.Kind != yaml.SequenceNode {
				p.errorf(v, full, "must be a list of environment names, not %s", kindName(v))
				return
			}
			for _, e := range v.Content {
				s, ok := p.str(e, full)
				if !ok {
					continue
				}
				if errs := validation.IsDNS1123Label(s); len(errs) > 0 {
					p.errorf(e, full, "%q is not a valid environment name: %s", s, errs[0])
					continue
				}
				l.Environments = append(l.Environments, s)
			}
		case "files":
			l.Files = map[string]string{}
			p.mapping(v, full, nil, func(kind string, k, v *yaml.Node) {
				s, ok := p.str(v, full+"."+kind)
				if !ok {
					return
				}
				if strings.Contains(s, "/") || !(strings.HasSuffix(s, ".yaml") || strings.HasSuffix(s, ".yml")) {
					p.errorf(v, full+"."+kind, "%q must be a YAML file name in the app folder (release.yaml)", s)
					return
				}
				l.Files[kind] = s
				l.FileKinds = append(l.FileKinds, kind)
			})
		case "applications":
			l.Applications = p.layoutPath(v, full, nil, []string{"env"})
		case "application":
			if v.Kind != yaml.MappingNode {
				p.errorf(v, full, "must be a mapping of the fields every Application shares, not %s", kindName(v))
				return
			}
			if err := v.Decode(&l.Application); err != nil {
				p.errorf(v, full, "%v", err)
			}
		case "namespaceObject":
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
				p.errorf(v, full, "want true or false")
			} else {
				l.NamespaceObject = v.Value == "true"
			}
		}
	})
}

// layoutPath reads a layout path: a folder inside the repository holding
// the placeholders want and no others than allowed.
func (p *parser) layoutPath(v *yaml.Node, key string, want, allowed []string) string {
	s, ok := p.str(v, key)
	if !ok {
		return ""
	}
	for _, m := range placeholderRE.FindAllString(s, -1) {
		if !contains(allowed, strings.Trim(m, "{}")) {
			p.errorf(v, key, "placeholder %s cannot be used here (allowed: {%s})", m, strings.Join(allowed, "}, {"))
			return ""
		}
	}
	for _, w := range want {
		if !strings.Contains(s, w) {
			p.errorf(v, key, "%q must hold %s", s, w)
			return ""
		}
	}
	sample := placeholderRE.ReplaceAllString(s, "x")
	if sample != strings.Trim(sample, "/") || strings.Contains(sample, "//") || strings.HasPrefix(sample, "..") || strings.Contains(sample, "/../") || strings.Contains(sample, "*") {
		p.errorf(v, key, "%q must be a path inside the repository, without globs, leading or trailing slashes", s)
		return ""
	}
	return s
}
