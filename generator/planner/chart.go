package planner

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"

	"github.com/stackgen/aiden/catalog"
	"github.com/stackgen/aiden/workspace"
)

// aliasAlternation is the catalogue's aliases as one regular-expression
// alternation, longest first; hyphens and spaces in an alias match either.
func aliasAlternation(includeBuiltin bool) string {
	var alts []string
	for _, a := range catalog.Aliases() {
		if !includeBuiltin && (a.Component == BlueprintRedis || a.Component == BlueprintPostgreSQL) {
			continue
		}
		w := regexp.QuoteMeta(a.Words)
		w = strings.NewReplacer("-", "[- ]?", " ", "[- ]?").Replace(w)
		alts = append(alts, w)
	}
	return strings.Join(alts, "|")
}

// aliasComponent returns the component an alias as matched names.
func aliasComponent(words string) (string, bool) {
	norm := func(s string) string { return strings.NewReplacer("-", "", " ", "").Replace(s) }
	for _, a := range catalog.Aliases() {
		if norm(a.Words) == norm(words) {
			return a.Component, true
		}
	}
	return "", false
}

// countWords follow a number that is a count or a size, not a version.
var countWords = lazyRE(`^(?:replicas?|instances?|copies|pods?|nodes?|members?|brokers?|gi|gib|gb|g|mi|mib|mb|ti|tb|cpus?|cores?|%)`)

