package policy

import (
	"crypto/md5" // #nosec G501 -- Kyverno's md5() function, not for security
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	gojmespath "github.com/kyverno/go-jmespath"
	"github.com/kyverno/kyverno/ext/wildcard"
	"sigs.k8s.io/yaml"
)

// kyvernoFunctions are the JMESPath functions Kyverno adds to the
// standard ones, as far as they need no cluster: string, regular
// expression, wildcard, label, arithmetic (numbers, quantities, durations), encoding, hashing,
// semantic version, object, time, certificate, image, URL and random
// functions.
func kyvernoFunctions() []gojmespath.FunctionEntry {
	str := gojmespath.ArgSpec{Types: []gojmespath.JpType{gojmespath.JpString}}
	num := gojmespath.ArgSpec{Types: []gojmespath.JpType{gojmespath.JpNumber}}
	strNum := gojmespath.ArgSpec{Types: []gojmespath.JpType{gojmespath.JpString, gojmespath.JpNumber}}
	obj := gojmespath.ArgSpec{Types: []gojmespath.JpType{gojmespath.JpObject}}
	arr := gojmespath.ArgSpec{Types: []gojmespath.JpType{gojmespath.JpArray}}
	objArr := gojmespath.ArgSpec{Types: []gojmespath.JpType{gojmespath.JpObject, gojmespath.JpArray}}
	args := func(a ...gojmespath.ArgSpec) []gojmespath.ArgSpec { return a }
	f := func(name string, a []gojmespath.ArgSpec, h gojmespath.JpFunction) gojmespath.FunctionEntry {
		return gojmespath.FunctionEntry{Name: name, Arguments: a, Handler: h}
	}
	fs := []gojmespath.FunctionEntry{
		f("compare", args(str, str), func(a []any) (any, error) { return float64(strings.Compare(a[0].(string), a[1].(string))), nil }),
		f("equal_fold", args(str, str), func(a []any) (any, error) { return strings.EqualFold(a[0].(string), a[1].(string)), nil }),
		f("replace", args(str, str, str, num), func(a []any) (any, error) {
			return strings.Replace(a[0].(string), a[1].(string), a[2].(string), int(a[3].(float64))), nil
		}),
		f("replace_all", args(str, str, str), func(a []any) (any, error) {
			return strings.ReplaceAll(a[0].(string), a[1].(string), a[2].(string)), nil
		}),
		f("to_upper", args(str), func(a []any) (any, error) { return strings.ToUpper(a[0].(string)), nil }),
		f("to_lower", args(str), func(a []any) (any, error) { return strings.ToLower(a[0].(string)), nil }),
		f("trim", args(str, str), func(a []any) (any, error) { return strings.Trim(a[0].(string), a[1].(string)), nil }),
		f("trim_prefix", args(str, str), func(a []any) (any, error) { return strings.TrimPrefix(a[0].(string), a[1].(string)), nil }),
		f("split", args(str, str), func(a []any) (any, error) {
			parts := strings.Split(a[0].(string), a[1].(string))
			out := make([]any, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return out, nil
		}),
		f("regex_replace_all", args(str, strNum, strNum), func(a []any) (any, error) { return regexReplace(a, false) }),
		f("regex_replace_all_literal", args(str, strNum, strNum), func(a []any) (any, error) { return regexReplace(a, true) }),
		f("regex_match", args(str, strNum), func(a []any) (any, error) {
			re, err := regexp.Compile(a[0].(string))
			if err != nil {
				return nil, fmt.Errorf("regex_match: %w", err)
			}
			return re.MatchString(spell(a[1])), nil
		}),
		f("pattern_match", args(str, strNum), func(a []any) (any, error) { return wildcard.Match(a[0].(string), spell(a[1])), nil }),
		f("label_match", args(obj, obj), func(a []any) (any, error) {
			want, have := a[0].(map[string]any), a[1].(map[string]any)
			for k, v := range want {
				if fmt.Sprint(have[k]) != fmt.Sprint(v) {
					return false, nil
				}
			}
			return true, nil
		}),
		f("to_boolean", args(str), func(a []any) (any, error) {
			switch strings.ToLower(a[0].(string)) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
			return nil, fmt.Errorf("to_boolean: %q is not a boolean", a[0])
		}),
		{Name: "add", Handler: func(a []any) (any, error) { return arithmetic("add", a) }},
		{Name: "subtract", Handler: func(a []any) (any, error) { return arithmetic("subtract", a) }},
		{Name: "multiply", Handler: func(a []any) (any, error) { return arithmetic("multiply", a) }},
		{Name: "divide", Handler: func(a []any) (any, error) { return arithmetic("divide", a) }},
		{Name: "modulo", Handler: func(a []any) (any, error) { return arithmetic("modulo", a) }},
		f("round", args(num, num), func(a []any) (any, error) {
			p := math.Pow(10, a[1].(float64))
			return math.Round(a[0].(float64)*p) / p, nil
		}),
		f("base64_decode", args(str), func(a []any) (any, error) {
			b, err := base64.StdEncoding.DecodeString(a[0].(string))
			if err != nil {
				return nil, fmt.Errorf("base64_decode: %w", err)
			}
			return string(b), nil
		}),
		f("base64_encode", args(str), func(a []any) (any, error) { return base64.StdEncoding.EncodeToString([]byte(a[0].(string))), nil }),
		f("sha256", args(str), func(a []any) (any, error) {
			s := sha256.Sum256([]byte(a[0].(string)))
			return hex.EncodeToString(s[:]), nil
		}),
		f("md5", args(str), func(a []any) (any, error) {
			s := md5.Sum([]byte(a[0].(string))) // #nosec G401
			return hex.EncodeToString(s[:]), nil
		}),
		f("path_canonicalize", args(str), func(a []any) (any, error) { return filepath.Join(a[0].(string)), nil }),
		f("truncate", args(str, num), func(a []any) (any, error) {
			s, n := a[0].(string), int(a[1].(float64))
			if n < 0 {
				n = 0
			}
			if n < len(s) {
				s = s[:n]
			}
			return s, nil
		}),
		f("semver_compare", args(str, str), func(a []any) (any, error) {
			v, err := semver.NewVersion(a[0].(string))
			if err != nil {
				return nil, fmt.Errorf("semver_compare: %w", err)
			}
			c, err := semver.NewConstraint(a[1].(string))
			if err != nil {
				return nil, fmt.Errorf("semver_compare: %w", err)
			}
			return c.Check(v), nil
		}),
		f("parse_json", args(str), func(a []any) (any, error) {
			var v any
			if err := json.Unmarshal([]byte(a[0].(string)), &v); err != nil {
				return nil, fmt.Errorf("parse_json: %w", err)
			}
			return v, nil
		}),
		f("parse_yaml", args(str), func(a []any) (any, error) {
			var v any
			if err := yaml.Unmarshal([]byte(a[0].(string)), &v); err != nil {
				return nil, fmt.Errorf("parse_yaml: %w", err)
			}
			return v, nil
		}),
		f("lookup", args(objArr, strNum), func(a []any) (any, error) {
			switch c := a[0].(type) {
			case map[string]any:
				k, ok := a[1].(string)
				if !ok {
					return nil, errors.New("lookup: an object needs a string key")
				}
				return c[k], nil
			case []any:
				i, ok := a[1].(float64)
				if !ok || i != math.Trunc(i) {
					return nil, errors.New("lookup: an array needs an integer index")
				}
				if i < 0 || int(i) >= len(c) {
					return nil, nil
				}
				return c[int(i)], nil
			}
			return nil, errors.New("lookup: object or array expected")
		}),
		f("items", args(objArr, str, str), func(a []any) (any, error) {
			kn, vn := a[1].(string), a[2].(string)
			var out []any
			switch c := a[0].(type) {
			case map[string]any:
				keys := make([]string, 0, len(c))
				for k := range c {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					out = append(out, map[string]any{kn: k, vn: c[k]})
				}
			case []any:
				for i, v := range c {
					out = append(out, map[string]any{kn: float64(i), vn: v})
				}
			}
			if out == nil {
				out = []any{}
			}
			return out, nil
		}),
		f("object_from_lists", args(arr, arr), func(a []any) (any, error) {
			keys, vals := a[0].([]any), a[1].([]any)
			out := make(map[string]any, len(keys))
			for i, k := range keys {
				ks, ok := k.(string)
				if !ok {
					return nil, errors.New("object_from_lists: keys must be strings")
				}
				var v any
				if i < len(vals) {
					v = vals[i]
				}
				out[ks] = v
			}
			return out, nil
		}),
	}
	fs = append(fs, kyvernoTimeFunctions(time.Now)...)
	return append(fs, kyvernoMoreFunctions()...)
}

func spell(v any) string {
	if f, ok := v.(float64); ok {
		return fmt.Sprint(f)
	}
	return fmt.Sprint(v)
}

func regexReplace(a []any, literal bool) (any, error) {
	re, err := regexp.Compile(a[0].(string))
	if err != nil {
		return nil, fmt.Errorf("regex_replace_all: %w", err)
	}
	src, repl := spell(a[1]), spell(a[2])
	if literal {
		return re.ReplaceAllLiteralString(src, repl), nil
	}
	return re.ReplaceAllString(src, repl), nil
}
