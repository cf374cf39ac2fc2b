package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// referenceKinds are resources that hold encrypted data or point into a
// secret store: their values are not plaintext secrets (SealedSecret
// encryptedData, ExternalSecret remoteRef keys).
var referenceKinds = map[string]bool{
	"SealedSecret": true, "ExternalSecret": true, "ClusterExternalSecret": true,
	"SecretStore": true, "ClusterSecretStore": true, "PushSecret": true,
	"VaultStaticSecret": true, "VaultDynamicSecret": true, "VaultPKISecret": true,
	"SecretProviderClass": true, "OnePasswordItem": true, "InfisicalSecret": true,
}

// lineShape is what the structure rules need to know about a line.
type lineShape struct {
	ind    int    // column of the line's key, or of its first character
	item   bool   // the line starts a sequence item ("- key: v")
	skip   bool   // blank, comment or template directive: transparent
	sep    bool   // a YAML document separator
	assign int    // index in d.assigns of the line's key, -1 if none
	key    string // that key
}

// shapes computes a lineShape per line, and the kind of each YAML document.
func (d *document) shapes() []lineShape {
	first := make([]int, len(d.lines))
	for i := range first {
		first[i] = -1
	}
	for i, a := range d.assigns {
		if f := first[a.line]; f < 0 || d.assigns[f].keyCol > a.keyCol {
			first[a.line] = i
		}
	}
	out := make([]lineShape, len(d.lines))
	for li := range d.lines {
		line := d.line(li)
		s := lineShape{assign: -1}
		n, ok := indentOf(line)
		rest := line[n:]
		switch {
		case !ok || rest[0] == '#' || bytes.HasPrefix(rest, []byte("{{")) || bytes.HasPrefix(rest, []byte("//")):
			s.skip = true
		case n == 0 && bytes.HasPrefix(rest, []byte("---")) && len(bytes.TrimSpace(rest[3:])) == 0 ||
			n == 0 && bytes.HasPrefix(rest, []byte("--- ")):
			s.sep = true
		}
		for bytes.HasPrefix(rest, []byte("- ")) {
			s.item = true
			rest = bytes.TrimLeft(rest[1:], " ")
		}
		s.ind = len(line) - len(rest)
		if len(rest) > 0 && (rest[0] == '"' || rest[0] == '\'') {
			s.ind++
		}
		if f := first[li]; f >= 0 && d.assigns[f].keyCol == s.ind {
			s.assign, s.key = f, d.assigns[f].key
		}
		out[li] = s
	}
	return out
}

// kubeHits flags every value under data: and stringData: of a Kubernetes
// Secret written as YAML or indented JSON. Base64 in data: is encoding, not
// encryption, so it counts as plaintext.
func kubeHits(d *document, hs []hit) []hit {
	if !bytes.Contains(d.src, []byte("Secret")) {
		return hs
	}
	var sh []lineShape
	done := -1 // mappings already read end before this line
	for _, a := range d.assigns {
		if a.key != "kind" || string(d.src[a.val.start:a.val.end]) != "Secret" {
			continue
		}
		if sh == nil {
			sh = d.shapes()
		}
		if sh[a.line].assign < 0 || d.assigns[sh[a.line].assign].key != "kind" {
			continue
		}
		if a.line < done {
			continue
		}
		from, to := mappingOf(sh, a.line)
		done = to
		c := sh[a.line].ind
		for li := from; li < to; li++ {
			s := sh[li]
			if s.skip || s.ind != c || (s.key != "data" && s.key != "stringData") {
				continue
			}
			hs = secretValues(d, sh, li, to, s.key == "data", hs)
		}
	}
	return hs
}

// mappingOf returns the lines [from, to) of the mapping holding line k.
func mappingOf(sh []lineShape, k int) (from, to int) {
	c := sh[k].ind
	from = k
	if !sh[k].item {
		for j := k - 1; j >= 0; j-- {
			s := sh[j]
			if s.skip {
				continue
			}
			if s.sep || s.ind < c {
				break
			}
			from = j
			if s.ind == c && s.item {
				break
			}
		}
	}
	to = k + 1
	for ; to < len(sh); to++ {
		s := sh[to]
		if s.skip {
			continue
		}
		if s.sep || s.ind < c || (s.ind == c && s.item) {
			break
		}
	}
	return from, to
}