var catalogRules = sync.OnceValue(func() []rule {
	suffix := `(?:[- ](?:cluster|server|instance|database|db|broker|brokers|deployment|setup|chart|helm chart|service|statefulset))?`
	return []rule{
		// "a Kafka consumer", "a RabbitMQ worker": a worker of the
		// software, not the software.
		{lazyRE(`(?:^|\s)((?:a |an |the )?(` + aliasAlternation(true) + `|sqs|sns|nats)[- ](consumers?|producers?|workers?|processors?|listeners?|subscribers?))(?:\s|$)`),
			func(p *parser, m match) bool {
				p.component(BlueprintWorker, m.from)
				p.fact("note", "a "+strings.TrimSuffix(m.groups[3], "s")+" of "+m.groups[2], m.from)
				return true
			}},
		// "PostgreSQL 16", "mongodb version 7.0", "redis v7.2": a version.
		{lazyRE(`(?:^|\s)(` + aliasAlternation(true) + `)` + suffix + `(?: version)? v?(\d+(?:\.\d+){0,2})(?:\s|$)`),
			func(p *parser, m match) bool {
				rest := strings.TrimLeft(string(p.masked[m.idx[1]:]), " \x00")
				if countWords().MatchString(rest) {
					return false
				}
				name, ok := aliasComponent(m.groups[1])
				if !ok {
					return false
				}
				p.component(name, m.from)
				p.version, p.versionFrom = m.groups[2], m.from
				p.fact("version", m.groups[2], m.from)
				return true
			}},
		// The software of the catalogue by name. Redis and PostgreSQL have
		// rules of their own further on.
		{lazyRE(`(?:^|\s)(` + aliasAlternation(false) + `)` + suffix + `(?:\s|$)`),
			func(p *parser, m match) bool {
				name, ok := aliasComponent(m.groups[1])
				if !ok || name == BlueprintRedis || name == BlueprintPostgreSQL {
					return false
				}
				p.component(name, m.from)
				return true
			}},
		// "DATABASE_URL from the secret store vault at key shop/db": an
		// ExternalSecret copies it into a Secret the variable reads.
		{re(`(?:and |with )?([a-z_][a-z0-9_]*) (?:from|in) (?:the )?(cluster )?(?:secret ?store|external secrets? store|store) ([a-z0-9][a-z0-9.-]*[a-z0-9]) (?:at |under |in )?(?:(?:the )?(?:key|path) )?([a-z0-9][a-z0-9/_.-]*[a-z0-9])`),
			func(p *parser, m match) bool {
				name := m.orig(1)
				if strings.ToUpper(name) != name || !strings.ContainsAny(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
					return false
				}
				kind := "SecretStore"
				if m.groups[2] != "" {
					kind = "ClusterSecretStore"
				}
				if p.store != nil && (p.store.Store != m.groups[3] || p.store.StoreKind != kind) {
					return false
				}
				p.store = &ExternalSecretStore{Store: m.groups[3], StoreKind: kind}
				p.env = append(p.env, EnvRef{Name: name, Kind: "external", Ref: m.orig(4), Key: name})
				p.fact("env", fmt.Sprintf("%s from %s %s key %s (ExternalSecret)", name, kind, m.groups[3], m.orig(4)), m.from)
				return true
			}},
		// "DATABASE_URL from the secret shop-db", "LOG_LEVEL from the
		// configmap api-config key level": one variable.
		{re(`(?:and |with )?([a-z_][a-z0-9_]*) (?:from|in|out of) (?:the )?(?:existing )?(secret|configmap|config map|config-map|sealed ?secret|external ?secret) (?:called |named )?([a-z0-9][a-z0-9.-]*[a-z0-9])(?: (?:key|under key|under) ([a-z0-9_.-]+))?`),
			func(p *parser, m match) bool {
				name := m.orig(1)
				if strings.ToUpper(name) != name || !strings.ContainsAny(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
					return false
				}
				key := name
				if m.groups[4] != "" {
					key = m.orig(4)
				}
				e := EnvRef{Name: name, Kind: envKind(m.groups[2]), Ref: m.groups[3], Key: key}
				p.env = append(p.env, e)
				p.fact("env", fmt.Sprintf("%s from %s %s key %s", name, e.Kind, e.Ref, key), m.from)
				return true
			}},
		// "with env vars from the configmap api-settings": all its keys.
		{re(`(?:and |with )?(?:its |all )?(?:env|environment|env vars|environment variables|variables|settings|config|configuration) (?:from|in) (?:the )?(?:existing )?(secret|configmap|config map|config-map|sealed ?secret|external ?secret) (?:called |named )?([a-z0-9][a-z0-9.-]*[a-z0-9])`),
			func(p *parser, m match) bool {
				e := EnvRef{Kind: envKind(m.groups[1]), Ref: m.groups[2]}
				p.envFrom = append(p.envFrom, e)
				p.fact("env", fmt.Sprintf("every key of %s %s", e.Kind, e.Ref), m.from)
				return true
			}},
		// "with settings LOG_LEVEL=debug and CACHE_TTL=60".
		{re(`(?:with |and )?(?:a |the )?(?:configmap|config map|settings|config)(?: (?:for its|for the|of) settings)?(?: of| with|:)? ((?:[a-z_][a-z0-9_]*=[^\s,]+(?:,? (?:and )?| |$))+)`),
			func(p *parser, m match) bool {
				pairs := strings.FieldsFunc(m.orig(1), func(r rune) bool { return r == ',' || r == ' ' })
				if p.settings == nil {
					p.settings = map[string]string{}
				}
				for _, kv := range pairs {
					if kv == "and" {
						continue
					}
					k, v, _ := strings.Cut(kv, "=")
					p.settings[k] = v
				}
				p.fact("settings", strings.Join(pairs, " "), m.from)
				return true
			}},
		// "with a ConfigMap for its settings" names none: asked, but empty.
		{re(`(?:with |and )?(?:a |its )?(?:configmap|config map)(?: (?:for its|for the|of) (?:settings|config|configuration))?`),
			func(p *parser, m match) bool { p.settingsAsked = m.from; return true }},
		// "with a NetworkPolicy that only allows traffic from the api
		// namespace", "only reachable from pods labelled app=frontend".
		{re(`(?:with )?(?:a |an )?(?:network ?polic(?:y|ies)|netpol)?(?: that| which)?(?: only)? (?:allow(?:s|ing)?|accept(?:s|ing)?|admit(?:s|ting)?|reachable|accessible)(?: only)?(?: (?:traffic|connections|requests|ingress))?(?: only)? from (?:the )?(?:([a-z0-9][a-z0-9-]*) namespace|namespace ([a-z0-9][a-z0-9-]*)|pods? (?:labell?ed|with (?:the )?label) ([a-z0-9][a-z0-9./-]*)=([a-z0-9][a-z0-9._-]*))`),
			func(p *parser, m match) bool {
				if p.netpol == nil {
					p.netpol = &NetworkPolicy{}
				}
				switch ns := m.groups[1] + m.groups[2]; {
				case ns != "":
					p.netpol.Namespaces = append(p.netpol.Namespaces, ns)
					p.fact("network-policy", "from namespace "+ns, m.from)
				default:
					if p.netpol.PodLabels == nil {
						p.netpol.PodLabels = map[string]string{}
					}
					p.netpol.PodLabels[m.orig(3)] = m.orig(4)
					p.fact("network-policy", "from pods "+m.orig(3)+"="+m.orig(4), m.from)
				}
				return true
			}},
		{re(`(?:with )?(?:a |an )?(?:network ?polic(?:y|ies)|netpol)`),
			func(p *parser, m match) bool { p.netpolAsked = m.from; return true }},
		// What a job's image does: "that runs database migrations".
		{re(`(?:that|which|to) (?:runs?|applies|apply|performs?|does|executes?) (?:the |our )?(?:database |db |schema )?(migrations?|backups?|cleanups?|seeding|seeds?|reindexing|data imports?|imports?)`),
			func(p *parser, m match) bool { p.fact("purpose", m.groups[1], m.from); return true }},
		// "a canary release sending 10% of traffic", "canary in 20% steps
		// up to 60%".
		// (Bounded by spaces rather than \b, which a closing % defeats.)
		{lazyRE(`(?:^|\s)((?:as |with |using )?(?:a |an )?(?:flagger )?canar(?:y|ies)(?: (?:release|deployment|rollout|analysis))?(?:(?: (?:sending|shifting|moving|routing|with|of|at|in steps of|stepping|by))? (\d{1,2}) ?%(?: (?:steps?|increments?))?(?: (?:of )?(?:the )?(?:traffic|requests))?(?: (?:at a time|per step|each step|every minute))?)?(?: up to (\d{1,3}) ?%)?)(?:\s|$)`),
			func(p *parser, m match) bool {
				c := &Canary{StepWeight: 10, MaxWeight: 50}
				if m.groups[2] != "" {
					c.StepWeight = atoi(m.groups[2])
				} else {
					p.def("canary", "steps of 10%")
				}
				if m.groups[3] != "" {
					c.MaxWeight = atoi(m.groups[3])
				}
				if c.StepWeight < 1 || c.MaxWeight > 100 || c.StepWeight > c.MaxWeight {
					return false
				}
				p.canary, p.canaryFrom = c, m.from
				p.fact("canary", fmt.Sprintf("steps of %d%% up to %d%%", c.StepWeight, c.MaxWeight), m.from)
				return true
			}},
		// "a StatefulSet", and where its volume is mounted.
		{re(`(?:as )?(?:a |an )?stateful ?sets?`),
			func(p *parser, m match) bool { p.component(BlueprintStatefulSet, m.from); return true }},
		{lazyRE(`(?:^|\s)((?:(?:mounted|mount it|mount) )(?:at|on|in) (/[a-z0-9._/-]*))(?:\s|$)`),
			func(p *parser, m match) bool {
				p.mountPath = m.orig(2)
				p.fact("mount path", p.mountPath, m.from)
				return true
			}},
		// "a DaemonSet", "on every node".
		{re(`(?:as )?(?:a |an )?(?:daemon ?sets?|(?:on|to|across) (?:every|each|all(?: the)?) nodes?|per node|node agent)`),
			func(p *parser, m match) bool { p.component(BlueprintDaemonSet, m.from); return true }},

		// "with the password from the existing secret shop-db".
		{re(`(?:(?:with |and )?(?:the |its )?(?:admin |root )?(?:credentials|password|passwords|auth|authentication|user and password) )?(?:(?:read |taken |coming )?(?:from|in|using|stored in) )(?:the |an |a )?(?:existing )?(?:kubernetes )?secret (?:called |named )?([a-z0-9][a-z0-9.-]*[a-z0-9])`),
			func(p *parser, m match) bool {
				p.authSecret = m.groups[1]
				p.fact("auth", "existing Secret "+m.groups[1], m.from)
				return true
			}},
		{re(`(?:with |and )?(?:the )?(?:existing )?secret (?:called |named )?([a-z0-9][a-z0-9.-]*[a-z0-9]) (?:for|as|holding) (?:the |its )?(?:admin |root )?(?:credentials|password|passwords|auth|authentication)`),
			func(p *parser, m match) bool {
				p.authSecret = m.groups[1]
				p.fact("auth", "existing Secret "+m.groups[1], m.from)
				return true
			}},
	}
})

