package helmchart

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// BenchmarkLintOnly is Lint alone on the planner's Redis with Sentinel,
// rendered once beforehand: the chart-level rules and the template rules
// on the rendered output, without the render BenchmarkLint includes.
// Besides wall time it reports the process's CPU time (user + system,
// getrusage) per lint, which a loaded machine disturbs less, and which
// counts the kernel's work for files written and read.
func BenchmarkLintOnly(b *testing.B) {
	files := readChart(b, "../../generator/planner/testdata/golden/redis-sentinel")
	r, err := New(Options{KubeVersion: "1.35.4"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	rendered, err := r.Render(ctx, files)
	if err != nil {
		b.Fatal(err)
	}
	// Once before measuring: the Kubernetes type registry is built on
	// first use, once per process.
	if _, err := r.Lint(ctx, files, rendered); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := cpuTime(b)
	n := 0
	for b.Loop() {
		if _, err := r.Lint(ctx, files, rendered); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64((cpuTime(b)-start).Nanoseconds())/float64(n), "cpu-ns/op")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
