package validators

import (
	"context"
	"testing"
)

// BenchmarkValidateChart runs the whole pipeline on the test chart:
// render, lint (which writes the chart to a temporary folder) and schema
// validation of its ten objects (every time: the results cache is off).
func BenchmarkValidateChart(b *testing.B) {
	files, err := LoadPaths("helmchart/testdata/web")
	if err != nil {
		b.Fatal(err)
	}
	v, err := New(Options{CacheDir: b.TempDir(), NoResultCache: true})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		rep, err := v.Validate(ctx, files, CheckOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Count(SeverityWarning) > 0 {
			b.Fatalf("got findings %v", rep.Findings)
		}
	}
}
