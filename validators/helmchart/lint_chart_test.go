package helmchart

import (
	"fmt"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/stackgen/aiden/workspace"
)

// chartLintCases break the Chart.yaml, values and dependency rules, each
// branch of them once, on the web test chart. TestLintMatchesHelm holds
// them to the SDK's linter.
func chartLintCases(t testing.TB) map[string][]workspace.File {
	web := readChart(t, "testdata/web")
	chartYAML := func(extra string) []workspace.File {
		return with(web, "Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\nicon: https://example.com/i.png\n"+extra)
	}
	raw := func(content string) []workspace.File { return with(web, "Chart.yaml", content) }
	sub := func(files []workspace.File, name string) []workspace.File {
		return with(files, "charts/"+name+"/Chart.yaml", "apiVersion: v2\nname: "+name+"\nversion: 1.0.0\n")
	}
	return map[string][]workspace.File{
		"chart/unreadable Chart.yaml": raw("name: [\n"),
		"chart/no Chart.yaml":         without(web, "Chart.yaml"),
		"chart/Chart.yaml folder":     with(without(web, "Chart.yaml"), "Chart.yaml/extra.yaml", "a: 1\n"),
		"chart/byte order mark":       raw("\uFEFFapiVersion: v2\nname: web\nversion: 0.1.0\nicon: https://example.com/i.png\n"),
		"chart/no name":               raw("apiVersion: v2\nversion: 0.1.0\nicon: https://example.com/i.png\n"),
		"chart/name with a slash":     raw("apiVersion: v2\nname: apps/web\nversion: 0.1.0\nicon: https://example.com/i.png\n"),
		"chart/no apiVersion":         raw("name: web\nversion: 0.1.0\nicon: https://example.com/i.png\n"),
		"chart/apiVersion v3":         raw("apiVersion: v3\nname: web\nversion: 0.1.0\nicon: https://example.com/i.png\n"),
		"chart/no version":            raw("apiVersion: v2\nname: web\nicon: https://example.com/i.png\n"),
		"chart/numeric version":       raw("apiVersion: v2\nname: web\nversion: 1.0\nicon: https://example.com/i.png\n"),
		"chart/lowest version":        raw("apiVersion: v2\nname: web\nversion: 0.0.0-0\nicon: https://example.com/i.png\n"),
		"chart/v-prefixed version":    raw("apiVersion: v2\nname: web\nversion: v1.2\nicon: https://example.com/i.png\n"),
		"chart/numeric appVersion":    chartYAML("appVersion: 1.10\n"),
		"chart/boolean appVersion":    chartYAML("appVersion: true\n"),
		"chart/null appVersion":       chartYAML("appVersion: ~\n"),
		"chart/empty maintainer":      chartYAML("maintainers:\n  - ~\n"),
		"chart/maintainer no name":    chartYAML("maintainers:\n  - email: ops@example.com\n"),
		"chart/good maintainers": chartYAML("maintainers:\n  - name: Ops\n    email: ops@example.com\n    url: https://example.com/ops\n" +
			"  - name: Dev\n    email: first.last+tag@sub.example.org\n    url: github.com/dev\n"),
		"chart/bad maintainer email":    chartYAML("maintainers:\n  - name: Ops\n    email: ops@@example.com\n"),
		"chart/maintainer display name": chartYAML("maintainers:\n  - name: Ops\n    email: Ops <ops@example.com>\n"),
		"chart/bad maintainer url":      chartYAML("maintainers:\n  - name: Ops\n    url: not a url\n"),
		"chart/maintainer url word":     chartYAML("maintainers:\n  - name: Ops\n    url: homepage\n"),
		"chart/second maintainer bad":   chartYAML("maintainers:\n  - name: Ops\n  - name: Dev\n    url: http://\n  - name: \"\"\n"),
		"chart/source without scheme":   chartYAML("sources:\n  - https://github.com/example/web\n  - github.com/example/web\n"),
		"chart/empty source":            chartYAML("sources:\n  - \"\"\n"),
		"chart/relative icon":           raw("apiVersion: v2\nname: web\nversion: 0.1.0\nicon: icon.png\n"),
		"chart/icon with space":         raw("apiVersion: v2\nname: web\nversion: 0.1.0\nicon: \"https://example.com/my icon.png\"\n"),
		"chart/type in v1":              raw("apiVersion: v1\nname: web\nversion: 0.1.0\ntype: application\nicon: https://example.com/i.png\n"),
		"chart/dependencies in v1": with(raw("apiVersion: v1\nname: web\nversion: 0.1.0\nicon: https://example.com/i.png\n"+
			"dependencies:\n  - name: cache\n    version: 1.0.0\n"), "charts/cache/Chart.yaml", "apiVersion: v2\nname: cache\nversion: 1.0.0\n"),
		"chart/deprecated and home": chartYAML("deprecated: true\nhome: not a url\nkubeVersion: \">=1.30.0-0\"\n"),
		"chart/subchart not listed": sub(chartYAML(""), "cache"),
		"chart/dependency present":  sub(chartYAML("dependencies:\n  - name: cache\n    version: 1.0.0\n"), "cache"),
		"chart/dependency twice":    sub(chartYAML("dependencies:\n  - name: cache\n    version: 1.0.0\n  - name: cache\n    version: 1.0.0\n"), "cache"),
		"chart/dependency aliases": sub(chartYAML("dependencies:\n  - name: cache\n    version: 1.0.0\n    alias: a\n"+
			"  - name: cache\n    version: 1.0.0\n    alias: b\n  - name: store\n    version: 1.0.0\n    alias: a\n"), "cache"),
		"chart/broken subchart":      with(chartYAML("dependencies:\n  - name: cache\n    version: 1.0.0\n"), "charts/cache/Chart.yaml", "name: [\n"),
		"values/none":                without(web, "values.yaml"),
		"values/folder":              with(without(web, "values.yaml"), "values.yaml/extra.yaml", "a: 1\n"),
		"values/not a map":           with(web, "values.yaml", "- a\n- b\n"),
		"values/empty schema":        with(web, "values.schema.json", ""),
		"values/bad schema JSON":     with(web, "values.schema.json", `{"type": "object",`),
		"values/schema not a schema": with(web, "values.schema.json", `{"type": 7}`),
		"values/schema required": with(web, "values.schema.json",
			`{"type":"object","required":["image","nosuch"]}`),
	}
}

