package policy

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/kyverno/kyverno/ext/wildcard"
	"github.com/kyverno/kyverno/pkg/engine/operator"
	"github.com/kyverno/kyverno/pkg/engine/pattern"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Conditions (preconditions, deny, foreach preconditions) are decoded
// YAML: either {any: [...], all: [...]} or, in the older form, a list of
// conditions that must all hold. A condition is {key, operator, value,
// message}; key and value may hold variables.

// conditions evaluates Kyverno conditions; no conditions hold trivially.
// The message is that of the conditions that decided the result.
func (e *evaluation) conditions(c any) (bool, string, error) {
	switch t := c.(type) {
	case nil:
		return true, "", nil
	case map[string]any:
		return e.anyAll(t)
	case []any:
		var msgs []string
		for _, x := range t {
			ok, msg, err := e.condition(x)
			if err != nil {
				return false, "", err
			}
			if !ok {
				return false, msg, nil
			}
			msgs = append(msgs, msg)
		}
		return true, joinNonEmptySep(msgs, ";"), nil
	}
	return false, "", fmt.Errorf("invalid condition")
}

func (e *evaluation) anyAll(c map[string]any) (bool, string, error) {
	var trueMsgs, falseMsgs []string
	anyOK, allOK := true, true
	if raw, present := c["any"]; present && raw != nil {
		list, _ := raw.([]any)
		anyOK = false
		for _, x := range list {
			ok, msg, err := e.condition(x)
			if err != nil {
				return false, "", err
			}
			if ok {
				anyOK = true
				trueMsgs = append(trueMsgs, msg)
				break
			}
			falseMsgs = append(falseMsgs, msg)
		}
	}
	list, _ := c["all"].([]any)
	for _, x := range list {
		ok, msg, err := e.condition(x)
		if err != nil {
			return false, "", err
		}
		if !ok {
			allOK = false
			falseMsgs = append(falseMsgs, msg)
			break
		}
		trueMsgs = append(trueMsgs, msg)
	}
	if anyOK && allOK {
		return true, joinNonEmptySep(trueMsgs, "; "), nil
	}
	return false, joinNonEmptySep(falseMsgs, "; "), nil
}

func (e *evaluation) condition(x any) (bool, string, error) {
	c, _ := x.(map[string]any)
	key, err := e.substituteAll(c["key"])
	if err != nil {
		return false, "", fmt.Errorf("failed to substitute variables in condition key: %w", err)
	}
	value, err := e.substituteAll(c["value"])
	if err != nil {
		return false, "", fmt.Errorf("failed to substitute variables in condition value: %w", err)
	}
	op, _ := c["operator"].(string)
	msg, _ := c["message"].(string)
	eval, ok := operators[strings.ToLower(op)]
	if !ok {
		return false, "", fmt.Errorf("unknown condition operator %q", op)
	}
	return eval(op, key, value), msg, nil
}

func joinNonEmptySep(parts []string, sep string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

type operatorFunc func(op string, key, value any) bool

var operators = map[string]operatorFunc{
	"equal":                       func(_ string, k, v any) bool { return equalOp(k, v) },
	"equals":                      func(_ string, k, v any) bool { return equalOp(k, v) },
	"notequal":                    func(_ string, k, v any) bool { return notEqualOp(k, v) },
	"notequals":                   func(_ string, k, v any) bool { return notEqualOp(k, v) },
	"in":                          func(_ string, k, v any) bool { return inOp(k, v, false) },
	"notin":                       func(_ string, k, v any) bool { return inOp(k, v, true) },
	"anyin":                       func(_ string, k, v any) bool { return setOp(k, v, false, false) },
	"anynotin":                    func(_ string, k, v any) bool { return setOp(k, v, false, true) },
	"allin":                       func(_ string, k, v any) bool { return setOp(k, v, true, false) },
	"allnotin":                    func(_ string, k, v any) bool { return setOp(k, v, true, true) },
	"greaterthan":                 numericOp,
	"greaterthanorequals":         numericOp,
	"lessthan":                    numericOp,
	"lessthanorequals":            numericOp,
	"durationgreaterthan":         durationOp,
	"durationgreaterthanorequals": durationOp,
	"durationlessthan":            durationOp,
	"durationlessthanorequals":    durationOp,
}

// durations reads two values as durations: strings with a unit, numbers
// as seconds; at least one must be a duration string.
func durations(key, value any) (time.Duration, time.Duration, bool) {
	parse := func(v any) (time.Duration, bool) {
		if s, ok := v.(string); ok && s != "0" {
			if d, err := time.ParseDuration(s); err == nil {
				return d, true
			}
		}
		return 0, false
	}
	seconds := func(v any) (time.Duration, bool) {
		switch n := v.(type) {
		case int64:
			return time.Duration(n) * time.Second, true
		case float64:
			return time.Duration(n) * time.Second, true
		}
		return 0, false
	}
	kd, kok := parse(key)
	vd, vok := parse(value)
	if !kok && !vok {
		return 0, 0, false
	}
	if !kok {
		if kd, kok = seconds(key); !kok {
			return 0, 0, false
		}
	}
	if !vok {
		if vd, vok = seconds(value); !vok {
			return 0, 0, false
		}
	}
	return kd, vd, true
}

func equalOp(key, value any) bool {
	switch k := key.(type) {
	case bool:
		v, ok := value.(bool)
		return ok && k == v
	case int64:
		return numberEquals(float64(k), value)
	case float64:
		return numberEquals(k, value)
	case string:
		if kd, vd, ok := durations(k, value); ok {
			return kd == vd
		}
		if kq, err := resource.ParseQuantity(k); err == nil {
			if vs, ok := value.(string); ok {
				vq, err := resource.ParseQuantity(vs)
				return err == nil && kq.Equal(vq)
			}
		}
		vs, ok := value.(string)
		return ok && wildcard.Match(vs, k)
	case map[string]any, []any:
		if reflect.TypeOf(key) != reflect.TypeOf(value) {
			return false
		}
		return reflect.DeepEqual(key, value)
	}
	return false
}

// numberEquals compares a number with a number or a numeric string; an
// integral key compares with integer strings only.
func numberEquals(k float64, value any) bool {
	switch v := value.(type) {
	case int64:
		return k == math.Trunc(k) && int64(k) == v
	case float64:
		return k == v
	case string:
		if k == math.Trunc(k) {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return int64(k) == n
			}
		}
		f, err := strconv.ParseFloat(v, 64)
		return err == nil && f == k
	}
	return false
}

