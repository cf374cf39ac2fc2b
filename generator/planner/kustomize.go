package planner

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/validators/helmchart"
	"github.com/stackgen/aiden/validators/kustomize"
	"github.com/stackgen/aiden/workspace"
)

// envRE matches an environment name in the intent.
const envRE = `(production|prod|staging|stage|development|dev|testing|test|qa|sandbox)(?: (?:environment|env|cluster|namespace))?`

// Override is what the intent asked for one environment only.
type Override struct {
	// Replicas is the replica count there (0: the plan's).
	Replicas int
	// Host is the ingress host there ("": the plan's).
	Host string
	// Resources are the main container's requests and limits there (nil:
	// the plan's); they come from Hints.Resources when the intent states
	// none.
	Resources *Resources
}

func (p *parser) override(env string) Override {
	if p.perEnv == nil {
		p.perEnv = map[string]Override{}
	}
	p.environments = append(p.environments, env)
	return p.perEnv[env]
}

func (p *parser) setEnvReplicas(env string, n int, from string) bool {
	if n < 1 || n > 100 {
		return false
	}
	env = NormalEnvironment(env)
	o := p.override(env)
	o.Replicas = n
	p.perEnv[env] = o
	p.envKeys = append(p.envKeys, envKey{pos: p.pos, key: "replicas"})
	p.fact("replicas", fmt.Sprintf("%d in %s", n, env), from)
	return true
}

// envKey records where the intent stated an amount for one environment,
// so that "and 1 in staging" continues the nearest one before it.
type envKey struct {
	pos int
	key string // replicas, cpu or memory
}

func (p *parser) envKeyBefore(pos int) string {
	key, at := "", -1
	for _, k := range p.envKeys {
		if k.pos < pos && k.pos > at {
			key, at = k.key, k.pos
		}
	}
	return key
}

func (p *parser) setEnvCPU(env, q, from string) bool {
	return p.setEnvResource(&p.envCPU, "cpu", env, q, from)
}

func (p *parser) setEnvMemory(env, q, from string) bool {
	return p.setEnvResource(&p.envMemory, "memory", env, q, from)
}

// setEnvResource records quantity q of resource key ("cpu", "memory") for
// the environment env in *per.
func (p *parser) setEnvResource(per *map[string]string, key, env, q, from string) bool {
	if q == "" {
		return false
	}
	env = NormalEnvironment(env)
	p.override(env)
	if *per == nil {
		*per = map[string]string{}
	}
	(*per)[env] = q
	p.envKeys = append(p.envKeys, envKey{pos: p.pos, key: key})
	p.fact("resources", fmt.Sprintf("%s %s in %s", key, q, env), from)
	return true
}

