package review

import (
	"context"
	"testing"

	"github.com/stackgen/aiden/generator"
)

// BenchmarkReviewExample reviews a change to the example repository's
// shared base (two overlays render differently): git, the base tree,
// both renders and all checks, the diffs. docs/review.md reports it.
func BenchmarkReviewExample(b *testing.B) {
	r := newRepo(b)
	r.copyTree("../examples/gitops")
	r.commit("base")
	r.edit("base/podinfo/deployment.yaml", "podinfo:6.9.2", "podinfo:6.9.3")
	engine := generator.New(generator.Options{})
	b.ReportAllocs()
	for b.Loop() {
		rev, err := Run(context.Background(), Options{Engine: engine, Dir: r.dir, Base: "main", Check: generator.Check{PolicyCheck: true}})
		if err != nil || len(rev.Units) != 2 {
			b.Fatalf("review: %v, %d units", err, len(rev.Units))
		}
	}
}
