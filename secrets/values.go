package secrets

import (
	"math"
	"strings"

	"github.com/stackgen/aiden/internal/lazyre"
)

// placeholderWords inside a value mark it as a placeholder. "changeme" is one:
// a well-known default is not confidential, and the policy pack, not this
// package, judges weak defaults. AWS's documented example keys contain EXAMPLE.
var placeholderWords = []string{
	"example", "redacted", "changeme", "change_me", "change-me", "changeit",
	"placeholder", "your_", "your-", "yourpass", "yoursecret", "yourtoken", "replace",
	"dummy", "xxxx", "****", "....", "<your", "insert", "fixme", "todo",
	"notreal", "not-a-real", "not_a_real", "sample", "fake", "mock",
}

// placeholderValues are whole values that stand for a secret without being one.
var placeholderValues = map[string]bool{
	"password": true, "passwd": true, "secret": true, "token": true, "pass": true,
	"none": true, "null": true, "nil": true, "undefined": true, "true": true,
	"false": true, "yes": true, "no": true, "on": true, "off": true, "~": true,
	"-": true, "string": true, "value": true, "required": true, "optional": true,
	"generated": true, "auto": true, "random": true, "tbd": true, "test": true,
	"secretvalue": true, "api_key": true, "apikey": true, "mypassword": true,
	"inherit": true, "sensitive": true, "unset": true, "empty": true,
}

// referencePrefixes start values that point into a secret store.
var referencePrefixes = []string{
	"vault:", "ref+", "arn:", "secretsmanager:", "ssm:", "sm://", "gcp:", "gcpsm:",
	"azure:", "awssm:", "awsssm:", "file:", "env:", "secret:", "secrets:", "k8s:",
	"op://", "akv:", "keyvault:", "bw:", "sops:", "projects/", "kms:", "data.",
	"var.", "local.", "module.", "sha256:", "sha512:", "sha1:", "md5:", "enc[",
}

var (
	// A lowercase slash path: vault kv paths (secret/data/db#password), store keys.
	storePathRE = lazyre.New(`^[a-z0-9_.-]+(/[A-Za-z0-9_.#:@-]+)+$`)
	// A dotted identifier path: var.db_password, random_password.x.result, .Values.x.
	dottedRE = lazyre.New(`^\.?[A-Za-z_][\w-]*(\.[\w-]+|\[[^\]]*\])+$`)
	// A Kubernetes-style name or a constant: db-credentials, my_app_secret, OAUTH_TOKEN.
	nameLikeRE = lazyre.New(`^([a-z][a-z0-9]*([-_.][a-z0-9]+)*|[A-Z][A-Z0-9]*([-_.][A-Z0-9]+)*)$`)
	numberRE   = lazyre.New(`^[-+]?[0-9][0-9_]*(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)
	printfRE   = lazyre.New(`%[-+# 0-9.]*[sdvqwxT]\b`)
	testRE     = lazyre.New(`(?i)^test[-_]`)
	// A function call: jsonencode({, file("key.pem"), lookup(var.x, "y").
	callRE = lazyre.New(`^[A-Za-z_][\w.]*\(`)
)

// isPlaceholder reports whether a value is not a literal secret: empty,
// a reference, a placeholder word, a number, prose or a file path.
func isPlaceholder(v string) bool {
	v = strings.TrimSpace(v)
	if v == "" || isReference(v) || isPlaceholderWord(v) {
		return true
	}
	if numberRE.MatchString(v) || isProse(v) {
		return true
	}
	return v[0] == '/' || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "~/") // PWD=/home/app
}

// isReference reports templates, variables and secret-store locations:
// ${VAR}, {{ .Values.x }}, $(ENV), <your-key>, var.db_password,
// vault:secret/data/db#password, arn:aws:secretsmanager:…
func isReference(v string) bool {
	if v == "" {
		return false
	}
	for _, t := range []string{"${", "{{", "$(", "#{", "%{", "<%", "((", "[["} {
		if strings.Contains(v, t) {
			return true
		}
	}
	if v[0] == '$' && len(v) > 1 && (isIdentStart(v[1]) || v[1] == '{') {
		return true // $DB_PASSWORD
	}
	if printfRE.MatchString(v) {
		return true // a format string: "status %d"
	}
	if (v[0] == '<' && v[len(v)-1] == '>') || (v[0] == '%' && v[len(v)-1] == '%' && len(v) > 2) {
		return true // <your-key>, %PASSWORD%
	}
	lv := strings.ToLower(v)
	for _, p := range referencePrefixes {
		if strings.HasPrefix(lv, p) {
			return true
		}
	}
	return storePathRE.MatchString(v) || dottedRE.MatchString(v) || callRE.MatchString(v)
}

// isProse reports text of three or more words, two thirds of them plain words:
// descriptions and error messages, not passphrases.
func isProse(v string) bool {
	fields := strings.Fields(v)
	if len(fields) < 3 {
		return false
	}
	words := 0
	for _, f := range fields {
		f = strings.TrimRight(f, ",.:;!?)")
		f = strings.TrimLeft(f, "(")
		plain := len(f) > 0
		for i := 0; i < len(f); i++ {
			if c := f[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '\'' || c == '-') {
				plain = false
				break
			}
		}
		if plain {
			words++
		}
	}
	if len(fields) == 3 && strings.ContainsAny(v, "0123456789") {
		return false // "hunter2 with space" is a password with blanks
	}
	return 3*words >= 2*len(fields)
}

// isPlaceholderWord reports values that stand for a secret: changeme,
// REDACTED, xxxx, <your-key>, AKIAIOSFODNN7EXAMPLE.
func isPlaceholderWord(v string) bool {
	lv := strings.ToLower(v)
	if placeholderValues[lv] || repeated(v) || testRE.MatchString(v) {
		return true
	}
	for _, w := range placeholderWords {
		if strings.Contains(lv, w) {
			return true
		}
	}
	return false
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// repeated reports values made of one character: xxxxxxxx, ********, 00000.
func repeated(v string) bool {
	for i := 1; i < len(v); i++ {
		if v[i] != v[0] {
			return false
		}
	}
	return len(v) > 1
}

// looksRandom is the extra bar for values of weak keys (secret:, token:),
// which often name a Secret instead of holding one.
func looksRandom(v string) bool {
	if len(v) < 8 || nameLikeRE.MatchString(v) {
		return false
	}
	return classes(v) >= 2 || (len(v) >= 16 && entropy(v) >= 3.5)
}

// classes counts character classes: lower, upper, digit, other.
func classes(v string) int {
	var lo, up, di, ot int
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= 'a' && c <= 'z':
			lo = 1
		case c >= 'A' && c <= 'Z':
			up = 1
		case c >= '0' && c <= '9':
			di = 1
		default:
			ot = 1
		}
	}
	return lo + up + di + ot
}

// entropy is the Shannon entropy of v in bits per byte.
func entropy(v string) float64 {
	var counts [256]int
	for i := 0; i < len(v); i++ {
		counts[v[i]]++
	}
	var h float64
	n := float64(len(v))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
