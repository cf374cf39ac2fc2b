// Command startfloor does nothing but link the libraries aiden's checks are
// built on, the ones the product requires: Helm's chart loader, values and
// template engine, kustomize's krusty, kubeconform's validator, OPA's rego,
// cel-go with the Kubernetes CEL library, and pod-security-admission. What
// it costs to start (wall time, peak RSS) is what their package
// initialisation costs before aiden runs a line of its own: a floor for
// `aiden version`. scripts/bench-cli.sh times it beside aiden and
// kubeconform (docs/benchmarks.md, "The CLI build").
//
//	go run ./scripts/startfloor
package main

import (
	"fmt"

	_ "github.com/google/cel-go/cel"
	_ "github.com/open-policy-agent/opa/v1/rego"
	_ "github.com/yannh/kubeconform/pkg/validator"
	_ "helm.sh/helm/v3/pkg/chart/loader"
	_ "helm.sh/helm/v3/pkg/chartutil"
	_ "helm.sh/helm/v3/pkg/engine"
	_ "k8s.io/apiserver/pkg/cel/library"
	_ "k8s.io/pod-security-admission/policy"
	_ "sigs.k8s.io/kustomize/api/krusty"
)

func main() { fmt.Println("startfloor: the libraries are initialised") }