// environmentsFor sets the plan's environments: those the intent names,
// else the cluster of the target path, else the workspace's, else the
// plan's own, else staging and production. It sets what the intent asks
// per environment too.
func (p *parser) environmentsFor(plan *Plan, h Hints) {
	envs := dedupe(p.environments)
	from := ""
	if e := PathEnvironment(h.TargetPath, "clusters"); len(envs) == 0 && e != "" {
		// A folder of one cluster holds that environment only; finish
		// has reported it as the plan's environment.
		envs = []string{NormalEnvironment(asciiLower(e))}
	}
	if len(envs) == 0 {
		for _, e := range h.Environments {
			envs = append(envs, NormalEnvironment(asciiLower(e)))
		}
		envs = dedupe(envs)
		from = "(workspace)"
	}
	if len(envs) == 0 && plan.Environment != "" {
		envs, from = []string{plan.Environment}, "(environment)"
	}
	if len(envs) == 0 {
		envs, from = []string{"staging", "production"}, "(default)"
	}
	if plan.Environment == "" && len(dedupe(p.environments)) == 1 {
		plan.Environment = p.environments[0]
	}
	plan.Environments = envs
	// Per environment, the container resources are the generation
	// config's (when the intent states none for the whole plan) with what
	// the intent states for that environment on top.
	for _, env := range envs {
		var r Resources
		if p.cpu == "" && p.memory == "" {
			c, ok := h.Resources[env]
			if !ok {
				c = h.Resources["default"]
			}
			if r = c; r != (Resources{}) && h.Format == "kustomize" {
				p.fact("resources", fmt.Sprintf("%s: requests %s %s, limits %s %s", env, r.CPURequest, r.MemoryRequest, r.CPULimit, r.MemoryLimit), "(generation config)")
			}
		}
		if q := p.envCPU[env]; q != "" {
			r.CPURequest, r.CPULimit = q, q
		}
		if q := p.envMemory[env]; q != "" {
			r.MemoryRequest, r.MemoryLimit = q, q
		}
		if r == (Resources{}) {
			continue
		}
		if p.perEnv == nil {
			p.perEnv = map[string]Override{}
		}
		o := p.perEnv[env]
		o.Resources = &r
		p.perEnv[env] = o
	}
	plan.PerEnvironment = p.perEnv
	// What the intent asks for the plan's own environment is the plan's
	// (the chart's values, the Kustomize base's).
	if o := p.perEnv[plan.Environment]; o.Replicas > 0 && p.replicas == 0 {
		p.replicas = o.Replicas
	}
	if q := p.envCPU[plan.Environment]; q != "" && p.cpu == "" {
		p.cpu = q
	}
	if q := p.envMemory[plan.Environment]; q != "" && p.memory == "" {
		p.memory = q
	}
	if h.Format == "kustomize" && from != "" {
		p.fact("environment", strings.Join(envs, ", "), from)
	}
}

// Component is a Kustomize Component of the repository.
type Component struct {
	// Path is its folder, relative to the repository root.
	Path string
	// UsedBy names, per environment, an existing overlay of the repository
	// that lists the component (the first by path).
	UsedBy map[string]string
}

// Name is the component's folder name ("monitoring"), which an intent
// names it by.
func (c Component) Name() string { return path.Base(c.Path) }

// WorkspaceComponents returns the Kustomize Components among files (the
// folders whose kustomization has kind: Component), sorted by path, with
// the environments whose overlays list them. An overlay's environment is
// the folder that follows clusters/ or overlays/ in its path
// (clusters/production/apps/podinfo, apps/web/overlays/staging).
func WorkspaceComponents(files []workspace.File) []Component {
	tree := kustomize.Load(files, nil)
	dirs := tree.Components()
	byPath := make(map[string]*Component, len(dirs))
	out := make([]Component, len(dirs))
	for i, d := range dirs {
		out[i] = Component{Path: d}
		byPath[d] = &out[i]
	}
	for _, dir := range tree.Dirs() {
		env := PathEnvironment(dir, "clusters", "overlays")
		if env == "" || byPath[dir] != nil {
			continue
		}
		env = NormalEnvironment(asciiLower(env))
		for _, c := range tree.ComponentsOf(dir) {
			comp := byPath[c]
			if comp.UsedBy == nil {
				comp.UsedBy = map[string]string{}
			}
			if _, ok := comp.UsedBy[env]; !ok {
				comp.UsedBy[env] = dir
			}
		}
	}
	return out
}