func without(files []workspace.File, path string) []workspace.File {
	var out []workspace.File
	for _, f := range files {
		if f.Path != path {
			out = append(out, f)
		}
	}
	return out
}

// TestAddressRules holds the maintainer e-mail and URL rules, and the
// icon's (which sources share), at their edges: what aiden accepts, and what helm lint (the SDK's linter, with
// govalidator) accepts, where the two differ on purpose
// (docs/helm-lint.md).
func TestAddressRules(t *testing.T) {
	cases := []struct {
		field, value string
		aiden, helm  bool
	}{
		{"email", "ops@example.com", true, true},
		{"email", "First.Last+tag@sub.example.org", true, true},
		{"email", "OPS@EXAMPLE.COM", true, true},
		{"email", "a@b.c", true, true},
		{"email", "ops@ex--ample.com", true, true},
		{"email", "ops@bücher.example", true, true},
		{"email", "öps@example.com", true, true},
		{"email", "ops@localhost", false, false},
		{"email", "ops@example", false, false},
		{"email", "ops@192.0.2.1", false, false},
		{"email", "ops@[192.0.2.1]", false, false},
		{"email", "ops@-example.com", false, false},
		{"email", "ops.@example.com", false, false},
		{"email", "ops@@example.com", false, false},
		{"email", "Ops <ops@example.com>", false, false},
		{"email", "<ops@example.com>", false, false},
		{"email", "ops@example.com (Ops)", false, false},
		{"email", "ops@example.com.", false, true},
		{"email", "ops@exa_mple.com", false, true},
		{"email", `"ops team"@example.com`, false, false},
		{"url", "https://example.com/ops", true, true},
		{"url", "github.com/dev", true, true},
		{"url", "http://localhost:8080/x?y=1#z", true, true},
		{"url", "ftp://files.example.com", true, true},
		{"url", "https://192.0.2.1/x", true, true},
		{"url", "https://[2001:db8::1]/x", true, true},
		{"url", "https://user:pw@example.com", true, true},
		{"url", "https://bücher.example/", true, true},
		{"url", "localhost", false, false},
		{"url", "homepage", false, false},
		{"url", "http://", false, false},
		{"url", ".example.com", false, false},
		{"url", "https://example.com/a b", false, false},
		{"url", "git://example.com/repo", false, false},
		{"url", "mailto:ops@example.com", true, true},
		{"url", "https://example.com:99999", false, true},
		{"url", "HTTPS://EXAMPLE.COM", true, false},
		{"url", "https://exa_mple.com", false, true},
		{"url", "https://example.com./x", true, true},
		{"url", "https://./x", false, false},
		{"url", "a.b", true, false},
		{"url", "example.com/login?next=https://example.com/", true, true},
		{"url", "://example.com", false, false},
		{"url", "http://example.com:", false, false},
		{"url", "http://example.com:0", false, true},
		{"icon", "https://example.com/icon.png", true, true},
		{"icon", "oci://registry.example.com/chart", true, true},
		{"icon", "mailto:someone@example.com", true, true},
		{"icon", "icon.png", false, false},
		{"icon", "github.com/example/web", false, false},
		{"icon", "/icon.png", false, false},
	}
	r, err := New(Options{KubeVersion: "1.35.4"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		chartYAML := fmt.Sprintf("apiVersion: v2\nname: addr\nversion: 0.1.0\nmaintainers:\n  - name: Ops\n    %s: %q\n", c.field, c.value)
		invalid := fmt.Sprintf("invalid %s '%s' for maintainer 'Ops'", c.field, c.value)
		if c.field == "icon" {
			chartYAML = fmt.Sprintf("apiVersion: v2\nname: addr\nversion: 0.1.0\nicon: %q\n", c.value)
			invalid = fmt.Sprintf("invalid icon URL '%s'", c.value)
		}
		files := []workspace.File{
			{Path: "Chart.yaml", Content: []byte(chartYAML)},
			{Path: "values.yaml", Content: []byte("{}\n")},
		}
		accepts := func(msgs []Message) bool {
			for _, m := range msgs {
				if m.Text == invalid {
					return false
				}
			}
			return true
		}
		if got := accepts(lintChart(files, nil)); got != c.aiden {
			t.Errorf("%s %q: aiden accepts it: %v, want %v", c.field, c.value, got, c.aiden)
		}
		if got := accepts(helmLint(t, files, r.kube)); got != c.helm {
			t.Errorf("%s %q: helm lint accepts it: %v, the table says %v", c.field, c.value, got, c.helm)
		}
	}
}

// chartCaseFinds are what the chart-level cases must produce (besides
// matching helm lint), so that a rule that stopped firing on both sides
// still fails a test.
var chartCaseFinds = map[string]string{
	"chart/unreadable Chart.yaml":   "E Chart.yaml unable to parse YAML\n\terror converting YAML to JSON",
	"chart/no Chart.yaml":           "E Chart.yaml unable to parse YAML\n\topen Chart.yaml: no such file or directory",
	"chart/Chart.yaml folder":       "E Chart.yaml should be a file, not a directory",
	"chart/no name":                 "E Chart.yaml name is required",
	"chart/name with a slash":       `E Chart.yaml chart name "apps/web" is invalid`,
	"chart/no apiVersion":           `E Chart.yaml apiVersion is required. The value must be either "v1" or "v2"`,
	"chart/apiVersion v3":           `E Chart.yaml apiVersion 'v3' is not valid.`,
	"chart/no version":              "E Chart.yaml version is required",
	"chart/numeric version":         "E Chart.yaml version should be of type string but it's of type float64",
	"chart/lowest version":          `E Chart.yaml version "0.0.0-0" is less than or equal to "0.0.0-0"`,
	"chart/numeric appVersion":      "E Chart.yaml appVersion should be of type string but it's of type float64",
	"chart/boolean appVersion":      "E Chart.yaml appVersion should be of type string but it's of type bool",
	"chart/null appVersion":         "E Chart.yaml appVersion should be of type string but it's of type <nil>",
	"chart/empty maintainer":        "E Chart.yaml a maintainer entry is empty",
	"chart/maintainer no name":      "E Chart.yaml each maintainer requires a name",
	"chart/bad maintainer email":    "E Chart.yaml invalid email 'ops@@example.com' for maintainer 'Ops'",
	"chart/maintainer display name": "E Chart.yaml invalid email 'Ops <ops@example.com>' for maintainer 'Ops'",
	"chart/bad maintainer url":      "E Chart.yaml invalid url 'not a url' for maintainer 'Ops'",
	"chart/maintainer url word":     "E Chart.yaml invalid url 'homepage' for maintainer 'Ops'",
	"chart/second maintainer bad":   "E Chart.yaml invalid url 'http://' for maintainer 'Dev'",
	"chart/source without scheme":   "E Chart.yaml invalid source URL 'github.com/example/web'",
	"chart/empty source":            "E Chart.yaml invalid source URL ''",
	"chart/relative icon":           "E Chart.yaml invalid icon URL 'icon.png'",
	"chart/type in v1":              "E Chart.yaml chart type is not valid in apiVersion 'v1'.",
	"chart/dependencies in v1":      "E Chart.yaml dependencies are not valid in the Chart file with apiVersion 'v1'.",
	"chart/subchart not listed":     "E Chart.yaml chart metadata is missing these dependencies: cache",
	"chart/dependency twice":        "E  unable to load chart\n\tvalidation: more than one dependency with name or alias \"cache\"",
	"chart/broken subchart":         "E  unable to load chart\n\terror unpacking subchart cache in web",
	"values/none":                   "I values.yaml file does not exist",
	"values/folder":                 "E values.yaml unable to parse YAML: read values.yaml: is a directory",
	"values/not a map":              "E values.yaml unable to parse YAML: error unmarshaling JSON",
	"values/bad schema JSON":        "E values.yaml unexpected EOF",
	"values/schema not a schema":    `E values.yaml "file:///values.schema.json#" is not valid against metaschema`,
	"values/schema required":        "E values.yaml - at '': missing property 'nosuch'",
}

// chartCasesClean are chart-level cases neither aiden nor helm lint
// reports anything for.
var chartCasesClean = []string{
	"chart/byte order mark", "chart/v-prefixed version", "chart/good maintainers", "chart/icon with space",
	"chart/deprecated and home", "chart/dependency present", "values/empty schema",
}

// A file over the loader's size limit stops the dependency rule as it
// stops helm lint's.
func TestLintChartFileSizeLimit(t *testing.T) {
	defer func(n int64) { loader.MaxDecompressedFileSize = n }(loader.MaxDecompressedFileSize)
	loader.MaxDecompressedFileSize = 1 << 10
	files := with(readChart(t, "testdata/web"), "README.md", strings.Repeat("big\n", 1<<10))
	r, err := New(Options{KubeVersion: "1.35.4"})
	if err != nil {
		t.Fatal(err)
	}
	got, want := summarize(lintChart(files, nil)), summarize(helmLint(t, files, r.kube))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("aiden reports\n  %s\nhelm lint reports\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if len(got) != 1 || !strings.Contains(got[0], `chart file "README.md" is larger than the maximum file size 1024`) {
		t.Errorf("got %q, want the size limit", got)
	}
}
