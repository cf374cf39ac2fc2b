package validators

import (
	"path"
	"strings"

	"github.com/stackgen/aiden/workspace"
)

// chartValues returns the values files of the chart at root (files holds
// its files relative to root) with repository paths: values.yaml and
// values-*.yaml / values.*.yaml beside a Chart.yaml, the chart's own and
// its subcharts'. Templates and other files are not values.
func chartValues(root string, files []workspace.File) []workspace.File {
	var out []workspace.File
	for _, f := range files {
		dir, base := path.Split(f.Path)
		if !isValuesName(base) || !isChartDir(strings.TrimSuffix(dir, "/")) {
			continue
		}
		out = append(out, workspace.File{Path: join(root, f.Path), Content: f.Content})
	}
	return out
}

// isValuesName accepts values.yaml, values.yml, values-prod.yaml,
// values.production.yaml.
func isValuesName(base string) bool {
	ext := path.Ext(base)
	if ext != ".yaml" && ext != ".yml" {
		return false
	}
	stem := strings.TrimSuffix(base, ext)
	return stem == "values" || strings.HasPrefix(stem, "values-") || strings.HasPrefix(stem, "values.") || strings.HasPrefix(stem, "values_")
}

// isChartDir reports whether dir, relative to a chart's root, is the chart
// itself ("") or a subchart (charts/NAME, nested).
func isChartDir(dir string) bool {
	if dir == "" {
		return true
	}
	parts := strings.Split(dir, "/")
	if len(parts)%2 != 0 {
		return false
	}
	for i := 0; i < len(parts); i += 2 {
		if parts[i] != "charts" {
			return false
		}
	}
	return true
}
