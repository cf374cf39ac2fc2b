package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/kyverno/kyverno/ext/wildcard"
	"github.com/kyverno/kyverno/pkg/engine/anchor"
	"github.com/kyverno/kyverno/pkg/engine/validate"
	"sigs.k8s.io/kustomize/api/filters/patchstrategicmerge"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// A classic Kyverno mutate rule is applied offline the way Kyverno's
// engine applies it (pkg/engine/mutate and pkg/engine/handlers/mutation):
// variables are substituted in the patch, a patchStrategicMerge's anchors
// are resolved against the resource, the patch is merged with kustomize's
// strategic merge (lists of maps merged by their name-like key, as
// Kyverno's merge does), a patchesJson6902 is applied with evanphx's JSON
// patch and Kyverno's options, and foreach entries patch the resource
// element by element. A rule whose patch leaves the resource as it was is
// skipped ("the patch changes nothing"); otherwise it passes and carries
// the patched object. Mutations of other resources (targets) patch the
// targets a test gives (targetResources).

// hasMutate reports whether the policy has a mutate rule.
func (p *KyvernoPolicy) hasMutate() bool {
	for i := range p.Rules {
		if p.Rules[i].hasMutate() {
			return true
		}
	}
	return false
}

// mutateRule applies the rule's mutation to the evaluation's resource.
func (e *evaluation) mutateRule(m *kyMutation) RuleResult {
	if len(m.Targets) > 0 {
		return e.mutateTargets(m)
	}
	var patched map[string]any
	var err error
	switch {
	case len(m.Foreach) > 0:
		var applied int
		patched, applied, err = e.mutateForeach(m.Foreach, e.resource)
		if err == nil && applied == 0 {
			return RuleResult{Status: StatusSkip, Message: "the patch changes nothing (no foreach element applied)"}
		}
	case m.PatchStrategicMerge != nil || m.PatchesJSON6902 != "":
		patched, err = e.patch(m.PatchStrategicMerge, m.PatchesJSON6902, e.resource)
	default:
		return RuleResult{Status: StatusError, Message: "empty mutate rule"}
	}
	if err != nil {
		return RuleResult{Status: StatusError, Message: err.Error()}
	}
	if reflect.DeepEqual(patched, e.resource) {
		return RuleResult{Status: StatusSkip, Message: "the patch changes nothing"}
	}
	return RuleResult{Status: StatusPass, Message: "mutation applies", Patched: patched}
}

// kyTarget is one entry of a mutate rule's targets.
type kyTarget struct {
	APIVersion    string           `json:"apiVersion"`
	Kind          string           `json:"kind"`
	Name          string           `json:"name"`
	Namespace     string           `json:"namespace"`
	Context       []kyContextEntry `json:"context"`
	Preconditions any              `json:"preconditions"`
}

// mutateTargets applies a mutate-existing rule to its targets among the
// objects a test gives as targetResources (an empty namespace or name
// selects all, a name may hold wildcards), with the target as the
// `target` variable. It passes when a target changed; the patched
// targets are in the result.
func (e *evaluation) mutateTargets(m *kyMutation) RuleResult {
	if e.cluster == nil || len(e.cluster.Targets) == 0 {
		return RuleResult{Status: StatusPass, Message: "rule applies (its targets, existing resources, are not among the given objects)"}
	}
	saved := e.ctx.data
	defer func() { e.ctx.data = saved }()
	var patched []map[string]any
	changed := false
	for i, raw := range m.Targets {
		sub, err := e.substituteAll(raw)
		if err != nil {
			return RuleResult{Status: StatusError, Message: fmt.Sprintf("mutate.targets[%d]: variable substitution failed: %v", i, err)}
		}
		var t kyTarget
		b, _ := json.Marshal(sub)
		if err := json.Unmarshal(b, &t); err != nil {
			return RuleResult{Status: StatusError, Message: fmt.Sprintf("mutate.targets[%d]: %v", i, err)}
		}
		for _, obj := range e.cluster.Targets {
			name, ns := objectName(obj)
			if av, _ := obj["apiVersion"].(string); (t.APIVersion != "" && av != t.APIVersion) || obj["kind"] != t.Kind ||
				(t.Name != "" && !wildcard.Match(t.Name, name)) || (t.Namespace != "" && ns != t.Namespace) {
				continue
			}
			e.ctx.data = saved
			e.ctx.set(obj, false, "target")
			if err := e.loadContext(t.Context); err != nil {
				return RuleResult{Status: StatusError, Message: fmt.Sprintf("mutate.targets[%d].context: %v", i, err)}
			}
			ok, _, err := e.conditions(t.Preconditions)
			if err != nil {
				return RuleResult{Status: StatusError, Message: fmt.Sprintf("mutate.targets[%d].preconditions: %v", i, err)}
			}
			if !ok {
				continue
			}
			var out map[string]any
			if len(m.Foreach) > 0 {
				out, _, err = e.mutateForeach(m.Foreach, obj)
			} else {
				out, err = e.patch(m.PatchStrategicMerge, m.PatchesJSON6902, obj)
			}
			if err != nil {
				return RuleResult{Status: StatusError, Message: err.Error()}
			}
			if !reflect.DeepEqual(out, obj) {
				changed = true
			}
			patched = append(patched, out)
		}
	}
	if !changed {
		return RuleResult{Status: StatusSkip, Message: "the patch changes no target", Targets: patched}
	}
	return RuleResult{Status: StatusPass, Message: "mutation applies to its targets", Targets: patched}
}