// builtinVersions are the image tags the built-in charts pin per version
// line: the newest patch release of each.
var builtinVersions = map[string]map[string]string{
	BlueprintPostgreSQL: {"17": "17.6", "16": "16.10", "15": "15.14", "14": "14.19", "13": "13.22"},
	BlueprintRedis:      {"8": "8.2.2", "8.2": "8.2.2", "7": "7.4.6", "7.4": "7.4.6", "7.2": "7.2.11", "6": "6.2.20", "6.2": "6.2.20"},
}

// builtinVersion returns the image tag of a version asked of the built-in
// redis or postgresql chart.
func (p *parser) builtinVersion(plan *Plan, blueprint string) {
	if p.version == "" {
		return
	}
	plan.Version = p.version
	lines := builtinVersions[blueprint]
	if tag, ok := lines[p.version]; ok {
		plan.Image.Tag = tag
		return
	}
	parts := strings.Split(p.version, ".")
	line := parts[0]
	if blueprint == BlueprintRedis && len(parts) > 1 {
		line = parts[0] + "." + parts[1]
	}
	if _, ok := lines[line]; ok && (blueprint == BlueprintPostgreSQL && len(parts) == 2 || blueprint == BlueprintRedis && len(parts) == 3) {
		// An exact release of a supported line: its tag.
		plan.Image.Tag = p.version
		return
	}
	known := sortedKeys(lines)
	plan.refuse(fmt.Sprintf("version %s of %s: the built-in chart runs the lines %s (or an exact release of one, like %s)",
		p.version, blueprint, strings.Join(known, ", "), lines[known[len(known)-1]]))
}

