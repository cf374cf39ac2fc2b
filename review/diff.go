package review

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/stackgen/aiden/secrets"
)

// Object changes.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
)

// Hidden stands for a Secret's value in a diff.
const Hidden = "(hidden)"

// UnitDiff is what changed in the objects one unit renders.
type UnitDiff struct {
	// Environment is the environment folder the unit lies in
	// (clusters/production).
	Environment string `json:"environment"`
	// Kind is chart, kustomize, manifests or helmrelease.
	Kind string `json:"kind"`
	// Path is the unit's folder, relative to the repository's top; for a
	// helmrelease unit, the folder of the unit that holds the HelmRelease.
	Path string `json:"path"`
	// Release is the HelmRelease (Kind/namespace/name) of a helmrelease
	// unit.
	Release string `json:"release,omitempty"`
	// Chart is the chart folder a helmrelease unit renders.
	Chart string `json:"chart,omitempty"`
	// Objects are the objects added, removed or changed, by id.
	Objects []ObjectChange `json:"objects"`
}

// ObjectChange is one object added, removed or changed.
type ObjectChange struct {
	// Object is Kind/namespace/name (Kind/name when cluster-scoped).
	Object string `json:"object"`
	// Change is added, removed or changed.
	Change string `json:"change"`
	// Fields are the fields that differ, for a changed object.
	Fields []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one field (a leaf of the object) that differs.
type FieldChange struct {
	// Path is the field's JSON pointer (/spec/replicas).
	Path string `json:"path"`
	// Before is its value at the base, as JSON ("" when absent).
	Before string `json:"before,omitempty"`
	// After is its value at the head, as JSON ("" when absent).
	After string `json:"after,omitempty"`
}

// diffUnit compares a unit's objects at base and head; nil maps are an
// absent unit.
func diffUnit(base, head map[string]*object) []ObjectChange {
	ids := map[string]bool{}
	for id := range base {
		ids[id] = true
	}
	for id := range head {
		ids[id] = true
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	var out []ObjectChange
	for _, id := range sorted {
		b, h := base[id], head[id]
		switch {
		case b == nil:
			out = append(out, ObjectChange{Object: id, Change: Added})
		case h == nil:
			out = append(out, ObjectChange{Object: id, Change: Removed})
		default:
			if fields := diffFields(b, h); len(fields) > 0 {
				out = append(out, ObjectChange{Object: id, Change: Changed, Fields: fields})
			}
		}
	}
	return out
}

// diffFields lists the leaves that differ between two versions of an
// object, a Secret's data and stringData values hidden, and any value
// that looks like a credential (secrets.Spans) on either side.
func diffFields(b, h *object) []FieldChange {
	bf, hf := map[string]string{}, map[string]string{}
	flatten("", b.body, bf)
	flatten("", h.body, hf)
	keys := map[string]bool{}
	for k := range bf {
		keys[k] = true
	}
	for k := range hf {
		keys[k] = true
	}
	secret := h.kind == "Secret"
	var out []FieldChange
	for k := range keys {
		before, inB := bf[k]
		after, inH := hf[k]
		if inB && inH && before == after {
			continue
		}
		if secret && (strings.HasPrefix(k, "/data/") || strings.HasPrefix(k, "/stringData/")) ||
			credential(b.body, k, before) || credential(h.body, k, after) {
			if inB {
				before = Hidden
			}
			if inH {
				after = Hidden
			}
		}
		out = append(out, FieldChange{Path: k, Before: before, After: after})
	}
	sort.Slice(out, func(i, j int) bool { return pointerLess(out[i].Path, out[j].Path) })
	return out
}

// pointerLess orders pointers segment by segment, list indexes as numbers.
func pointerLess(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] == bs[i] {
			continue
		}
		ai, aerr := strconv.Atoi(as[i])
		bi, berr := strconv.Atoi(bs[i])
		if aerr == nil && berr == nil {
			return ai < bi
		}
		return as[i] < bs[i]
	}
	return len(as) < len(bs)
}

// flatten records every leaf of v under its JSON pointer, as JSON; an
// empty map or list is a leaf.
func flatten(prefix string, v any, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			out[prefix] = "{}"
			return
		}
		for k, c := range t {
			flatten(prefix+"/"+escape(k), c, out)
		}
	case []any:
		if len(t) == 0 {
			out[prefix] = "[]"
			return
		}
		for i, c := range t {
			flatten(prefix+"/"+strconv.Itoa(i), c, out)
		}
	default:
		out[prefix] = scalar(t)
	}
}

func escape(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

func scalar(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// credential reports whether the JSON value v at pointer p of body looks
// like a credential, read as the assignment a person would write: the
// field's key, or for an env entry's value the variable's name, then v.
func credential(body map[string]any, p, v string) bool {
	s, err := strconv.Unquote(v)
	if err != nil || s == "" {
		return false // not a string: numbers and booleans are no secrets
	}
	segs := strings.Split(p, "/")
	key := segs[len(segs)-1]
	if key == "value" && len(segs) >= 3 && segs[len(segs)-3] == "env" {
		if item, ok := at(body, segs[:len(segs)-1]).(map[string]any); ok && str(item, "name") != "" {
			key = str(item, "name")
		}
	}
	line, _ := json.Marshal(s)
	return len(secrets.Spans([]byte(key+": "+string(line)+"\n"))) > 0
}

// at returns the value at the pointer segments (the first empty).
func at(v any, segs []string) any {
	for _, seg := range segs[1:] {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		switch t := v.(type) {
		case map[string]any:
			v = t[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(t) {
				return nil
			}
			v = t[i]
		default:
			return nil
		}
	}
	return v
}
