package planner

import (
	"errors"
	"fmt"

	"github.com/stackgen/aiden/workspace"
)

// ErrFormat marks a format the built-in planner does not write.
var ErrFormat = errors.New("format not written by the built-in planner")

// Files returns the plan's files in format ("helm", "kustomize",
// "terraform"; empty means helm), paths relative to the target folder.
func (p *Plan) Files(format string) ([]workspace.File, error) {
	if p.Blueprint == BlueprintChart {
		switch format {
		case "", "helm":
			if p.argo && !p.flux {
				return p.ArgoApplication()
			}
			return p.ChartFiles(p.flux, ChartSource{})
		case "kustomize":
			if !p.flux {
				return nil, fmt.Errorf("%w: %s as Kustomize needs Flux to install its chart (a HelmRelease), and the repository has no Flux objects; use --format helm for a chart wrapping it", ErrNotCovered, p.Chart.Title)
			}
			return p.ChartFiles(true, ChartSource{})
		}
	}
	switch format {
	case "", "helm":
		return p.Helm()
	case "kustomize":
		return p.Kustomize()
	case "terraform":
		return p.TerraformFiles()
	}
	return nil, fmt.Errorf("%w: %s (use helm)", ErrFormat, format)
}