// fillChart fills a catalogue chart's plan: its values from the facts
// the intent stated, checked against the chart's values schema.
func (p *parser) fillChart(plan *Plan) error {
	c := plan.Chart
	if p.version != "" {
		plan.Version = p.version
		app := strings.TrimPrefix(c.AppVersion, "v")
		if app != p.version && !strings.HasPrefix(app, p.version+".") {
			plan.refuse(fmt.Sprintf("%s %s: the catalogue pins chart %s %s, which runs %s %s; another version needs its chart version set by hand or a model",
				c.Title, p.version, c.Chart, c.Version, c.Title, c.AppVersion))
		}
	}
	if p.image != nil {
		plan.refuse(fmt.Sprintf("image %s with %s: the upstream chart runs its own image", p.image, c.Title))
	}
	notApplicable(plan, "a port", p.port != 0)
	notApplicable(plan, "a schedule", p.schedule != nil)
	notApplicable(plan, "autoscaling", p.autoscaling != nil)
	f := catalog.Facts{Replicas: p.replicas, Storage: p.storage, Persistence: p.persistence, CPU: p.cpu, Memory: p.memory, AuthSecret: p.authSecret}
	if p.ingress != nil {
		if p.ingress.Host == "" {
			return fmt.Errorf("%w: an ingress needs a host (\"exposed at %s.example.com\")", ErrIncomplete, c.Component)
		}
		f.Host, f.TLS = p.ingress.Host, p.ingress.TLS
	}
	if (p.failover || p.replication) && f.Replicas == 0 {
		f.Replicas = 3
		p.def("replicas", "3")
		plan.note(fmt.Sprintf("failover asked: %s runs 3 replicas", c.Title))
	}
	if (p.failover || p.replication) && f.Replicas < 2 {
		plan.refuse(fmt.Sprintf("failover with %d replica", f.Replicas))
	}
	plan.Replicas, plan.Storage, plan.AuthSecret = f.Replicas, f.Storage, f.AuthSecret
	plan.Persistence = p.persistence != nil && *p.persistence || f.Storage != ""
	if f.Host != "" {
		plan.Ingress = &Ingress{Host: f.Host, TLS: f.TLS}
	}
	plan.Resources = Resources{CPURequest: p.cpu, CPULimit: p.cpu, MemoryRequest: p.memory, MemoryLimit: p.memory}
	if len(plan.refusals) > 0 {
		return nil
	}
	v, err := c.Values(f)
	var u *catalog.UnsupportedError
	if errors.As(err, &u) {
		plan.refuse(fmt.Sprintf("%s for %s: %s", u.Fact, c.Title, u.Reason))
		return nil
	}
	if err != nil {
		return fmt.Errorf("values for %s: %w", c.Component, err)
	}
	plan.ChartValues = v
	p.def("chart", fmt.Sprintf("%s %s from %s", c.Chart, c.Version, c.Repository))
	return nil
}

