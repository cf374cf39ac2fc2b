package secrets

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/stackgen/aiden/internal/lazyre"
)

// tokenRule finds a credential by its shape alone, wherever it appears.
type tokenRule struct {
	id     string
	prio   int      // prioToken unless set
	hints  []string // literals that start (or sit near the start of) every match
	back   int      // how far before a hint a match may start
	re     *regexp.Regexp
	group  int                   // submatch holding the secret; 0 for the whole match
	accept func(tok []byte) bool // extra check on the secret, nil for none
}

func hints(h ...string) []string { return h }

// tokenRules are compiled on first use, not at package init.
var tokenRules = sync.OnceValue(func() []tokenRule {
	return []tokenRule{
		{id: "aws-access-key-id", hints: hints("AKIA", "ASIA"), re: regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`), accept: notPlaceholderToken},
		{id: "github-token", hints: hints("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), re: regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{36}\b`), accept: randomTail(4)},
		{id: "github-token", hints: hints("github_pat_"), re: regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b`), accept: randomTail(11)},
		{id: "gitlab-token", hints: hints("glpat-"), re: regexp.MustCompile(`\bglpat-[A-Za-z0-9_-]{20,}`), accept: randomTail(6)},
		{id: "slack-token", hints: hints("xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "xoxe-"), re: regexp.MustCompile(`\bxox[abposre]-(?:[0-9]+-)+[A-Za-z0-9-]{8,}`), accept: notPlaceholderToken},
		{id: "slack-token", hints: hints("xapp-"), re: regexp.MustCompile(`\bxapp-[0-9]+-[A-Z0-9]+-[0-9]+-[a-f0-9]{16,}`), accept: notPlaceholderToken},
		{id: "slack-webhook", hints: hints("hooks.slack.com/"), back: 8, re: regexp.MustCompile(`https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{16,}`), accept: slackHook},
		{id: "jwt", hints: hints("eyJ"), re: regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}`), accept: jwtHeader},
		{id: "stripe-key", hints: hints("_live_"), back: 2, re: regexp.MustCompile(`\b[rs]k_live_[A-Za-z0-9]{20,}\b`), accept: randomTail(8)},
		{id: "stripe-key", hints: hints("whsec_"), re: regexp.MustCompile(`\bwhsec_[A-Za-z0-9+/=]{24,}`), accept: randomTail(6)},
		{id: "gcp-api-key", hints: hints("AIza"), re: regexp.MustCompile(`\bAIza[A-Za-z0-9_-]{35}\b`), accept: randomTail(4)},
		{id: "gcp-oauth-client-secret", hints: hints("GOCSPX-"), re: regexp.MustCompile(`\bGOCSPX-[A-Za-z0-9_-]{28}\b`), accept: randomTail(7)},
		{id: "openai-api-key", hints: hints("sk-"), re: regexp.MustCompile(`\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}`), accept: notPlaceholderToken},
		{id: "openai-api-key", hints: hints("sk-proj-"), re: regexp.MustCompile(`\bsk-proj-[A-Za-z0-9_-]{80,}`), accept: randomTail(8)},
		{id: "anthropic-api-key", hints: hints("sk-ant-"), re: regexp.MustCompile(`\bsk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,}`), accept: randomTail(14)},
		{id: "npm-token", hints: hints("npm_"), re: regexp.MustCompile(`\bnpm_[A-Za-z0-9]{36}\b`), accept: randomTail(4)},
		{id: "azure-storage-key", hints: hints("ccountKey=", "ccountkey="), back: 1, re: regexp.MustCompile(`(?i:AccountKey)=([A-Za-z0-9+/]{86}==)`), group: 1, accept: notPlaceholderToken},
		{id: "authorization-header", prio: prioHeader, hints: hints("Bearer ", "Basic ", "bearer ", "basic "), re: regexp.MustCompile(`\b(?:[Bb]earer|[Bb]asic) +([A-Za-z0-9._~+/-]{16,}=*)`), group: 1, accept: randomTail(0)},
		{id: "basic-auth-url", hints: hints("://"), back: 21, re: regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9+.-]{0,20}://[^\s:/@"'<>{}]+:([^\s/@"'<>]+)@[A-Za-z0-9\[]`), group: 1, accept: urlPassword},
	}
})

// maxToken bounds how far past its hint a token is read.
const maxToken = 4096

// notPlaceholderToken rejects documented examples and masked tokens.
func notPlaceholderToken(tok []byte) bool { return !isPlaceholder(string(tok)) }

// randomTail checks the part after a fixed prefix: ghp_xxxx… is a placeholder.
func randomTail(prefix int) func([]byte) bool {
	return func(tok []byte) bool {
		tail := string(tok[min(prefix, len(tok)):])
		return !isPlaceholder(string(tok)) && !repeated(tail) && classes(tail) >= 2
	}
}

