package policy

import "testing"

func TestArithmeticQuantitiesAndDurations(t *testing.T) {
	for _, c := range []struct {
		fn   string
		a, b any
		want any
	}{
		{"divide", "300Mi", "100Mi", 3.0},
		{"divide", "1Gi", 2.0, "512Mi"},
		{"divide", "1h", "1800s", 2.0},
		{"multiply", "100m", 3.0, "300m"},
		{"multiply", 2.0, "90s", "3m0s"},
		{"add", "1Gi", "512Mi", "1536Mi"},
		{"subtract", "1h", "15s", "59m45s"},
		{"modulo", 7.0, 3.0, 1.0},
		{"add", 1.0, 2.0, 3.0},
	} {
		got, err := arithmetic(c.fn, []any{c.a, c.b})
		if err != nil || got != c.want {
			t.Errorf("%s(%v, %v) = %v, %v; want %v", c.fn, c.a, c.b, got, err, c.want)
		}
	}
	for _, bad := range [][]any{{"1Gi", "1h"}, {"x", 1.0}, {1.0, 0.0}} {
		if _, err := arithmetic("divide", bad); err == nil {
			t.Errorf("divide(%v) gave no error", bad)
		}
	}
}