// ChartFiles returns the files that install a catalogue chart: with Flux,
// a HelmRelease and its HelmRepository or OCIRepository (none when src
// already exists); without, a chart wrapping the upstream chart as a
// dependency, its values under the dependency's name.
func (p *Plan) ChartFiles(flux bool, src ChartSource) ([]workspace.File, error) {
	if p.Chart == nil {
		return nil, fmt.Errorf("plan has no catalogue chart")
	}
	if flux {
		return p.chartRelease(src)
	}
	return p.wrapperChart()
}

func (p *Plan) header() string {
	return fmt.Sprintf("# %s.\n# Chart source: %s (%s); values checked against the chart's values schema where it has one.\n",
		p.Summary(), p.Chart.Source, p.Chart.Licence)
}

// wrapperChart is a chart with the upstream chart as its one dependency;
// `helm dependency build` fetches it.
func (p *Plan) wrapperChart() ([]workspace.File, error) {
	c := p.Chart
	var ch bytes.Buffer
	fmt.Fprintf(&ch, "apiVersion: v2\nname: %s\ndescription: %s\ntype: application\n", plainYAML(p.App), quoteYAML(p.Summary()))
	fmt.Fprintf(&ch, "# The chart's own version; bump it on every change.\nversion: 0.1.0\nappVersion: %s\n", quoteYAML(c.AppVersion))
	fmt.Fprintf(&ch, "# `helm dependency build` fetches the pinned upstream chart into charts/.\n")
	fmt.Fprintf(&ch, "dependencies:\n  - name: %s\n    version: %s\n    repository: %s\n", c.Chart, quoteYAML(c.Version), c.Repository)
	fmt.Fprintf(&ch, "annotations:\n  stackgen.io/generated-by: aiden-planner\n  stackgen.io/blueprint: chart\n  stackgen.io/catalog: %s\n", c.Component)
	values, err := p.valuesYAML(c.Chart)
	if err != nil {
		return nil, err
	}
	files := []workspace.File{
		{Path: ".helmignore", Content: []byte(".aiden/\n")},
		{Path: "Chart.yaml", Content: ch.Bytes()},
		{Path: "values.yaml", Content: append([]byte(p.header()), values...)},
	}
	return files, checkYAML(files)
}

// valuesYAML writes the chart values, under key when it is not empty.
func (p *Plan) valuesYAML(key string) ([]byte, error) {
	v := any(p.ChartValues)
	if p.ChartValues == nil {
		v = map[string]any{}
	}
	if key != "" {
		v = map[string]any{key: v}
	}
	b, err := yaml.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("write values: %w", err)
	}
	return b, nil
}