func slackHook(tok []byte) bool {
	parts := strings.Split(string(tok), "/")
	last := parts[len(parts)-1]
	return len(last) >= 16 && !isPlaceholder(string(tok)) && classes(last) >= 2
}

// jwtHeader requires the first segment to decode to a JOSE header.
func jwtHeader(tok []byte) bool {
	head, _, _ := bytes.Cut(tok, []byte{'.'})
	dec, err := base64.RawURLEncoding.DecodeString(string(head))
	return err == nil && bytes.Contains(dec, []byte(`"alg"`))
}

// urlPassword rejects user:password@ placeholders: ${PASS}, %s, password.
func urlPassword(tok []byte) bool {
	return len(tok) >= 3 && !isPlaceholder(string(tok))
}

var (
	pemBeginRE = lazyre.New(`-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----`)
	pemEndRE   = lazyre.New(`-----END ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----`)
)

// tokenHits runs the shape rules around each occurrence of their hints
// (tokens contain no white space), then the rules for bare base64 keys.
func tokenHits(d *document, hs []hit) []hit {
	src := d.src
	rules, idx := tokenRules(), hintTable()
	// One pass over src finds every hint: per hint, the occurrences that a
	// search from the end of its previous one finds. (A bytes.Index search
	// per hint read src 35 times; this is 2.7 times faster on a chart.)
	var next [maxHints]int // per hint, where its next occurrence may start
	for i := 0; i+1 < len(src); i++ {
		if pair := uint16(src[i])<<8 | uint16(src[i+1]); idx.pairs[pair>>6]&(1<<(pair&63)) == 0 {
			continue // no hint starts with these two bytes (every hint has two)
		}
		for _, h := range idx.byFirst[src[i]] {
			if i < next[h.n] || !bytes.HasPrefix(src[i:], h.hint) {
				continue
			}
			next[h.n] = i + len(h.hint)
			hs = tokenAt(d, &rules[h.rule], i, next[h.n], hs)
		}
	}
	hs = pemHits(d, hs)
	return base64Hits(d, hs)
}

// tokenAt reads the token of rule r around its hint at src[i:off].
func tokenAt(d *document, r *tokenRule, i, off int, hs []hit) []hit {
	src := d.src
	// One byte more than back, so that \b sees the real previous byte.
	ws, we := max(0, i-r.back-1), off
	for we < len(src) && we-i < maxToken && !isSpace(src[we]) {
		we++
	}
	m := r.re.FindSubmatchIndex(src[ws:we])
	if m == nil || (m[0] == 0 && ws > 0) {
		return hs
	}
	s, e := ws+m[2*r.group], ws+m[2*r.group+1]
	if r.accept != nil && !r.accept(src[s:e]) {
		return hs
	}
	prio := r.prio
	if prio == 0 {
		prio = prioToken
	}
	return append(hs, hit{rule: r.id, start: s, end: e, key: d.keyAt(s), prio: prio})
}

// maxHints bounds the number of hints of all token rules.
const maxHints = 64

// hintRef is one hint of a token rule.
type hintRef struct {
	hint []byte
	rule int // index in tokenRules
	n    int // index of the hint among all hints
}

// hintIndex indexes the hints of tokenRules by their first byte and their
// first two bytes.
type hintIndex struct {
	byFirst [256][]hintRef
	pairs   [1 << 16 / 64]uint64 // bit set of the hints' first two bytes
}

var hintTable = sync.OnceValue(func() *hintIndex {
	t := &hintIndex{}
	n := 0
	for ri, r := range tokenRules() {
		for _, h := range r.hints {
			if len(h) < 2 {
				panic("secrets: a token hint shorter than two bytes")
			}
			t.byFirst[h[0]] = append(t.byFirst[h[0]], hintRef{hint: []byte(h), rule: ri, n: n})
			pair := uint16(h[0])<<8 | uint16(h[1])
			t.pairs[pair>>6] |= 1 << (pair & 63)
			n++
		}
	}
	if n > maxHints {
		panic("secrets: more token hints than maxHints")
	}
	return t
})

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// base64Hits flags bare base64 runs of a credential's exact length when the
// text shortly before names them: 40 characters for an AWS secret access key,
// 86 plus "==" for an Azure storage account key.
func base64Hits(d *document, hs []hit) []hit {
	src := d.src
	for i := 0; i < len(src); {
		if !isBase64Byte(src[i]) || src[i] == '=' {
			i++
			continue
		}
		s := i
		for i < len(src) && isBase64Byte(src[i]) && src[i] != '=' {
			i++
		}
		e, n := i, i-s
		pad := 0
		for e+pad < len(src) && src[e+pad] == '=' {
			pad++
		}
		if e+pad < len(src) && isBase64Byte(src[e+pad]) {
			continue
		}
		var rule string
		switch {
		case n == 40 && pad == 0 && awsSecretShape(src[s:e]) && awsContext(d.context(s, hs)):
			rule = "aws-secret-access-key"
		case n == 86 && pad == 2 && notPlaceholderToken(src[s:e+2]) && azureContext(d.context(s, hs)):
			rule, e = "azure-storage-key", e+2
		default:
			continue
		}
		hs = append(hs, hit{rule: rule, start: s, end: e, key: d.keyAt(s), prio: prioToken})
	}
	return hs
}

