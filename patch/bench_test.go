package patch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// BenchmarkUnifiedWorstCase diffs two 1 MiB files whose every other line
// differs, which exhausts the Myers search and falls back to replacement.
func BenchmarkUnifiedWorstCase(b *testing.B) {
	var o, n strings.Builder
	for i := 0; o.Len() < 1<<20; i++ {
		fmt.Fprintf(&o, "line %d of the old file\n", i)
		if i%2 == 0 {
			fmt.Fprintf(&n, "line %d of the old file\n", i)
		} else {
			fmt.Fprintf(&n, "line %d of the new file\n", i)
		}
	}
	old := []workspace.File{{Path: "big.txt", Content: []byte(o.String())}}
	new := []workspace.File{{Path: "big.txt", Content: []byte(n.String())}}
	for b.Loop() {
		Unified(old, new)
	}
}