// chartRelease is a Flux HelmRelease of the catalogue chart, with the
// source it reads the chart from.
func (p *Plan) chartRelease(src ChartSource) ([]workspace.File, error) {
	c := p.Chart
	name := src.Name
	if name == "" {
		name = c.Chart
	}
	values, err := p.valuesYAML("")
	if err != nil {
		return nil, err
	}
	oci := c.OCI() && !src.Existing
	var hr bytes.Buffer
	hr.WriteString(p.header())
	fmt.Fprintf(&hr, "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: %s\nspec:\n  interval: 10m\n", p.App)
	if oci {
		fmt.Fprintf(&hr, "  chartRef:\n    kind: OCIRepository\n    name: %s\n", name)
		if src.Namespace != "" {
			fmt.Fprintf(&hr, "    namespace: %s\n", src.Namespace)
		}
	} else {
		fmt.Fprintf(&hr, "  chart:\n    spec:\n      chart: %s\n      version: %s\n      sourceRef:\n        kind: HelmRepository\n        name: %s\n", c.Chart, quoteYAML(c.Version), name)
		if src.Namespace != "" {
			fmt.Fprintf(&hr, "        namespace: %s\n", src.Namespace)
		}
		fmt.Fprintf(&hr, "      interval: 1h\n")
	}
	fmt.Fprintf(&hr, "  install:\n    crds: CreateReplace\n    remediation:\n      retries: 3\n  upgrade:\n    crds: CreateReplace\n    remediation:\n      retries: 3\n")
	if len(p.ChartValues) > 0 {
		fmt.Fprintf(&hr, "  values:\n")
		for _, l := range strings.Split(strings.TrimSuffix(string(values), "\n"), "\n") {
			fmt.Fprintf(&hr, "    %s\n", l)
		}
	}
	files := []workspace.File{{Path: "helmrelease.yaml", Content: hr.Bytes()}}
	resources := []string{"helmrelease.yaml"}
	if !src.Existing {
		var repo bytes.Buffer
		if oci {
			fmt.Fprintf(&repo, "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: %s\n", name)
			if src.Namespace != "" {
				fmt.Fprintf(&repo, "  namespace: %s\n", src.Namespace)
			}
			fmt.Fprintf(&repo, "spec:\n  interval: 1h\n  url: %s/%s\n  ref:\n    tag: %s\n", c.Repository, c.Chart, quoteYAML(c.Version))
			fmt.Fprintf(&repo, "  layerSelector:\n    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip\n    operation: copy\n")
			files = append(files, workspace.File{Path: "ocirepository.yaml", Content: repo.Bytes()})
			resources = append(resources, "ocirepository.yaml")
		} else {
			fmt.Fprintf(&repo, "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: %s\n", name)
			if src.Namespace != "" {
				fmt.Fprintf(&repo, "  namespace: %s\n", src.Namespace)
			}
			fmt.Fprintf(&repo, "spec:\n  interval: 1h\n  url: %s\n", c.Repository)
			files = append(files, workspace.File{Path: "helmrepository.yaml", Content: repo.Bytes()})
			resources = append(resources, "helmrepository.yaml")
		}
	}
	var k bytes.Buffer
	fmt.Fprintf(&k, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for _, r := range resources {
		fmt.Fprintf(&k, "  - %s\n", r)
	}
	files = append(files, workspace.File{Path: "kustomization.yaml", Content: k.Bytes()})
	return files, checkYAML(files)
}

func checkYAML(files []workspace.File) error {
	for _, f := range files {
		if !strings.HasSuffix(f.Path, ".yaml") {
			continue
		}
		var check map[string]any
		if err := yaml.Unmarshal(f.Content, &check); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// WorkspaceGitOps reports which GitOps tools the repository's files use:
// Flux (an object of a toolkit.fluxcd.io API group) and Argo CD (of
// argoproj.io).
func WorkspaceGitOps(ws []workspace.File) (flux, argo bool) {
	for _, f := range ws {
		if !strings.HasSuffix(f.Path, ".yaml") && !strings.HasSuffix(f.Path, ".yml") {
			continue
		}
		if fluxAPI().Match(f.Content) {
			flux = true
		}
		if argoAPI().Match(f.Content) {
			argo = true
		}
	}
	return flux, argo
}

var (
	fluxAPI = lazyRE(`(?m)^apiVersion:\s*["']?[a-z]+\.toolkit\.fluxcd\.io/`)
	argoAPI = lazyRE(`(?m)^apiVersion:\s*["']?argoproj\.io/`)
)

// envKind reads "secret", "sealed secret", "configmap", ... as the kind of
// object a variable comes from: a SealedSecret or ExternalSecret makes a
// Secret of the same name.
func envKind(w string) string {
	if strings.Contains(w, "config") {
		return "configmap"
	}
	return "secret"
}

// fillWorkload sets what a workload takes besides its image: variables
// from Secrets and ConfigMaps, settings, a NetworkPolicy. The built-in
// database charts take none of them.
func (p *parser) fillWorkload(plan *Plan) error {
	switch plan.Blueprint {
	case BlueprintRedis, BlueprintRedisSentinel, BlueprintPostgreSQL:
		notApplicable(plan, "a canary", p.canary != nil)
		notApplicable(plan, "environment variables from Secrets or ConfigMaps", len(p.env)+len(p.envFrom) > 0)
		notApplicable(plan, "settings in a ConfigMap", p.settings != nil || p.settingsAsked != "")
		notApplicable(plan, "a NetworkPolicy", p.netpol != nil || p.netpolAsked != "")
		return nil
	case BlueprintJob:
		notApplicable(plan, "a port", p.port != 0)
	}
	if p.settingsAsked != "" && len(p.settings) == 0 {
		return fmt.Errorf("%w: %q names no settings; give them as KEY=value (\"with settings LOG_LEVEL=debug and CACHE_TTL=60\")", ErrIncomplete, p.settingsAsked)
	}
	if p.netpolAsked != "" && p.netpol == nil {
		return fmt.Errorf("%w: %q says not who may reach the app; name a namespace or pods (\"that only allows traffic from the api namespace\", \"from pods labelled app=frontend\")", ErrIncomplete, p.netpolAsked)
	}
	plan.Env, plan.EnvFrom, plan.Settings, plan.NetworkPolicy, plan.ExternalSecret = p.env, p.envFrom, p.settings, p.netpol, p.store
	for _, e := range append(append([]EnvRef{}, p.env...), p.envFrom...) {
		if e.Kind == "secret" && strings.Contains(asciiLower(p.intent), "sealed") {
			plan.note("a SealedSecret named " + e.Ref + " makes the Secret " + e.Ref + " the chart reads; seal it with kubeseal")
			break
		}
	}
	if p.canary != nil {
		web := plan.Blueprint == BlueprintWeb || (plan.Blueprint == BlueprintImage || plan.Blueprint == BlueprintStatefulSet) && p.port != 0
		if !web {
			plan.refuse(fmt.Sprintf("a canary (%s) needs a web service with a port: Flagger shifts its traffic", p.canaryFrom))
		}
		plan.Canary = p.canary
		plan.note("the canary needs Flagger, and a service mesh or ingress controller Flagger supports, in the cluster")
	}
	return nil
}

// ArgoCD is where Argo CD runs and reads Applications from.
const ArgoCDNamespace = "argocd"

// ArgoApplication returns an Argo CD Application that installs the
// catalogue chart at its pinned version with the plan's values, into a
// namespace of the app's name, and a kustomization.yaml listing it.
func (p *Plan) ArgoApplication() ([]workspace.File, error) {
	c := p.Chart
	if c == nil {
		return nil, fmt.Errorf("plan has no catalogue chart")
	}
	values, err := p.valuesYAML("")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(p.header())
	fmt.Fprintf(&b, "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: %s\n  namespace: %s\n", p.App, ArgoCDNamespace)
	fmt.Fprintf(&b, "  finalizers:\n    - resources-finalizer.argocd.argoproj.io\nspec:\n  project: default\n  source:\n")
	// Argo CD names a Helm chart in an OCI registry by the registry path
	// without the scheme.
	fmt.Fprintf(&b, "    repoURL: %s\n    chart: %s\n    targetRevision: %s\n", strings.TrimPrefix(c.Repository, "oci://"), c.Chart, quoteYAML(c.Version))
	fmt.Fprintf(&b, "    helm:\n      releaseName: %s\n", p.App)
	if len(p.ChartValues) > 0 {
		fmt.Fprintf(&b, "      valuesObject:\n")
		for _, l := range strings.Split(strings.TrimSuffix(string(values), "\n"), "\n") {
			fmt.Fprintf(&b, "        %s\n", l)
		}
	}
	fmt.Fprintf(&b, "  destination:\n    server: https://kubernetes.default.svc\n    namespace: %s\n", p.App)
	fmt.Fprintf(&b, "  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: true\n    syncOptions:\n      - CreateNamespace=true\n      - ServerSideApply=true\n")
	files := []workspace.File{
		{Path: "application.yaml", Content: b.Bytes()},
		{Path: "kustomization.yaml", Content: []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - application.yaml\n")},
	}
	return files, checkYAML(files)
}
