package helmchart

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/yaml"

	"github.com/stackgen/aiden/workspace"
)

// The chart-level rules of `helm lint` (Helm v3's Chart.yaml, values and
// dependency rules), checked on the chart's files in memory. Their
// messages, the file each names and their levels are the ones helm lint
// gives, which TestLintMatchesHelm holds to the SDK's linter; the e-mail
// and URL checks of maintainers are aiden's own (see isEmail and
// isMaintainerURL, and docs/helm-lint.md).

// chartFiles are a chart's files by path, for the chart-level rules.
type chartFiles map[string][]byte

func indexChart(files []workspace.File) chartFiles {
	idx := make(chartFiles, len(files))
	for _, f := range files {
		idx[f.Path] = f.Content
	}
	return idx
}

// isDir reports whether name is a folder of the chart: some file lies
// under it.
func (c chartFiles) isDir(name string) bool {
	for p := range c {
		if strings.HasPrefix(p, name+"/") {
			return true
		}
	}
	return false
}

// chartLinter collects the chart-level messages.
type chartLinter struct {
	msgs []Message
}

// add records err, if any, as a lint message about file and reports
// whether there was none.
func (l *chartLinter) add(level Level, file string, err error) bool {
	if err == nil {
		return true
	}
	l.msgs = append(l.msgs, Message{Check: "lint", Level: level, File: file, Text: err.Error()})
	return false
}

// lintChart runs the Chart.yaml, values and dependency rules, in the order
// helm lint runs them. loaded is the values.yaml the chart loader read
// without error when rendering, if any.
func lintChart(files []workspace.File, loaded []byte) []Message {
	var l chartLinter
	idx := indexChart(files)
	l.chartfile(idx)
	l.values(idx, loaded)
	l.dependencies(files, loaded)
	return l.msgs
}

// chartfile checks Chart.yaml. Every check after the parse needs the
// metadata, so an unreadable Chart.yaml is the only message.
func (l *chartLinter) chartfile(idx chartFiles) {
	const name = "Chart.yaml"
	data, found := idx[name]
	dir := idx.isDir(name)
	if dir {
		l.add(Error, name, errors.New("should be a file, not a directory"))
	}
	var md chart.Metadata
	var err error
	switch {
	case dir:
		err = errors.New("read Chart.yaml: is a directory")
	case !found:
		err = errors.New("open Chart.yaml: no such file or directory")
	default:
		err = yaml.Unmarshal(data, &md)
	}
	if !l.add(Error, name, wrapParse(err)) {
		return
	}
	// The same document as plain data, to see the YAML type of fields the
	// metadata reads as strings. It parsed above, so it parses here.
	var raw map[string]any
	_ = yaml.Unmarshal(data, &raw)

	l.add(Error, name, checkName(md.Name))
	l.add(Error, name, checkAPIVersion(md.APIVersion))
	l.add(Error, name, isString(raw, "version"))
	l.add(Error, name, checkVersion(md.Version))
	l.add(Error, name, isString(raw, "appVersion"))
	l.add(Error, name, checkMaintainers(md.Maintainers))
	l.add(Error, name, checkSources(md.Sources))
	if md.Icon == "" {
		l.add(Info, name, errors.New("icon is recommended"))
	} else if !isRequestURL(md.Icon) {
		l.add(Error, name, fmt.Errorf("invalid icon URL '%s'", md.Icon))
	}
	if md.Type != "" && md.APIVersion != chart.APIVersionV2 {
		l.add(Error, name, fmt.Errorf("chart type is not valid in apiVersion '%s'. It is valid in apiVersion '%s'", md.APIVersion, chart.APIVersionV2))
	}
	if len(md.Dependencies) > 0 && md.APIVersion != chart.APIVersionV2 {
		l.add(Error, name, fmt.Errorf("dependencies are not valid in the Chart file with apiVersion '%s'. They are valid in apiVersion '%s'", md.APIVersion, chart.APIVersionV2))
	}
}

// wrapParse words a Chart.yaml that cannot be read as helm lint does.
func wrapParse(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("unable to parse YAML\n\t%s", err)
}

// checkName requires a name that is a single path element, the folder
// name the chart is packaged and installed under.
func checkName(name string) error {
	if name == "" {
		return errors.New("name is required")
	}
	if filepath.Base(name) != name {
		return fmt.Errorf("chart name %q is invalid", name)
	}
	return nil
}

func checkAPIVersion(v string) error {
	switch v {
	case chart.APIVersionV1, chart.APIVersionV2:
		return nil
	case "":
		return errors.New(`apiVersion is required. The value must be either "v1" or "v2"`)
	}
	return fmt.Errorf(`apiVersion '%s' is not valid. The value must be either "v1" or "v2"`, v)
}

// isString reports a field written as another YAML type (version: 1.0 is
// a number), named with the Go type a JSON decoder gives it, as helm lint
// does ("float64", "bool", "<nil>").
func isString(raw map[string]any, key string) error {
	v, ok := raw[key]
	if !ok {
		return nil
	}
	if _, ok := v.(string); !ok {
		return fmt.Errorf("%s should be of type string but it's of type %T", key, v)
	}
	return nil
}

// lowestVersion is the least version there is; a chart's must be above it.
var lowestVersion = semver.New(0, 0, 0, "0", "")

