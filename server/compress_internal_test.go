package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

// TestPooledGzip writes streams through one compressor as Connect does
// (Reset, Write, Close, Reset to io.Discard), the empty stream included,
// and reads each back; the writer is reused across them.
func TestPooledGzip(t *testing.T) {
	writers := newGzipWriters(1)
	c := &pooledGzip{writers: writers, dst: io.Discard}
	var first *gzip.Writer
	for i, want := range []string{strings.Repeat("replicas: 3\n", 500), "", "kind: Service\n"} {
		var dst bytes.Buffer
		c.Reset(&dst)
		if _, err := io.WriteString(c, want); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		c.Reset(io.Discard)
		if c.w != nil {
			t.Fatalf("stream %d: an idle compressor holds a writer", i)
		}
		zr, err := gzip.NewReader(&dst)
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || string(got) != want {
			t.Fatalf("stream %d: read back %d bytes (%v), want %d", i, len(got), err, len(want))
		}
		w := <-writers.free
		if first == nil {
			first = w
		} else if w != first {
			t.Errorf("stream %d: a new writer, want the idle one reused", i)
		}
		writers.free <- w
	}
}