// patch substitutes variables in a strategic merge patch or a JSON patch
// (the first given) and applies it to res.
func (e *evaluation) patch(psm any, json6902 string, res map[string]any) (map[string]any, error) {
	if psm != nil {
		p, err := e.substituteAll(psm)
		if err != nil {
			return nil, fmt.Errorf("variable substitution failed: %w", err)
		}
		out, err := strategicMerge(p, res)
		if err != nil {
			return nil, fmt.Errorf("failed to apply patchStrategicMerge: %w", err)
		}
		return out, nil
	}
	p, err := e.substituteAll(json6902)
	if err != nil {
		return nil, fmt.Errorf("variable substitution failed: %w", err)
	}
	s, _ := p.(string)
	out, err := applyJSON6902(s, res)
	if err != nil {
		return nil, fmt.Errorf("failed to apply patchesJson6902: %w", err)
	}
	return out, nil
}

// mutateForeach applies foreach mutations in turn. Within one entry the
// elements are taken in descending order for a strategic merge patch and
// ascending for a JSON patch unless order says otherwise; the context's
// request.object is the resource as the previous entry left it. It
// returns the patched resource and how many entries changed it.
func (e *evaluation) mutateForeach(list []kyForeachMutation, res map[string]any) (map[string]any, int, error) {
	applied := 0
	for _, fe := range list {
		elements, err := e.evaluateList(fe.List)
		if err != nil {
			return nil, 0, fmt.Errorf("failed to evaluate list %s: %w", fe.List, err)
		}
		out, err := e.mutateElements(fe, elements, res)
		if err != nil {
			return nil, 0, err
		}
		if !reflect.DeepEqual(out, res) {
			applied++
			res = out
			e.ctx.set(res, false, "request", "object")
		}
	}
	return res, applied, nil
}

func (e *evaluation) mutateElements(fe kyForeachMutation, elements []any, res map[string]any) (map[string]any, error) {
	saved := e.ctx.data
	defer func() { e.ctx.data = saved }()
	reverse := fe.PatchStrategicMerge != nil
	switch fe.Order {
	case "Ascending":
		reverse = false
	case "Descending":
		reverse = true
	}
	patched := res
	for i := range elements {
		index := i
		if reverse {
			index = len(elements) - 1 - i
		}
		el := elements[index]
		if el == nil {
			continue
		}
		e.ctx.data = saved
		e.ctx.addElement(el, index, e.nesting)
		if err := e.loadContext(fe.Context); err != nil {
			return nil, fmt.Errorf("failed to load mutate.foreach[%d].context: %w", index, err)
		}
		ok, _, err := e.conditions(fe.Preconditions)
		if err != nil {
			return nil, fmt.Errorf("failed to evaluate mutate.foreach[%d].preconditions: %w", index, err)
		}
		if !ok {
			continue
		}
		if len(fe.Foreach) > 0 {
			child := &evaluation{env: e.env, rule: e.rule, ctx: e.ctx, resource: patched, nesting: e.nesting + 1, values: e.values, cluster: e.cluster}
			out, _, err := child.mutateForeach(fe.Foreach, patched)
			if err != nil {
				return nil, err
			}
			patched = out
			continue
		}
		if fe.PatchStrategicMerge == nil && fe.PatchesJSON6902 == "" {
			return nil, errors.New("empty mutate rule")
		}
		out, err := e.patch(fe.PatchStrategicMerge, fe.PatchesJSON6902, patched)
		if err != nil {
			return nil, err
		}
		patched = out
	}
	return patched, nil
}

