package patch

import (
	"bytes"
	"testing"
)

// applyDelta applies a git delta to src, and returns the result and the
// runs of bytes the delta inserted literally between copies.
func applyDelta(t *testing.T, src, d []byte) (out []byte, inserted [][]byte) {
	t.Helper()
	varint := func() int {
		n, shift := 0, 0
		for {
			c := d[0]
			d = d[1:]
			n |= int(c&0x7f) << shift
			shift += 7
			if c&0x80 == 0 {
				return n
			}
		}
	}
	if got := varint(); got != len(src) {
		t.Fatalf("delta source size %d, want %d", got, len(src))
	}
	size := varint()
	var run []byte
	for len(d) > 0 {
		cmd := d[0]
		d = d[1:]
		if cmd&0x80 != 0 {
			off, n := 0, 0
			for i := 0; i < 4; i++ {
				if cmd&(1<<i) != 0 {
					off |= int(d[0]) << (8 * i)
					d = d[1:]
				}
			}
			for i := 0; i < 3; i++ {
				if cmd&(0x10<<i) != 0 {
					n |= int(d[0]) << (8 * i)
					d = d[1:]
				}
			}
			if n == 0 {
				n = 0x10000
			}
			out = append(out, src[off:off+n]...)
			run = nil
			continue
		}
		if cmd == 0 {
			t.Fatal("delta opcode 0 is reserved")
		}
		out = append(out, d[:cmd]...)
		if run == nil {
			inserted = append(inserted, nil)
		}
		run = append(run, d[:cmd]...)
		inserted[len(inserted)-1] = run
		d = d[cmd:]
	}
	if len(out) != size {
		t.Fatalf("delta result %d bytes, header says %d", len(out), size)
	}
	return out, inserted
}

// FuzzDelta: the delta rebuilds b from a, and never inserts a secret that a
// holds: every occurrence in b is copied.
func FuzzDelta(f *testing.F) {
	f.Add([]byte("a: 1\npassword: x\nb: 2\n"), []byte("a: 2\npassword: S3cr3tP4ss\n"), []byte("S3cr3tP4ss"))
	f.Add([]byte(""), []byte("S3cr3tS3cr3t\nS3cr3t"), []byte("S3cr3t"))
	f.Add([]byte("line\n"), []byte("no newline at end"), []byte("zzzz"))
	f.Fuzz(func(t *testing.T, a, b, secret []byte) {
		if len(secret) < 4 || len(a) > 1<<16 || len(b) > 1<<16 {
			return
		}
		a = append(append(a, '\n'), secret...)
		out, inserted := applyDelta(t, a, makeDelta(a, b, [][]byte{secret}))
		if !bytes.Equal(out, b) {
			t.Fatalf("delta result %q, want %q", out, b)
		}
		for _, run := range inserted {
			if bytes.Contains(run, secret) {
				t.Fatalf("delta inserts the secret %q literally", secret)
			}
		}
	})
}