func notEqualOp(key, value any) bool {
	switch k := key.(type) {
	case bool, int64, float64, map[string]any, []any:
		return !equalOp(key, value)
	case string:
		if kd, vd, ok := durations(k, value); ok {
			return kd != vd
		}
		if kq, err := resource.ParseQuantity(k); err == nil {
			if vs, ok := value.(string); ok {
				if vs == "" {
					return !wildcard.Match(vs, k)
				}
				vq, err := resource.ParseQuantity(vs)
				return err != nil || !kq.Equal(vq)
			}
		}
		vs, ok := value.(string)
		return !ok || !wildcard.Match(vs, k)
	}
	return false
}

// scalarString spells a scalar key as Kyverno's set operators do.
func scalarString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case bool, int64, float64:
		return fmt.Sprint(t), true
	}
	return "", false
}

// inOp is the deprecated In / NotIn: a scalar in a list (wildcards both
// ways) or a list of strings entirely in the value.
func inOp(key, value any, not bool) bool {
	if list, ok := key.([]any); ok {
		var keys []string
		for _, x := range list {
			s, ok := x.(string)
			if !ok {
				return false
			}
			keys = append(keys, s)
		}
		var vals []string
		switch v := value.(type) {
		case []any:
			for _, x := range v {
				s, ok := x.(string)
				if !ok {
					return false
				}
				vals = append(vals, s)
			}
		case string:
			if len(keys) == 1 && keys[0] == v {
				return true // Kyverno answers true for In and NotIn alike here
			}
			if err := json.Unmarshal([]byte(v), &vals); err != nil {
				return false
			}
		default:
			return false
		}
		set := map[string]bool{}
		for _, x := range vals {
			set[x] = true
		}
		all := true
		for _, k := range keys {
			if !set[k] {
				all = false
			}
		}
		if not {
			return !all
		}
		return all
	}
	k, ok := scalarString(key)
	if !ok {
		return false
	}
	found := false
	switch v := value.(type) {
	case []any:
		for _, x := range v {
			s := fmt.Sprint(x)
			if wildcard.Match(s, k) || wildcard.Match(k, s) {
				found = true
				break
			}
		}
	case string:
		if wildcard.Match(v, k) {
			found = true
			break
		}
		var arr []string
		if err := json.Unmarshal([]byte(v), &arr); err != nil {
			return false
		}
		for _, x := range arr {
			if x == k {
				found = true
			}
		}
	default:
		return false
	}
	return found != not
}

// setOp implements AnyIn, AnyNotIn, AllIn and AllNotIn: the key (a scalar
// or a list) against the value (a list, a scalar, a JSON list in a string
// or a range "a-b"), with wildcards both ways.
func setOp(key, value any, all, not bool) bool {
	var keys []string
	if list, ok := key.([]any); ok {
		for _, x := range list {
			keys = append(keys, fmt.Sprint(x))
		}
	} else if s, ok := scalarString(key); ok {
		return scalarSetOp(s, value, all, not)
	} else {
		return false
	}
	var vals []string
	switch v := value.(type) {
	case []any:
		for _, x := range v {
			vals = append(vals, fmt.Sprint(x))
		}
	case bool, int64, float64:
		if all {
			return false
		}
		vals = []string{fmt.Sprint(v)}
	case string:
		if len(keys) == 1 && keys[0] == v {
			return !not
		}
		if operator.GetOperatorFromStringPattern(v) == operator.InRange {
			return rangeSetOp(keys, v, all, not)
		}
		if json.Valid([]byte(v)) {
			if err := json.Unmarshal([]byte(v), &vals); err != nil {
				return false
			}
		} else {
			vals = []string{v}
		}
	default:
		return false
	}
	matches := func(k string) bool {
		for _, x := range vals {
			if wildcard.Match(k, x) || wildcard.Match(x, k) {
				return true
			}
		}
		return false
	}
	count := 0
	for _, k := range keys {
		if matches(k) {
			count++
		}
	}
	switch {
	case all && !not:
		return count == len(keys)
	case all && not:
		return count == 0
	case !all && !not:
		return count > 0
	default:
		return count < len(keys)
	}
}

