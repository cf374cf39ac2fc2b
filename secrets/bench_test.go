package secrets

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const mib = 1 << 20

// corpus repeats the test cases, secrets and look-alikes, up to 1 MiB.
func corpus() []byte {
	var b bytes.Buffer
	for b.Len() < mib {
		for _, tc := range lookAlikes {
			b.WriteString("---\n" + tc.content)
		}
		for _, tc := range positives {
			b.WriteString("---\n" + tc.content)
		}
	}
	return b.Bytes()[:mib]
}

func BenchmarkFind(b *testing.B) {
	in := corpus()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		Find("all.yaml", in)
	}
}

func BenchmarkRedact(b *testing.B) {
	in := corpus()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		Redact(in)
	}
}

// BenchmarkRedactAdversarial feeds 1 MiB of inputs that would make a naive
// scanner quadratic: unterminated PEM blocks, one long Secret mapping, one
// long line, deepening block scalars.
func BenchmarkRedactAdversarial(b *testing.B) {
	cases := map[string]string{
		"pem-begins":     strings.Repeat("-----BEGIN PRIVATE KEY-----\n", mib/28),
		"secret-kinds":   strings.Repeat("kind: Secret\ndata:\n  a: aHVudGVyMg==\n", mib/34),
		"one-line-json":  "{" + strings.Repeat(`"password":"hunter2",`, mib/21) + "}",
		"one-line-pairs": strings.Repeat("k=", mib/2),
		"one-line-yaml":  strings.Repeat("a: b ", mib/5),
		"blocks":         blocks(),
		"base64-run":     "aws_secret_access_key: " + strings.Repeat("Ab1/", mib/4),
	}
	for name, in := range cases {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				Redact([]byte(in))
			}
		})
	}
}

func blocks() string {
	var b strings.Builder
	for i := 0; b.Len() < mib; i++ {
		b.WriteString(strings.Repeat(" ", i%2000) + "k: |\n")
	}
	return b.String()
}

// BenchmarkSpansChart scans each file of a generated chart (the planner's
// Redis with Sentinel), as the server does before a result leaves it.
func BenchmarkSpansChart(b *testing.B) {
	var files [][]byte
	err := filepath.WalkDir("../generator/planner/testdata/golden/redis-sentinel", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		c, err := os.ReadFile(p)
		files = append(files, c)
		return err
	})
	if err != nil || len(files) == 0 {
		b.Fatalf("read the chart: %v (%d files)", err, len(files))
	}
	n := 0
	for _, f := range files {
		n += len(f)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			Spans(f)
		}
	}
}