// secretValues flags the values of the mapping under line li.
func secretValues(d *document, sh []lineShape, li, to int, encoded bool, hs []hit) []hit {
	child := -1
	for j := li + 1; j < to; j++ {
		s := sh[j]
		if s.skip {
			continue
		}
		if s.ind <= sh[li].ind {
			break
		}
		if child < 0 {
			child = s.ind
		}
		if s.ind != child || s.assign < 0 {
			continue
		}
		a := d.assigns[s.assign]
		if a.nested {
			continue
		}
		v := string(d.src[a.val.start:a.val.end])
		if encoded {
			if dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v), "")); err == nil {
				v = string(dec)
			}
		}
		if notSecretData(v) {
			continue
		}
		hs = append(hs, hit{rule: "k8s-secret-data", start: a.val.start, end: a.val.end, key: a.key, prio: prioKube})
	}
	return hs
}

// notSecretData is the placeholder test for Secret values: anything that is
// not a reference or a placeholder word counts, numbers and paths included.
func notSecretData(v string) bool {
	v = strings.TrimSpace(v)
	return v == "" || isReference(v) || isPlaceholderWord(v)
}

// docKinds returns, per line, the kind of the YAML document holding it.
func (d *document) docKinds(sh []lineShape) []string {
	kinds := make([]string, len(d.lines))
	start := 0
	flush := func(end int) {
		kind, col := "", -1
		for j := start; j < end; j++ {
			if a := sh[j].assign; a >= 0 && sh[j].key == "kind" && (col < 0 || sh[j].ind < col) {
				kind, col = string(d.src[d.assigns[a].val.start:d.assigns[a].val.end]), sh[j].ind
			}
		}
		for j := start; j < end; j++ {
			kinds[j] = kind
		}
	}
	for li, s := range sh {
		if s.sep {
			flush(li)
			start = li
		}
	}
	flush(len(sh))
	return kinds
}

// jsonSecretHits reads Secrets in JSON with a tokenizer, so that minified
// manifests (one line, where indentation says nothing) are covered too.
func jsonSecretHits(d *document, hs []hit) []hit {
	src := d.src
	trimmed := bytes.TrimLeft(src, " \t\r\n")
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') || !bytes.Contains(src, []byte(`"Secret"`)) {
		return hs
	}
	type frame struct {
		object  bool
		key     string // the last key read in this object
		wantKey bool
		kind    string
		pending []hit // data values, kept until kind is known
		dataOf  *frame
		encoded bool
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return hs // end of input, or not JSON after all: keep what was read
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				f := &frame{object: t == '{', wantKey: t == '{'}
				if top != nil && top.object && (top.key == "data" || top.key == "stringData") {
					f.dataOf, f.encoded = top, top.key == "data"
				}
				if top != nil && top.object {
					top.wantKey = true
				}
				stack = append(stack, f)
			default:
				stack = stack[:len(stack)-1]
				if top.kind == "Secret" {
					hs = append(hs, top.pending...)
				}
			}
		case string:
			if top == nil || !top.object {
				continue
			}
			if top.wantKey {
				top.key, top.wantKey = t, false
				continue
			}
			top.wantKey = true
			if top.key == "kind" {
				top.kind = t
			}
			if top.dataOf == nil {
				continue
			}
			v := t
			if top.encoded {
				if raw, err := base64.StdEncoding.DecodeString(v); err == nil {
					v = string(raw)
				}
			}
			if notSecretData(v) {
				continue
			}
			end := int(dec.InputOffset()) - 1 // the closing quote
			start := openingQuote(src, end) + 1
			top.dataOf.pending = append(top.dataOf.pending, hit{rule: "k8s-secret-data", start: start, end: end, key: top.key, prio: prioKube})
		default:
			if top != nil && top.object {
				top.wantKey = true
			}
		}
	}
}

// openingQuote finds the unescaped quote that opens the JSON string whose
// closing quote is at end.
func openingQuote(src []byte, end int) int {
	for i := end - 1; i >= 0; i-- {
		if src[i] != '"' {
			continue
		}
		n := 0
		for j := i - 1; j >= 0 && src[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return i
		}
	}
	return end
}