func rangeSetOp(keys []string, rng string, all, not bool) bool {
	in := func(k string) bool { return pattern.Validate(discardLog, k, rng) }
	switch {
	case !all && not:
		notRange := strings.Replace(rng, "-", "!-", 1)
		for _, k := range keys {
			if pattern.Validate(discardLog, k, notRange) {
				return true
			}
		}
		return false
	case !all:
		for _, k := range keys {
			if in(k) {
				return true
			}
		}
		return false
	case not:
		for _, k := range keys {
			if in(k) {
				return false
			}
		}
		return true
	}
	for _, k := range keys {
		if !in(k) {
			return false
		}
	}
	return true
}

// scalarSetOp is a set operator with a scalar key.
func scalarSetOp(k string, value any, _, not bool) bool {
	found := false
	switch v := value.(type) {
	case []any:
		for _, x := range v {
			s := fmt.Sprint(x)
			if wildcard.Match(s, k) || wildcard.Match(k, s) {
				found = true
				break
			}
		}
	case string:
		switch {
		case wildcard.Match(v, k):
			found = true
		case operator.GetOperatorFromStringPattern(v) == operator.InRange:
			found = pattern.Validate(discardLog, k, v)
		default:
			var arr []string
			if json.Valid([]byte(v)) {
				if err := json.Unmarshal([]byte(v), &arr); err != nil {
					return false
				}
			} else {
				arr = []string{v}
			}
			for _, x := range arr {
				if x == k {
					found = true
				}
			}
		}
	default:
		return false
	}
	return found != not
}

// numericOp compares numbers, durations, quantities or semantic versions.
func numericOp(op string, key, value any) bool {
	cmp := func(a, b float64) bool {
		switch strings.ToLower(op) {
		case "greaterthanorequals":
			return a >= b
		case "greaterthan":
			return a > b
		case "lessthanorequals":
			return a <= b
		case "lessthan":
			return a < b
		}
		return false
	}
	number := func(k float64, value any) bool {
		switch v := value.(type) {
		case int64:
			return cmp(k, float64(v))
		case float64:
			return cmp(k, v)
		case string:
			if kd, vd, ok := durations(k, v); ok {
				return cmp(kd.Seconds(), vd.Seconds())
			}
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				return cmp(k, f)
			}
		}
		return false
	}
	switch k := key.(type) {
	case int64:
		return number(float64(k), value)
	case float64:
		return number(k, value)
	case string:
		if kd, vd, ok := durations(k, value); ok {
			return cmp(kd.Seconds(), vd.Seconds())
		}
		if vs, ok := value.(string); ok {
			kq, err1 := resource.ParseQuantity(k)
			vq, err2 := resource.ParseQuantity(vs)
			if err1 == nil && err2 == nil {
				return cmp(float64(kq.Cmp(vq)), 0)
			}
		}
		if f, err := strconv.ParseFloat(k, 64); err == nil {
			return number(f, value)
		}
		if kv, err := semver.StrictNewVersion(k); err == nil {
			vs, ok := value.(string)
			if !ok {
				return false
			}
			vv, err := semver.StrictNewVersion(vs)
			if err != nil {
				return false
			}
			return cmp(float64(kv.Compare(vv)), 0)
		}
	}
	return false
}

// durationOp compares durations; numbers are seconds.
func durationOp(op string, key, value any) bool {
	toDur := func(v any, unitless bool) (time.Duration, bool) {
		switch t := v.(type) {
		case int64:
			return time.Duration(t) * time.Second, true
		case float64:
			return time.Duration(t) * time.Second, true
		case string:
			if unitless {
				return 0, false
			}
			d, err := time.ParseDuration(t)
			return d, err == nil
		}
		return 0, false
	}
	kd, ok := toDur(key, false)
	if !ok {
		return false
	}
	vd, ok := toDur(value, false)
	if !ok {
		return false
	}
	switch strings.ToLower(op) {
	case "durationgreaterthanorequals":
		return kd >= vd
	case "durationgreaterthan":
		return kd > vd
	case "durationlessthanorequals":
		return kd <= vd
	case "durationlessthan":
		return kd < vd
	}
	return false
}
