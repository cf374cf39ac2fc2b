package policy

import (
	"fmt"

	gojmespath "github.com/kyverno/go-jmespath"
)

// checkedFunction registers a function whose handler checks its own
// arguments: go-jmespath's type check reports neither the function nor
// the argument, so the functions added here take strings and say which
// argument of which function is wrong.
func checkedFunction(name string, n int, h func(s []string) (any, error)) gojmespath.FunctionEntry {
	return gojmespath.FunctionEntry{Name: name, Handler: func(a []any) (any, error) {
		s, err := stringArgs(name, a, n)
		if err != nil {
			return nil, err
		}
		return h(s)
	}}
}

// stringArgs checks that a call has n arguments, all strings.
func stringArgs(name string, a []any, n int) ([]string, error) {
	if len(a) != n {
		return nil, fmt.Errorf("%s: %d argument(s) expected, got %d", name, n, len(a))
	}
	out := make([]string, n)
	for i, v := range a {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%s: argument %d must be a string, got %s", name, i+1, jpTypeName(v))
		}
		out[i] = s
	}
	return out, nil
}

// jpTypeName is the JMESPath name of a value's type.
func jpTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case string:
		return "a string"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("a %T", v)
}