// componentRules return the rules that read the names of the
// repository's Components in a Kustomize intent: "the monitoring
// component" before every other rule, a bare "with monitoring" after them
// (so words the other rules read, such as tls, keep their meaning).
func componentRules(h Hints) (named, bare *rule) {
	if h.Format != "kustomize" || len(h.Components) == 0 {
		return nil, nil
	}
	var alts []string
	for _, c := range h.Components {
		n := regexp.QuoteMeta(asciiLower(c.Name()))
		alts = append(alts, strings.NewReplacer("-", "[- ]", "_", "[_ ]").Replace(n))
	}
	sort.Slice(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
	names := "(" + strings.Join(alts, "|") + ")"
	apply := func(p *parser, m match) bool {
		word := strings.NewReplacer(" ", "-").Replace(m.groups[1])
		for _, c := range h.Components {
			if n := asciiLower(c.Name()); n == word || strings.ReplaceAll(n, "_", "-") == word {
				if p.kcomponents == nil {
					p.kcomponents = map[string]string{}
				}
				p.kcomponents[c.Name()] = m.from
				p.fact("kustomize-component", c.Name()+" in every environment", m.from)
				return true
			}
		}
		return false
	}
	lead := `(?:(?:with|and|plus|using|add|enable|enabled) )?(?:the )?`
	return &rule{re(lead + names + ` (?:kustomize )?components?`), apply}, &rule{re(lead + names), apply}
}

// componentsFor sets the Components each overlay lists: those the
// repository's overlays for the same environment list, and those the
// intent names, with paths from the overlay folder.
func (p *parser) componentsFor(plan *Plan, h Hints) {
	if h.Format != "kustomize" || len(h.Components) == 0 {
		return
	}
	target := path.Clean(h.TargetPath)
	for _, c := range h.Components {
		_, named := p.kcomponents[c.Name()]
		for _, env := range plan.Environments {
			by, used := c.UsedBy[env]
			if !used && !named {
				continue
			}
			if h.TargetPath == "" || target == "." {
				plan.note(fmt.Sprintf("the Kustomize component %s is not listed: without a target path its path from the overlays is unknown", c.Path))
				break
			}
			if plan.Components == nil {
				plan.Components = map[string][]string{}
			}
			plan.Components[env] = append(plan.Components[env], relativePath(path.Join(target, "overlays", env), c.Path))
			if used {
				p.fact("kustomize-component", fmt.Sprintf("%s in %s", c.Name(), env), "(workspace: "+by+" lists "+c.Path+")")
			}
		}
	}
}

// relativePath returns the path of to from the folder from; both are
// clean and relative to the same root.
func relativePath(from, to string) string {
	f, t := strings.Split(from, "/"), strings.Split(to, "/")
	i := 0
	for i < len(f) && i < len(t) && f[i] == t[i] {
		i++
	}
	var parts []string
	for range f[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, t[i:]...)
	if len(parts) == 0 {
		return "."
	}
	return strings.Join(parts, "/")
}

// replicaSummary says how many replicas run, per environment when the
// intent asked for different counts.
func (p *Plan) replicaSummary() string {
	s := validators.Count(p.Replicas, "replica")
	var per []string
	for _, env := range p.Environments {
		if o := p.PerEnvironment[env]; o.Replicas > 0 {
			per = append(per, fmt.Sprintf("%d in %s", o.Replicas, env))
		}
	}
	if len(per) > 0 && p.Blueprint != BlueprintPostgreSQL && p.Blueprint != BlueprintCronJob {
		s = validators.Count(p.Replicas, "replica") + " (" + strings.Join(per, ", ") + ")"
	}
	return s
}

// ConfigResources returns the container requests and limits the
// generation config sets per environment (its resources: section;
// "default" applies to the environments it does not name).
func ConfigResources(cfg *genconfig.Config) map[string]Resources {
	if cfg == nil || len(cfg.Resources) == 0 {
		return nil
	}
	out := make(map[string]Resources, len(cfg.Resources))
	for env, r := range cfg.Resources {
		out[env] = Resources{CPURequest: r.Requests.CPU, CPULimit: r.Limits.CPU, MemoryRequest: r.Requests.Memory, MemoryLimit: r.Limits.Memory}
	}
	return out
}

// WorkspaceEnvironments returns the environments a repository has: the
// folders under clusters/ among files, else the environments its
// generation config names (the keys of resources:, without default).
func WorkspaceEnvironments(files []workspace.File, cfg *genconfig.Config) []string {
	var envs []string
	for _, f := range files {
		parts := strings.Split(f.Path, "/")
		if len(parts) > 2 && parts[0] == "clusters" && parts[1] != "" {
			envs = append(envs, parts[1])
		}
	}
	if len(envs) == 0 && cfg != nil {
		for env := range cfg.Resources {
			if env != "default" {
				envs = append(envs, env)
			}
		}
	}
	sort.Strings(envs)
	return dedupe(envs)
}

// Kustomize returns a Kustomize base and one overlay per environment, with
// paths relative to the target folder: base/ holds the blueprint's objects
// (the planner's Helm chart rendered with the Helm SDK, so both formats
// come from one source), overlays/<env>/ patch what differs per
// environment (replicas, hosts).
func (p *Plan) Kustomize() ([]workspace.File, error) {
	envs := p.Environments
	if len(envs) == 0 {
		envs = []string{"staging", "production"}
	}
	overrides := p.envOverrides(envs)

	// The base carries the most replicas any environment asks for, so
	// what only replicated workloads get (a PodDisruptionBudget) is there.
	base := *p
	if p.Blueprint != BlueprintCronJob && p.Blueprint != BlueprintPostgreSQL {
		for _, o := range overrides {
			base.Replicas = max(base.Replicas, o.Replicas)
		}
	}
	chart, err := base.Helm()
	if err != nil {
		return nil, err
	}
	r, err := helmchart.New(helmchart.Options{ReleaseName: p.App})
	if err != nil {
		return nil, fmt.Errorf("kustomize base: %w", err)
	}
	res, err := r.Render(context.Background(), chart)
	if err != nil {
		return nil, fmt.Errorf("kustomize base: %w", err)
	}
	for _, m := range res.Messages {
		if m.Level == helmchart.Error {
			return nil, fmt.Errorf("kustomize base: render blueprint: %s: %s", m.File, m.Text)
		}
	}

	var files []workspace.File
	var resources []string
	kinds := map[string]bool{}
	for _, m := range res.Manifests {
		if strings.HasPrefix(m.Path, "templates/tests/") {
			continue
		}
		name := path.Base(m.Path)
		resources = append(resources, name)
		files = append(files, workspace.File{Path: "base/" + name, Content: plainManifest(m.Content)})
		for _, l := range bytes.Split(m.Content, []byte("\n")) {
			if k, ok := bytes.CutPrefix(l, []byte("kind: ")); ok {
				kinds[string(bytes.TrimSpace(k))] = true
			}
		}
	}
	sort.Strings(resources)
	var k bytes.Buffer
	k.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n")
	fmt.Fprintf(&k, "# %s, from aiden's %s blueprint; overlays/<environment>/ patch what differs.\n", p.Summary(), p.Blueprint)
	k.WriteString("resources:\n")
	for _, r := range resources {
		fmt.Fprintf(&k, "  - %s\n", r)
	}
	files = append(files, workspace.File{Path: "base/kustomization.yaml", Content: k.Bytes()})

	for _, env := range envs {
		files = append(files, workspace.File{Path: "overlays/" + env + "/kustomization.yaml", Content: p.overlay(env, overrides[env], base.Replicas, kinds)})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// envOverrides returns, per environment, the replicas and host it differs
// by, after the blueprint's limits (Sentinel needs three, PostgreSQL runs
// one, a cron job has none).
func (p *Plan) envOverrides(envs []string) map[string]Override {
	out := map[string]Override{}
	for _, env := range envs {
		o := p.PerEnvironment[env]
		switch {
		case o.Replicas == 0:
		case p.Blueprint == BlueprintCronJob || p.Blueprint == BlueprintPostgreSQL:
			p.note(fmt.Sprintf("replicas for %s do not apply to %s and were not used", env, p.Blueprint))
			o.Replicas = 0
		case p.Blueprint == BlueprintRedisSentinel && o.Replicas < 3:
			p.note(fmt.Sprintf("Sentinel needs a quorum of 2 out of 3; replicas in %s raised from %d to 3", env, o.Replicas))
			o.Replicas = 3
		}
		if o.Host != "" && p.Ingress == nil {
			o.Host = ""
		}
		out[env] = o
	}
	return out
}

// overlay writes one environment's kustomization: the base, the
// environment label, and a patch per difference.
func (p *Plan) overlay(env string, o Override, baseReplicas int, kinds map[string]bool) []byte {
	var b bytes.Buffer
	b.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n")
	b.WriteString("resources:\n  - ../../base\n")
	if cs := p.Components[env]; len(cs) > 0 {
		b.WriteString("components:\n")
		for _, c := range cs {
			fmt.Fprintf(&b, "  - %s\n", c)
		}
	}
	fmt.Fprintf(&b, "labels:\n  - pairs:\n      environment: %s\n    includeTemplates: true\n", quoteYAML(env))
	var patches []string
	patch := func(kind, ops string) {
		patches = append(patches, fmt.Sprintf("  - target: {kind: %s, name: %s}\n    patch: |\n%s", kind, p.App, ops))
	}
	replicas := o.Replicas
	if replicas == 0 {
		replicas = p.Replicas
	}
	switch {
	case p.Blueprint == BlueprintCronJob || p.Blueprint == BlueprintPostgreSQL || replicas == baseReplicas || replicas == 0:
	case p.Autoscaling != nil && kinds["HorizontalPodAutoscaler"]:
		ops := fmt.Sprintf("      - op: replace\n        path: /spec/minReplicas\n        value: %d\n", replicas)
		if p.Autoscaling.Max < replicas {
			ops += fmt.Sprintf("      - op: replace\n        path: /spec/maxReplicas\n        value: %d\n", replicas)
		}
		patch("HorizontalPodAutoscaler", ops)
	default:
		kind := "Deployment"
		if kinds["StatefulSet"] {
			kind = "StatefulSet"
		}
		patch(kind, fmt.Sprintf("      - op: replace\n        path: /spec/replicas\n        value: %d\n", replicas))
	}
	if r := o.Resources; r != nil {
		if ops := resourcePatch(p.Resources, *r); ops != "" {
			switch {
			case kinds["CronJob"]:
				patch("CronJob", strings.ReplaceAll(ops, "/spec/template/", "/spec/jobTemplate/spec/template/"))
			case kinds["StatefulSet"]:
				patch("StatefulSet", ops)
			case kinds["Deployment"]:
				patch("Deployment", ops)
			}
		}
	}
	if o.Host != "" && o.Host != p.Ingress.Host && kinds["Ingress"] {
		ops := fmt.Sprintf("      - op: replace\n        path: /spec/rules/0/host\n        value: %s\n", strconv.Quote(o.Host))
		if p.Ingress.TLS {
			ops += fmt.Sprintf("      - op: replace\n        path: /spec/tls/0/hosts/0\n        value: %s\n", strconv.Quote(o.Host))
		}
		patch("Ingress", ops)
	}
	if len(patches) > 0 {
		b.WriteString("patches:\n")
		for _, s := range patches {
			b.WriteString(s)
		}
	}
	return b.Bytes()
}

// resourcePatch returns JSON patch operations that set the main
// container's requests and limits to want where they differ from base; a
// quantity want leaves empty keeps the base's.
func resourcePatch(base, want Resources) string {
	var b strings.Builder
	for _, q := range []struct{ path, base, want string }{
		{"requests/cpu", base.CPURequest, want.CPURequest},
		{"requests/memory", base.MemoryRequest, want.MemoryRequest},
		{"limits/cpu", base.CPULimit, want.CPULimit},
		{"limits/memory", base.MemoryLimit, want.MemoryLimit},
	} {
		if q.want == "" || q.want == q.base {
			continue
		}
		fmt.Fprintf(&b, "      - op: replace\n        path: /spec/template/spec/containers/0/resources/%s\n        value: %s\n", q.path, strconv.Quote(q.want))
	}
	return b.String()
}

// plainManifest turns a rendered chart template into a plain manifest:
// no "# Source" header, no Helm-only labels.
func plainManifest(b []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		t := bytes.TrimSpace(l)
		switch {
		case len(out) == 0 && (len(t) == 0 || bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("# Source:"))):
			continue
		case bytes.HasPrefix(t, []byte("helm.sh/chart:")):
			continue
		case bytes.Equal(t, []byte("app.kubernetes.io/managed-by: Helm")) || bytes.Equal(t, []byte(`app.kubernetes.io/managed-by: "Helm"`)):
			l = bytes.Replace(l, []byte("Helm"), []byte("kustomize"), 1)
		}
		out = append(out, l)
	}
	return append(bytes.TrimRight(bytes.Join(out, []byte("\n")), "\n"), '\n')
}