// applyJSON6902 applies a JSON patch (YAML or JSON) with the options
// Kyverno uses: negative indices, remove of a missing path allowed, add
// creating missing parents.
func applyJSON6902(patch string, res map[string]any) (map[string]any, error) {
	pj, err := sigsyaml.YAMLToJSON([]byte(patch))
	if err != nil {
		return nil, fmt.Errorf("decode patch: %w", err)
	}
	ops, err := jsonpatch.DecodePatch(pj)
	if err != nil {
		return nil, fmt.Errorf("decode patch: %w", err)
	}
	rb, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	opts := jsonpatch.NewApplyOptions()
	opts.SupportNegativeIndices, opts.AllowMissingPathOnRemove, opts.EnsurePathExistsOnAdd = true, true, true
	ob, err := ops.ApplyWithOptions(rb, opts)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(ob, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// strategicMerge resolves the anchors of a strategic merge patch against
// res, then merges it with kustomize's strategic merge. A conditional or
// global anchor that does not hold empties the patch.
func strategicMerge(patch any, res map[string]any) (map[string]any, error) {
	p := deepCopyJSON(patch)
	p, err := preprocessPatch(p, res)
	var ce *anchorError
	switch {
	case errors.As(err, &ce):
		p = map[string]any{}
	case err != nil:
		return nil, fmt.Errorf("failed to preprocess the patch: %w", err)
	}
	if m, ok := p.(map[string]any); ok {
		p = deleteConditionElements(m)
	}
	pb, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	rb, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	pn, err := kyaml.Parse(string(pb))
	if err != nil {
		return nil, fmt.Errorf("parse patch: %w", err)
	}
	rn, err := kyaml.Parse(string(rb))
	if err != nil {
		return nil, fmt.Errorf("parse resource: %w", err)
	}
	nodes, err := patchstrategicmerge.Filter{Patch: pn}.Filter([]*kyaml.RNode{rn})
	if err != nil {
		return nil, err
	}
	if len(nodes) == 0 {
		return nil, errors.New("the patch deletes the resource")
	}
	ob, err := nodes[0].MarshalJSON()
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(ob, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// anchorError is a conditional (or, with global, a global) anchor that
// does not hold on the resource.
type anchorError struct {
	global bool
	err    error
}

func (e *anchorError) Error() string {
	if e.global {
		return "global condition failed: " + e.err.Error()
	}
	return "condition failed: " + e.err.Error()
}

// preprocessPatch resolves a patch's anchors against the resource:
// add-if-not-present keys are dropped where the resource has them,
// conditional and global anchors are checked (an anchorError when one
// does not hold), and in a list of maps an anchored element is repeated,
// with the resource element's name, for each resource element it holds on.
func preprocessPatch(p, res any) (any, error) {
	switch t := p.(type) {
	case map[string]any:
		return t, walkPatchMap(t, res)
	case []any:
		if len(t) > 0 {
			if _, ok := t[0].(map[string]any); ok {
				return patchListOfMaps(t, res)
			}
		}
	}
	return p, nil
}

func walkPatchMap(p map[string]any, res any) error {
	addIfNotPresent(p, res)
	if err := checkAnchors(p, res); err != nil {
		return err
	}
	r, _ := res.(map[string]any)
	for _, k := range sortedKeys(p) {
		if a := anchor.Parse(k); a != nil && mutateAnchor(a) {
			continue
		}
		var rv any
		if r != nil {
			rv = r[k]
		}
		v, err := preprocessPatch(p[k], rv)
		if err != nil {
			return err
		}
		p[k] = v
	}
	return nil
}

// mutateAnchor reports the anchors a mutation resolves: conditional,
// global and add-if-not-present. Other anchors are plain keys in a patch.
func mutateAnchor(a anchor.Anchor) bool {
	return anchor.ContainsCondition(a) || anchor.IsAddIfNotPresent(a)
}

// addIfNotPresent drops the +(key) entries whose key the resource has and
// renames the others to key; it returns how many there were.
func addIfNotPresent(p map[string]any, res any) int {
	r, _ := res.(map[string]any)
	n := 0
	for _, k := range sortedKeys(p) {
		a := anchor.Parse(k)
		if a == nil || !anchor.IsAddIfNotPresent(a) {
			continue
		}
		n++
		v := p[k]
		delete(p, k)
		if _, present := r[a.Key()]; present && r != nil {
			continue
		}
		p[a.Key()] = v
	}
	return n
}

// checkAnchors checks the global anchors, then the conditional ones, of
// one map of a patch.
func checkAnchors(p map[string]any, res any) error {
	r, _ := res.(map[string]any)
	for _, global := range []bool{true, false} {
		for _, k := range sortedKeys(p) {
			a := anchor.Parse(k)
			if a == nil || (global && !anchor.IsGlobal(a)) || (!global && !anchor.IsCondition(a)) {
				continue
			}
			rv, present := r[a.Key()]
			if !present {
				return &anchorError{global: global, err: fmt.Errorf("could not find %q key in the resource", a.Key())}
			}
			pv := p[k]
			if pm, ok := pv.(map[string]any); ok && addIfNotPresent(pm, rv) > 0 {
				continue
			}
			if err := validate.MatchPattern(discardLog, rv, pv); err != nil {
				return &anchorError{global: global, err: err}
			}
		}
	}
	return nil
}

// patchListOfMaps applies each anchored element of a patch list to every
// element of the resource list: where its anchors hold, a copy without
// anchors named as the resource element is appended, for the merge to
// patch that element. A global anchor that holds on no element fails the
// whole patch.
func patchListOfMaps(list []any, res any) ([]any, error) {
	rl, _ := res.([]any)
	out := list
	for _, pe := range list {
		if !patchHasAnchors(pe, mutateAnchor) {
			continue
		}
		hasGlobal := patchHasAnchors(pe, anchor.IsGlobal)
		globalPassed := false
		var globalErr error
		// As Kyverno does, one copy of the element is resolved against
		// each resource element in turn.
		cp := deepCopyJSON(pe)
		for _, re := range rl {
			v, err := preprocessPatch(cp, re)
			cp = v
			var ae *anchorError
			if errors.As(err, &ae) {
				if ae.global {
					globalErr = err
				}
				continue
			}
			if err != nil {
				return nil, err
			}
			if hasGlobal {
				globalPassed = true
				continue
			}
			rm, _ := re.(map[string]any)
			name, _ := rm["name"].(string)
			if name == "" {
				continue
			}
			n, empty := deleteAnchors(deepCopyJSON(cp), true)
			if empty {
				continue
			}
			if nm, ok := n.(map[string]any); ok {
				nm["name"] = name
				out = append(out, nm)
			}
		}
		if res == nil {
			// only a conditional anchor's failure is passed over here
			_, err := preprocessPatch(cp, nil)
			var ae *anchorError
			if errors.As(err, &ae) && !ae.global {
				continue
			}
			if err != nil {
				return nil, err
			}
			if hasGlobal {
				globalPassed = true
			}
		}
		if !globalPassed && globalErr != nil {
			return nil, globalErr
		}
	}
	return out, nil
}

// patchHasAnchors reports whether a patch value holds an anchor key that
// is matches, or a string value that is a conditional anchor.
func patchHasAnchors(v any, is func(anchor.Anchor) bool) bool {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if a := anchor.Parse(k); a != nil && is(a) {
				return true
			}
			if x != nil && patchHasAnchors(x, is) {
				return true
			}
		}
	case []any:
		for _, x := range t {
			if patchHasAnchors(x, is) {
				return true
			}
		}
	case string:
		return anchor.ContainsCondition(anchor.Parse(t))
	}
	return false
}

// deleteConditionElements removes the condition parts of a resolved
// patch, leaving what is merged.
func deleteConditionElements(p map[string]any) map[string]any {
	for _, k := range sortedKeys(p) {
		v, empty := deleteAnchors(p[k], anchor.ContainsCondition(anchor.Parse(k)))
		if empty {
			delete(p, k)
			continue
		}
		p[k] = v
	}
	return p
}

// deleteAnchors removes condition anchors (and what becomes empty
// without them) from a patch value; it reports whether the value itself
// is to be removed. A scalar is removed when deleteScalar is set.
func deleteAnchors(v any, deleteScalar bool) (any, bool) {
	switch t := v.(type) {
	case map[string]any:
		return deleteAnchorsInMap(t)
	case []any:
		return deleteAnchorsInList(t)
	}
	return v, deleteScalar
}

func deleteAnchorsInMap(m map[string]any) (any, bool) {
	kept := false
	for _, k := range sortedKeys(m) {
		if a := anchor.Parse(k); a == nil || !anchor.ContainsCondition(a) {
			continue
		}
		v, del := deleteAnchors(m[k], true)
		if del {
			delete(m, k)
			continue
		}
		m[k] = v
		kept = true
	}
	if kept {
		for _, k := range sortedKeys(m) {
			if a := anchor.Parse(k); a != nil && anchor.ContainsCondition(a) {
				v := m[k]
				delete(m, k)
				m[a.Key()] = v
			}
		}
	}
	empty := true
	for _, k := range sortedKeys(m) {
		v, del := deleteAnchors(m[k], false)
		if del {
			delete(m, k)
			continue
		}
		m[k] = v
		empty = false
	}
	return m, empty
}

func deleteAnchorsInList(l []any) (any, bool) {
	wasEmpty := len(l) == 0
	cur := append([]any(nil), l...)
	// Kyverno removes by the original index from the shrinking list.
	for i, el := range l {
		del := false
		if patchHasAnchors(el, mutateAnchor) {
			del = true
		} else {
			// maps and lists are resolved in place
			_, del = deleteAnchors(el, false)
		}
		if del && i < len(cur) {
			cur = append(cur[:i], cur[i+1:]...)
		}
	}
	if len(cur) == 0 && !wasEmpty {
		return cur, true
	}
	return cur, false
}
