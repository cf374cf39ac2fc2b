package secrets

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// tokenHitsByIndex is tokenHits as it was: a bytes.Index search per hint.
func tokenHitsByIndex(d *document) []hit {
	var hs []hit
	for _, r := range tokenRules() {
		for _, h := range r.hints {
			for off := 0; ; {
				j := bytes.Index(d.src[off:], []byte(h))
				if j < 0 {
					break
				}
				i := off + j
				off = i + len(h)
				hs = tokenAt(d, &r, i, off, hs)
			}
		}
	}
	return base64Hits(d, pemHits(d, hs))
}

// TestTokenHitsOnePass holds the one-pass hint search to the hits of a
// search per hint, on the test corpus and on overlapping hints.
func TestTokenHitsOnePass(t *testing.T) {
	inputs := [][]byte{corpus(),
		[]byte("AKIAAKIAIOSFODNN7EXAMPLEAKIA ASIAY34FZKBOKMUTVV7A ghp_ghp_" + strings.Repeat("a1B2", 9)),
		[]byte("Authorization: Bearer bearer Bearer abcdefghijklmnop1234 basic Basic dXNlcjpwYXNzd29yZDEyMzQ1Ng=="),
		[]byte("url: https://user:p4ssw0rd@db://x:y@h sk-proj-sk-ant-api03-" + strings.Repeat("x9", 45)),
		[]byte("s"), []byte("sk"), []byte("sk-"), {},
	}
	key := func(h hit) string { return fmt.Sprintf("%d-%d %s %s %d", h.start, h.end, h.rule, h.key, h.prio) }
	for i, in := range inputs {
		d := newDocument(in)
		var w, g []string
		for _, h := range tokenHitsByIndex(d) {
			w = append(w, key(h))
		}
		for _, h := range tokenHits(d, nil) {
			g = append(g, key(h))
		}
		slices.Sort(w)
		slices.Sort(g)
		if !slices.Equal(w, g) {
			t.Errorf("input %d: one pass found %d hits, the search per hint %d:\n%v\n%v", i, len(g), len(w), g, w)
		}
		if i > 0 && i < 4 && len(w) == 0 {
			t.Errorf("input %d: no hit at all; the case tests nothing", i)
		}
	}
}
