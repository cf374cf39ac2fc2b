package manifest

import (
	"strconv"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
)

// Unmarshal decodes one YAML document into the value
// sigs.k8s.io/yaml.Unmarshal gives for an interface target, and the same
// error, without its round trip through JSON text: YAML 1.1 as
// go.yaml.in/yaml/v2 reads it, mappings as map[string]any with keys
// written as sigs writes them, every number as float64. A document holding
// what the round trip would change in a way not spelled out here (a key
// that is neither string, integer nor boolean, two keys that read the
// same, a string that is not UTF-8, a number JSON cannot hold), or one
// that does not parse, is decoded by sigs.k8s.io/yaml itself.
func Unmarshal(text []byte) (any, error) {
	v, _, err := decode(text)
	return v, err
}

// decode is Unmarshal, also reporting whether no mapping of text holds a
// key twice (which yaml.v2's strict mode refuses).
func decode(text []byte) (v any, unique bool, err error) {
	var y any
	if yamlv2.UnmarshalStrict(text, &y) == nil {
		if v, ok := jsonValue(y); ok {
			return v, true, nil
		}
	} else if y = nil; yamlv2.Unmarshal(text, &y) == nil {
		if v, ok := jsonValue(y); ok {
			return v, false, nil
		}
	}
	err = yaml.Unmarshal(text, &v)
	return v, false, err
}

// jsonValue converts a value yaml.v2 decoded into what encoding/json
// decodes its JSON text to; ok is false for a value it does not convert.
func jsonValue(y any) (any, bool) {
	switch x := y.(type) {
	case nil, bool:
		return x, true
	case string:
		return x, utf8.ValidString(x)
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		// NaN and the infinities have no JSON form: sigs fails on them.
		return x, x-x == 0
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			v, ok := jsonValue(e)
			if !ok {
				return nil, false
			}
			out[i] = v
		}
		return out, true
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			key, ok := jsonKey(k)
			if !ok {
				return nil, false
			}
			if _, dup := out[key]; dup {
				return nil, false // which one sigs keeps depends on map order
			}
			v, ok := jsonValue(e)
			if !ok {
				return nil, false
			}
			out[key] = v
		}
		return out, true
	}
	return nil, false
}

// jsonKey writes a mapping key as sigs.k8s.io/yaml does, for the key
// types converted here.
func jsonKey(k any) (string, bool) {
	switch x := k.(type) {
	case string:
		return x, utf8.ValidString(x)
	case int:
		return strconv.FormatInt(int64(x), 10), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	}
	return "", false
}