// checkVersion requires a version Helm can compare: what the semver
// library Helm resolves dependencies with reads (which also takes "v1.2"
// and "1.2"), above 0.0.0-0.
func checkVersion(v string) error {
	if v == "" {
		return errors.New("version is required")
	}
	sv, err := semver.NewVersion(v)
	if err != nil {
		return fmt.Errorf("version '%s' is not a valid SemVer", v)
	}
	if !sv.GreaterThan(lowestVersion) {
		return fmt.Errorf("version %q is less than or equal to %q", sv.String(), lowestVersion.String())
	}
	return nil
}

// checkMaintainers reports the first maintainer entry that is empty, has
// no name, or has an e-mail address or URL that is not one.
func checkMaintainers(ms []*chart.Maintainer) error {
	for _, m := range ms {
		switch {
		case m == nil:
			return errors.New("a maintainer entry is empty")
		case m.Name == "":
			return errors.New("each maintainer requires a name")
		case m.Email != "" && !isEmail(m.Email):
			return fmt.Errorf("invalid email '%s' for maintainer '%s'", m.Email, m.Name)
		case m.URL != "" && !isMaintainerURL(m.URL):
			return fmt.Errorf("invalid url '%s' for maintainer '%s'", m.URL, m.Name)
		}
	}
	return nil
}

// checkSources reports the first source that is not an absolute URL.
func checkSources(sources []string) error {
	for _, s := range sources {
		if !isRequestURL(s) {
			return fmt.Errorf("invalid source URL '%s'", s)
		}
	}
	return nil
}

// values checks that values.yaml parses and, when the chart has a
// non-empty values.schema.json, that the values meet it. helm lint
// coalesces the values with no overrides first, which leaves them as
// read. loaded is the values.yaml the chart loader read without error,
// if any: the loader parses it as the rule does (sigs.k8s.io/yaml into a
// map), so when it is the same and there is no schema to check the values
// against, it need not be parsed again.
func (l *chartLinter) values(idx chartFiles, loaded []byte) {
	const name = "values.yaml"
	data, found := idx[name]
	dir := idx.isDir(name)
	if !found && !dir {
		l.add(Info, name, errors.New("file does not exist"))
		return
	}
	if dir {
		l.add(Error, name, errors.New("unable to parse YAML: read values.yaml: is a directory"))
		return
	}
	schema := idx["values.schema.json"]
	if len(schema) == 0 && loaded != nil && bytes.Equal(loaded, data) {
		return
	}
	vals, err := chartutil.ReadValues(data)
	if err != nil {
		l.add(Error, name, fmt.Errorf("unable to parse YAML: %w", err))
		return
	}
	if len(schema) == 0 {
		return
	}
	l.add(Error, name, chartutil.ValidateAgainstSingleSchema(vals, schema))
}

// utf8BOM is dropped from the start of every file when Helm loads a chart
// from a folder.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// dependencies loads the chart (without its templates and CRDs, which no
// dependency rule reads) and compares the dependencies Chart.yaml lists
// with the subcharts under charts/. Messages about the chart as a whole
// name Chart.yaml; a chart that does not load names no file, as helm lint
// does. loaded is the values.yaml the chart loader read without error when
// rendering, if any: the loader would read it alike here, and no rule
// reads the values, so it is left out.
func (l *chartLinter) dependencies(files []workspace.File, loaded []byte) {
	buf := make([]*loader.BufferedFile, 0, len(files))
	for _, f := range files {
		if strings.HasPrefix(f.Path, "templates/") || strings.HasPrefix(f.Path, "crds/") {
			continue
		}
		if int64(len(f.Content)) > loader.MaxDecompressedFileSize {
			l.add(Error, "", fmt.Errorf("unable to load chart\n\tchart file %q is larger than the maximum file size %d", filepath.Base(f.Path), loader.MaxDecompressedFileSize))
			return
		}
		data := bytes.TrimPrefix(f.Content, utf8BOM)
		if f.Path == "values.yaml" && loaded != nil && bytes.Equal(data, loaded) {
			continue
		}
		buf = append(buf, &loader.BufferedFile{Name: f.Path, Data: data})
	}
	ch, err := loader.LoadFiles(buf)
	if err != nil {
		l.add(Error, "", fmt.Errorf("unable to load chart\n\t%s", err))
		return
	}
	listed := map[string]bool{}
	for _, d := range ch.Metadata.Dependencies {
		listed[d.Name] = true
	}
	present := map[string]bool{}
	var unlisted []string
	for _, sub := range ch.Dependencies() {
		present[sub.Metadata.Name] = true
		if !listed[sub.Metadata.Name] {
			unlisted = append(unlisted, sub.Metadata.Name)
		}
	}
	if len(unlisted) > 0 {
		l.add(Error, "Chart.yaml", fmt.Errorf("chart metadata is missing these dependencies: %s", strings.Join(unlisted, ",")))
	}
	// helm lint also looks for two dependencies with one name or alias,
	// but the loader refuses such a chart first ("unable to load chart"
	// above), so that check cannot fire and is left out.
	var absent []string
	for _, d := range ch.Metadata.Dependencies {
		if !present[d.Name] {
			absent = append(absent, d.Name)
		}
	}
	if len(absent) > 0 {
		l.add(Warning, "Chart.yaml", fmt.Errorf("chart directory is missing these dependencies: %s", strings.Join(absent, ",")))
	}
}
