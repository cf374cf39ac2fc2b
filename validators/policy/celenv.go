package policy

import (
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
	"k8s.io/apiserver/pkg/cel/lazy"
	"k8s.io/apiserver/pkg/cel/library"

	"github.com/stackgen/aiden/internal/lazyre"
)

// CEL evaluation: the language is github.com/google/cel-go, with the
// Kubernetes CEL libraries of k8s.io/apiserver/pkg/cel/library at the
// versions Kubernetes' base environment enables them (1.37), plus the
// cel-go extensions Kyverno's CEL policies add (bindings, encoders, math,
// regex). The environment is built on first use, not at package init.

// celPerCallLimit is Kubernetes' per-expression cost limit
// (k8s.io/apiserver/pkg/apis/cel.PerCallLimit).
const celPerCallLimit = 1000000

// The variables every expression can name. authorizer, and Kyverno's
// resource, http, globalContext and image data libraries, need a cluster
// or a registry: they are not declared, and an expression naming them is
// reported as needing a cluster.
var celVariables = []string{"object", "oldObject", "request", "params", "namespaceObject", "variables"}

// celClusterNames are identifiers whose use means the expression needs a
// cluster or a registry to be evaluated.
var celClusterNames = []string{"authorizer", "imagedata", "exceptions", "generator", "gctx"}

var celBaseEnv = sync.OnceValues(func() (*cel.Env, error) {
	opts := []cel.EnvOption{
		cel.HomogeneousAggregateLiterals(),
		cel.EagerlyValidateDeclarations(true),
		cel.DefaultUTCTimeZone(true),
		cel.CrossTypeNumericComparisons(true),
		cel.OptionalTypes(),
		cel.CostEstimatorOptions(checker.PresenceTestHasCost(false)),
		cel.ASTValidators(
			cel.ValidateDurationLiterals(),
			cel.ValidateTimestampLiterals(),
			cel.ValidateRegexLiterals(),
			cel.ValidateHomogeneousAggregateLiterals(),
		),
		ext.Bindings(),
		ext.Encoders(),
		ext.Math(),
		ext.Sets(),
		ext.Strings(ext.StringsVersion(2)),
		ext.Lists(ext.ListsVersion(3)),
		ext.TwoVarComprehensions(),
		ext.Regex(ext.RegexVersion(1)),
		library.URLs(),
		library.Regex(),
		library.Quantity(),
		library.IP(),
		library.CIDR(),
		library.Format(),
		library.SemverLib(library.SemverVersion(1)),
		library.Lists(library.ListsVersion(1)),
		library.JSONPatch(),
		celResourceLib(),
		cel.Lib(imageDataLib{}),
		cel.Lib(mockLib{}),
	}
	for _, v := range celVariables {
		if v == "variables" {
			opts = append(opts, cel.Variable(v, cel.MapType(cel.StringType, cel.DynType)))
			continue
		}
		opts = append(opts, cel.Variable(v, cel.DynType))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("build cel environment: %w", err)
	}
	return env, nil
})

// celNeedsCluster starts the message of an expression that names what
// only a cluster or a registry can answer.
const celNeedsCluster = "needs a cluster"

// celProgram is one compiled expression.
type celProgram struct {
	expr string
	prg  cel.Program
	// err is the compile error; cluster says it is because the expression
	// needs a cluster or a registry.
	err     error
	cluster bool
}

var celIdent = lazyre.New(`undeclared reference to '([A-Za-z_][A-Za-z0-9_]*)'|found no matching overload for '([A-Za-z_.][A-Za-z0-9_.]*)'`)

// compileCEL compiles one expression. A compile error is kept in the
// program, to be reported for each object it would apply to.
func compileCEL(expr string) *celProgram {
	p := &celProgram{expr: expr}
	env, err := celBaseEnv()
	if err != nil {
		p.err = err
		return p
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		p.err = fmt.Errorf("compile %q: %w", expr, iss.Err())
		for _, m := range celIdent.FindAllStringSubmatch(iss.Err().Error(), -1) {
			name := m[1] + m[2]
			for _, c := range celClusterNames {
				if name == c || strings.HasPrefix(name, c+".") {
					p.cluster = true
				}
			}
		}
		return p
	}
	prg, err := env.Program(ast,
		cel.EvalOptions(cel.OptOptimize, cel.OptTrackCost),
		cel.CostLimit(celPerCallLimit),
		cel.CostTrackerOptions(interpreter.PresenceTestHasCost(false)),
		cel.CostTracking(&library.CostEstimator{}),
	)
	if err != nil {
		p.err = fmt.Errorf("program %q: %w", expr, err)
		return p
	}
	p.prg = prg
	return p
}

// eval runs the program on an activation.
func (p *celProgram) eval(act *celActivation) (ref.Val, error) {
	if p.err != nil {
		return nil, p.err
	}
	out, _, err := p.prg.Eval(act)
	if err != nil {
		return nil, fmt.Errorf("evaluate %q: %w", p.expr, err)
	}
	return out, nil
}

// celActivation is what one object's evaluation sees. It implements
// interpreter.Activation.
type celActivation struct {
	vars map[string]any
}

// ResolveName implements interpreter.Activation.
func (a *celActivation) ResolveName(name string) (any, bool) {
	v, ok := a.vars[name]
	return v, ok
}

// Parent implements interpreter.Activation.
func (a *celActivation) Parent() interpreter.Activation { return nil }

// celVariable is a named, compiled variable of a policy.
type celVariable struct {
	name string
	prg  *celProgram
}

// newActivation builds the activation of one evaluation: the object (as
// decoded, numbers that are whole as integers), the request, params, the
// namespace object and the policy's variables, each evaluated lazily on
// first use, as Kubernetes does.
func newActivation(in *celInput, params map[string]any, vars []celVariable) *celActivation {
	act := &celActivation{vars: map[string]any{
		"object":          in.celObject(),
		"oldObject":       nil,
		"request":         in.celRequest(),
		"params":          nil,
		"namespaceObject": nil,
		"resource":        &resourceVal{cluster: in.cluster},
		"image":           &imageDataVal{cluster: in.cluster},
		"http":            &mockVal{cluster: in.cluster, typ: celHTTPType},
		"globalContext":   &mockVal{cluster: in.cluster, typ: celGlobalType},
	}}
	if in.object == nil {
		act.vars["object"] = nil
	}
	if in.oldObject != nil {
		act.vars["oldObject"] = celNative(in.oldObject)
	}
	if params != nil {
		act.vars["params"] = celNative(params)
	}
	if ns := in.namespaceObject(); ns != nil {
		act.vars["namespaceObject"] = celNative(ns)
	}
	lm := lazy.NewMapValue(types.NewMapType(types.StringType, types.DynType))
	for _, v := range vars {
		lm.Append(v.name, func(*lazy.MapValue) ref.Val {
			out, err := v.prg.eval(act)
			if err != nil && v.prg.cluster {
				return types.NewErr("variable %q %s: %v", v.name, celNeedsCluster, err)
			}
			if err != nil {
				return types.NewErr("variable %q: %v", v.name, err)
			}
			return out
		})
	}
	act.vars["variables"] = lm
	return act
}

// celNative copies decoded YAML for CEL: whole float64 numbers become
// int64, as a JSON decoder for Kubernetes objects gives them.
func celNative(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = celNative(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = celNative(x)
		}
		return out
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return int64(t)
		}
		return t
	case int:
		return int64(t)
	}
	return v
}
