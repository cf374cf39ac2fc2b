package policy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"google.golang.org/protobuf/types/known/structpb"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"k8s.io/apiserver/pkg/cel/common"
	"k8s.io/apiserver/pkg/cel/mutation"
	"k8s.io/apiserver/pkg/cel/mutation/dynamic"
)

// Mutations: a MutatingPolicy's expressions build an apply configuration
// (Object{...}, Kubernetes' dynamic Object types) or a list of JSONPatch
// values, with Kubernetes' own CEL types (k8s.io/apiserver/pkg/cel/mutation).
// Offline there is no schema: an apply configuration is merged as
// structured-merge-diff merges a deduced schema (maps merge, scalars and
// lists are replaced) except that lists of named maps (containers,
// volumes, env) merge by name as their schema says; JSON patches are
// applied with evanphx/json-patch.

var celMutationEnv = sync.OnceValues(func() (*cel.Env, error) {
	base, err := celBaseEnv()
	if err != nil {
		return nil, err
	}
	env, err := base.Extend(common.ResolverEnvOption(&mutation.DynamicTypeResolver{}))
	if err != nil {
		return nil, fmt.Errorf("build cel mutation environment: %w", err)
	}
	return env, nil
})

// compileMutation compiles a mutation expression in the environment that
// knows Object and JSONPatch.
func compileMutation(expr string) *celProgram {
	p := &celProgram{expr: expr}
	env, err := celMutationEnv()
	if err != nil {
		p.err = err
		return p
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		p.err = fmt.Errorf("compile %q: %w", expr, iss.Err())
		return p
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(celPerCallLimit))
	if err != nil {
		p.err = fmt.Errorf("program %q: %w", expr, err)
		return p
	}
	p.prg = prg
	return p
}

// mutate applies the policy's mutations in order to a copy of the object.
// The result is pass with the patched object, or skip when the object is
// left as it was.
func (p *CELPolicy) mutate(cs *celCompiled, act *celActivation, errResult func(*celProgram, error) *RuleResult) *RuleResult {
	original := act.vars["object"]
	obj, _ := deepCopyJSON(original).(map[string]any)
	for i, m := range cs.spec.Mutations {
		prg := cs.mutations[i]
		act.vars["object"] = obj
		out, err := prg.eval(act)
		if err != nil {
			return errResult(prg, err)
		}
		switch {
		case m.ApplyConfiguration != nil:
			ov, ok := out.(*dynamic.ObjectVal)
			if !ok {
				return errResult(prg, fmt.Errorf("applyConfiguration must evaluate to an Object, got %s", out.Type().TypeName()))
			}
			if err := ov.CheckTypeNamesMatchFieldPathNames(); err != nil {
				return errResult(prg, fmt.Errorf("type mismatch: %w", err))
			}
			patch, err := ov.ConvertToNative(reflect.TypeFor[map[string]any]())
			if err != nil {
				return errResult(prg, err)
			}
			obj = applyConfiguration(obj, celNative(patch).(map[string]any))
		case m.JSONPatch != nil:
			patched, err := applyCELJSONPatch(obj, out)
			if err != nil {
				return errResult(prg, err)
			}
			obj = patched
		}
	}
	act.vars["object"] = original
	if reflect.DeepEqual(celNative(obj), original) {
		return &RuleResult{Policy: p.Name, Status: StatusSkip, Message: "mutations change nothing", Patched: obj}
	}
	return &RuleResult{Policy: p.Name, Status: StatusPass, Message: "mutated", Patched: obj}
}

// applyCELJSONPatch applies a list of JSONPatch values.
func applyCELJSONPatch(obj map[string]any, out ref.Val) (map[string]any, error) {
	list, ok := out.(traits.Lister)
	if !ok {
		return nil, fmt.Errorf("jsonPatch must evaluate to a list of JSONPatch, got %s", out.Type().TypeName())
	}
	var ops []map[string]any
	for it := list.Iterator(); it.HasNext() == types.True; {
		v := it.Next()
		n, err := v.ConvertToNative(reflect.TypeFor[*mutation.JSONPatchVal]())
		if err != nil {
			return nil, fmt.Errorf("jsonPatch element: %w", err)
		}
		op := n.(*mutation.JSONPatchVal)
		m := map[string]any{"op": op.Op, "path": op.Path}
		if op.From != "" {
			m["from"] = op.From
		}
		if op.Val != nil {
			pv, err := op.Val.ConvertToNative(reflect.TypeFor[*structpb.Value]())
			if err != nil {
				return nil, fmt.Errorf("jsonPatch value: %w", err)
			}
			m["value"] = pv.(*structpb.Value).AsInterface()
		}
		ops = append(ops, m)
	}
	pb, err := json.Marshal(ops)
	if err != nil {
		return nil, fmt.Errorf("encode json patch: %w", err)
	}
	patch, err := jsonpatch.DecodePatch(pb)
	if err != nil {
		return nil, fmt.Errorf("decode json patch: %w", err)
	}
	ob, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode object: %w", err)
	}
	res, err := patch.Apply(ob)
	if err != nil {
		return nil, fmt.Errorf("apply json patch: %w", err)
	}
	var outObj map[string]any
	if err := json.Unmarshal(res, &outObj); err != nil {
		return nil, fmt.Errorf("decode patched object: %w", err)
	}
	return celNative(outObj).(map[string]any), nil
}

// applyConfiguration merges an apply configuration into an object.
func applyConfiguration(obj, patch map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range obj {
		out[k] = v
	}
	for k, pv := range patch {
		ov, exists := out[k]
		switch p := pv.(type) {
		case map[string]any:
			if om, ok := ov.(map[string]any); ok && exists {
				out[k] = applyConfiguration(om, p)
				continue
			}
			out[k] = p
		case []any:
			if ol, ok := ov.([]any); ok && exists && namedList(ol) && namedList(p) {
				out[k] = mergeNamed(ol, p)
				continue
			}
			out[k] = p
		default:
			out[k] = pv
		}
	}
	return out
}

func namedList(l []any) bool {
	if len(l) == 0 {
		return false
	}
	for _, x := range l {
		m, ok := x.(map[string]any)
		if !ok {
			return false
		}
		if _, ok := m["name"].(string); !ok {
			return false
		}
	}
	return true
}

func mergeNamed(orig, patch []any) []any {
	out := append([]any(nil), orig...)
	for _, px := range patch {
		pm := px.(map[string]any)
		found := false
		for i, ox := range out {
			om := ox.(map[string]any)
			if om["name"] == pm["name"] {
				out[i] = applyConfiguration(om, pm)
				found = true
				break
			}
		}
		if !found {
			out = append(out, pm)
		}
	}
	return out
}

// deepCopyJSON copies decoded JSON/YAML values.
func deepCopyJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = deepCopyJSON(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = deepCopyJSON(x)
		}
		return out
	}
	return v
}
