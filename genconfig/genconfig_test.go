package genconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

const exampleConfig = "../examples/gitops/.stackgen/generation-config.yaml"

func TestParseExample(t *testing.T) {
	cfg, err := Load(exampleConfig)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	v := Vars{Env: "production", App: "redis"}
	for _, tc := range []struct{ got, want string }{
		{cfg.Expand(cfg.Naming.Pattern, v), "production-redis"},
		{cfg.Expand(cfg.Namespace.Pattern, v), "payments-production"},
		{cfg.Expand(cfg.Labels["app.kubernetes.io/part-of"], v), "redis"},
		{cfg.Annotations["owner"], "payments@acme.io"},
		{cfg.FormatFor("clusters/production/apps/redis"), "helm"},
		{cfg.FormatFor("base/redis"), "kustomize"},
		{cfg.FormatFor("docs"), ""},
		{cfg.KubernetesVersion, "1.35.4"},
		{strings.Join(cfg.LabelKeys, ","), "team,app.kubernetes.io/part-of,environment"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if c, ok := cfg.Chart("Redis"); !ok || c.Version != "19.6.x" || c.Chart != "redis" {
		t.Errorf("Chart(redis) = %+v, %v", c, ok)
	}
	if r, ok := cfg.ResourcesFor("staging"); !ok || r.Requests.CPU != "50m" {
		t.Errorf("ResourcesFor(staging) = %+v, %v; want the default entry", r, ok)
	}
	if cfg.MaxLength() != 63 {
		t.Errorf("MaxLength = %d", cfg.MaxLength())
	}
}

func TestParseKeepsPolicySection(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte("policy:\n  severity: warning\n  disable: [no-latest-tag]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Severity string   `yaml:"severity"`
		Disable  []string `yaml:"disable"`
	}
	if cfg.Policy == nil {
		t.Fatal("Policy is nil")
	}
	if err := cfg.Policy.Decode(&p); err != nil || p.Severity != "warning" || len(p.Disable) != 1 {
		t.Errorf("Policy decodes to %+v, %v", p, err)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "# nothing yet\n", "---\n"} {
		cfg, err := Parse("c.yaml", []byte(in))
		if err != nil || cfg.Version != 1 {
			t.Errorf("Parse(%q) = %+v, %v; want the empty config", in, cfg, err)
		}
	}
}

// TestBrokenConfigs is the table of what a user sees for a broken config.
func TestBrokenConfigs(t *testing.T) {
	for _, tc := range []struct {
		name, config, want string
	}{
		{"yaml syntax", "naming:\n  pattern: \"{env}-{app}\n", `c.yaml:2: invalid YAML: found unexpected end of stream`},
		{"not a mapping", "- naming\n", `c.yaml:1:1: the config must be a mapping of keys (naming, labels, ...), not a list`},
		{"typo in a key", "nmaing:\n  pattern: \"{app}\"\n", `c.yaml:1:1: nmaing: unknown key (did you mean "naming"?)`},
		{"unknown key", "colour: blue\n", `c.yaml:1:1: colour: unknown key (known keys: version, team, naming, labels, annotations, namespace, resources, kubernetesVersion, failOnMissingSchema, charts, formats, examples, policies, policy, review, layout)`},
		{"future version", "version: 2\n", `c.yaml:1:10: version: unsupported version 2 (this aiden reads version 1)`},
		{"maxLength not a number", "naming:\n  maxLength: sixty\n", `c.yaml:2:14: naming.maxLength: must be a whole number, not "sixty"`},
		{"maxLength too large", "naming:\n  maxLength: 300\n", `c.yaml:2:14: naming.maxLength: must be from 1 to 253, not 300`},
		{"unknown placeholder", "naming:\n  pattern: \"{region}-{app}\"\n", `c.yaml:2:12: naming.pattern: unknown placeholder {region} (known: {env}, {app}, {component}, {team})`},
		{"pattern without app", "naming:\n  pattern: \"{env}-svc\"\n", `c.yaml:2:12: naming.pattern: "{env}-svc" names every app alike: use {app} or {component}`},
		{"pattern with capitals", "naming:\n  pattern: \"App-{app}\"\n", `c.yaml:2:12: naming.pattern: "App-{app}" holds characters outside naming.allowedChars (a-z0-9-)`},
		{"naming key typo", "naming:\n  maxlength: 40\n", `c.yaml:2:3: naming.maxlength: unknown key (did you mean "maxLength"?)`},
		{"bad label key", "labels:\n  \"team name\": payments\n", `c.yaml:2:3: labels.team name: "team name" is not a valid label key: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`},
		{"bad label value", "labels:\n  owner: payments@acme.io\n", `c.yaml:2:10: labels.owner: "payments@acme.io" is not a valid label value: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`},
		{"label value a mapping", "labels:\n  team: {name: payments}\n", `c.yaml:2:9: labels.team: must be a string, not a mapping`},
		{"annotations a list", "annotations:\n  - owner\n", `c.yaml:2:3: annotations: must be a mapping, not a list`},
		{"duplicate key", "labels:\n  team: a\n  team: b\n", `c.yaml:3:3: labels.team: duplicate key (first set on line 2)`},
		{"bad namespace", "namespace: \"{team}_{env}\"\n", `c.yaml:1:12: namespace.pattern: "{team}_{env}" does not make a valid namespace: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
		{"bad quantity", "resources:\n  production:\n    requests: {cpu: lots}\n", `c.yaml:3:21: resources.production.requests.cpu: "lots" is not a Kubernetes quantity (want for example 250m or 512Mi)`},
		{"request over limit", "resources:\n  production:\n    requests: {memory: 1Gi}\n    limits: {memory: 512Mi}\n", `c.yaml:3:24: resources.production.requests.memory: request 1Gi is more than the limit 512Mi`},
		{"kubernetes version", "kubernetesVersion: latest\n", `c.yaml:1:20: kubernetesVersion: "latest" is not a Kubernetes version (want for example 1.35.4)`},
		{"chart version", "charts:\n  redis: {repository: \"https://charts.bitnami.com/bitnami\", chart: redis, version: \"19.x.y.z\"}\n", `c.yaml:2:84: charts.redis.version: "19.x.y.z" is not a version constraint (want for example 19.6.x or ~19.6.0)`},
		{"chart repository", "charts:\n  redis: {repository: \"charts.bitnami.com\", chart: redis, version: \"19.6.x\"}\n", `c.yaml:2:23: charts.redis.repository: "charts.bitnami.com" is not a chart repository URL (want https://... or oci://...)`},
		{"chart missing version", "charts:\n  redis: {repository: \"oci://registry-1.docker.io/bitnamicharts\", chart: redis}\n", `c.yaml:2:3: charts.redis.version: is required`},
		{"unknown format", "formats:\n  \"clusters/*/apps/**\": jsonnet\n", `c.yaml:2:25: formats.clusters/*/apps/**: unknown format "jsonnet" (want helm, kustomize or terraform)`},
		{"bad glob", "formats:\n  \"clusters/[/apps\": helm\n", `c.yaml:2:3: formats.clusters/[/apps: "clusters/[/apps" is not a valid path glob: syntax error in pattern`},
		{"examples outside", "examples: ../elsewhere\n", `c.yaml:1:11: examples: "../elsewhere" must be a folder inside the repository`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("c.yaml", []byte(tc.config))
			if err == nil {
				t.Fatalf("Parse = %+v, nil; want error %q", cfg, tc.want)
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("got %v, want one Error", err)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse("c.yaml", []byte("naming:\n  pattern: \"{region}-{app}\"\n  maxLength: 0\nlabels:\n  team: {}\ncolour: blue\n"))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 4 {
		t.Fatalf("got %v, want 4 errors", err)
	}
	for i, line := range []int{2, 3, 5, 6} {
		if errs[i].Line != line {
			t.Errorf("error %d at line %d, want %d", i, errs[i].Line, line)
		}
	}
}

func TestMatchGlob(t *testing.T) {
	for _, tc := range []struct {
		glob, path string
		want       bool
	}{
		{"clusters/*/apps/**", "clusters/production/apps/redis", true},
		{"clusters/*/apps/**", "clusters/production/apps", true},
		{"clusters/*/apps", "clusters/production/apps/redis/values.yaml", true},
		{"clusters/*/apps/**", "clusters/production/infrastructure", false},
		{"**/terraform", "infra/aws/terraform", true},
		{"base/**", "basement/x", false},
	} {
		if got := MatchGlob(tc.glob, tc.path); got != tc.want {
			t.Errorf("MatchGlob(%q, %q) = %v, want %v", tc.glob, tc.path, got, tc.want)
		}
	}
}

// TestSchema checks schema.json against the example config and a few
// broken ones: the JSON Schema and Parse agree.
func TestSchema(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("compile schema.json: %v", err)
	}
	example, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, config string
		valid        bool
	}{
		{"example", string(example), true},
		{"issue example", "naming:\n  pattern: \"{env}-{app}\"\n  maxLength: 63\nlabels:\n  team: payments\n  app.kubernetes.io/part-of: \"{app}\"\nannotations:\n  owner: \"payments@acme.io\"\ncharts:\n  redis: {repository: \"https://charts.bitnami.com/bitnami\", chart: redis, version: \"19.6.x\"}\n", true},
		{"policy kept", "policy:\n  anything: [1, 2]\n", true},
		{"unknown key", "colour: blue\n", false},
		{"unknown placeholder", "naming:\n  pattern: \"{region}-{app}\"\n", false},
		{"unknown format", "formats:\n  \"a/**\": jsonnet\n", false},
		{"chart missing version", "charts:\n  redis: {repository: \"https://x.io\", chart: redis}\n", false},
		{"version 2", "version: 2\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, err := yaml.YAMLToJSON([]byte(tc.config))
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(j, &v); err != nil {
				t.Fatal(err)
			}
			schemaErr := sch.Validate(v)
			_, parseErr := Parse("c.yaml", []byte(tc.config))
			if (schemaErr == nil) != tc.valid || (parseErr == nil) != tc.valid {
				t.Errorf("schema: %v; Parse: %v; want valid=%v", schemaErr, parseErr, tc.valid)
			}
		})
	}
}