func awsSecretShape(tok []byte) bool {
	var up, lo, di bool
	for _, c := range tok {
		switch {
		case c >= 'A' && c <= 'Z':
			up = true
		case c >= 'a' && c <= 'z':
			lo = true
		case c >= '0' && c <= '9':
			di = true
		}
	}
	return up && lo && di && !isPlaceholder(string(tok))
}

// awsContext: aws_secret_access_key, AWS_SECRET_KEY, SecretAccessKey, or a
// secret_key inside a provider "aws" block.
func awsContext(ctx string) bool {
	return strings.Contains(ctx, "awssecret") || strings.Contains(ctx, "secretaccesskey") ||
		strings.Contains(ctx, "secretkey") && strings.Contains(ctx, "aws")
}

func azureContext(ctx string) bool {
	for _, k := range []string{"accountkey", "azure", "storagekey", "storageaccount"} {
		if strings.Contains(ctx, k) {
			return true
		}
	}
	return false
}

var redactedRE = lazyre.New(`<redacted:[a-z0-9-]*>`)

// context returns the text that may name a bare token at offset s: its
// line and the three before it, lowercased, letters and digits only. The
// window is counted in lines, which Redact keeps. Text already matched (hs)
// and earlier redactions become a '|' that no keyword spans, so that redacting
// never makes another token look named: Redact stays idempotent.
func (d *document) context(s int, hs []hit) string {
	from := max(d.lines[max(0, d.lineOf(s)-contextLines)].start, s-maxContext)
	ctx := append([]byte(nil), d.src[from:s]...)
	for _, h := range hs {
		for i := max(h.start, from); i < min(h.end, s); i++ {
			ctx[i-from] = '|'
		}
	}
	if bytes.Contains(ctx, []byte("<redacted:")) {
		ctx = redactedRE.ReplaceAll(ctx, []byte("|"))
	}
	out := ctx[:0]
	for _, c := range ctx {
		switch {
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '|':
			out = append(out, c)
		}
	}
	return string(out)
}

const (
	contextLines = 3    // lines before a bare token that may name it
	maxContext   = 4096 // bytes, for very long lines
)

func isBase64Byte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}

// normalize lowercases and drops everything but letters and digits.
func normalize(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			out = append(out, c)
		}
	}
	return string(out)
}

// pemHits flags PEM private keys from the BEGIN line to the END line, also
// when the line breaks are escaped (\n inside a JSON string). A private key
// in a Google service-account key file is reported as that.
func pemHits(d *document, hs []hit) []hit {
	src := d.src
	if !bytes.Contains(src, []byte("PRIVATE KEY")) {
		return hs
	}
	// One pass for the END lines keeps many unterminated BEGINs linear.
	ends := pemEndRE.FindAllIndex(src, -1)
	covered := 0
	for _, m := range pemBeginRE.FindAllIndex(src, -1) {
		s := m[0]
		if s < covered {
			continue
		}
		label := src[m[0]+len("-----BEGIN ") : m[1]-len("-----")]
		e := -1
		i := sort.Search(len(ends), func(i int) bool { return ends[i][0] >= m[1] })
		if i < len(ends) && bytes.Equal(src[ends[i][0]+len("-----END "):ends[i][1]-len("-----")], label) {
			e = ends[i][1]
		} else {
			// Truncated: the key runs as far as base64 and line breaks do.
			e = m[1]
			for e < len(src) && (isBase64Byte(src[e]) || src[e] == '\n' || src[e] == '\r' || src[e] == ' ' || src[e] == '\\' || src[e] == '\t') {
				e++
			}
		}
		body := src[m[1]:e]
		if !pemBody(body) {
			continue
		}
		key := d.keyAt(s)
		rule := "private-key"
		if strings.EqualFold(key, "private_key") && bytes.Contains(src, []byte("service_account")) {
			rule = "gcp-service-account-key"
		}
		hs = append(hs, hit{rule: rule, start: s, end: e, key: key, prio: prioToken})
		covered = e
	}
	return hs
}

// pemBody requires enough key material: "-----BEGIN PRIVATE KEY-----\n...\n" is
// documentation.
func pemBody(body []byte) bool {
	n := 0
	for _, c := range body {
		if isBase64Byte(c) {
			n++
		}
	}
	lb := bytes.ToLower(body)
	return n >= 64 && !bytes.Contains(lb, []byte("...")) && !bytes.Contains(lb, []byte("xxxx")) &&
		!bytes.Contains(lb, []byte("{{")) && !bytes.Contains(lb, []byte("${")) && !bytes.Contains(lb, []byte("<"))
}
