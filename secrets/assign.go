package secrets

import (
	"strings"

	"github.com/stackgen/aiden/internal/lazyre"
)

// exprRE matches unquoted values that start like code: a dotted name
// followed by an operator, a call or an index.
var exprRE = lazyre.New(`^[A-Za-z_]\w*(\.\w+)+\s*[-+*/|&?:(\[]`)

// minGeneric is the shortest value the generic rule reports.
const minGeneric = 4

// assignmentHits flags literal values assigned to keys that name a
// credential: password: hunter2, DB_PASSWORD=…, api_key = "…", and
// {name: DB_PASSWORD, value: …} pairs.
func assignmentHits(d *document, f format, hs []hit) []hit {
	var kinds []string
	for _, a := range d.assigns {
		if a.nested {
			continue
		}
		cls := sensitivity(a.effKey)
		if cls == notSensitive {
			continue
		}
		if !a.quoted && !a.block && !a.inString && f != formatAny {
			continue // an expression (var.x, random_password.x.result), an identifier or a number
		}
		v := string(d.src[a.val.start:a.val.end])
		if !a.quoted && !a.block {
			v = strings.TrimRight(v, ",;")
			if exprRE.MatchString(v) {
				continue // u.InputTokens + o.InputTokens, p.App + "-auth"
			}
		}
		if len(v) < minGeneric || isPlaceholder(v) || namesItself(a.effKey, v) {
			continue
		}
		if cls == weakKey && !looksRandom(v) {
			continue
		}
		if kinds == nil {
			kinds = d.docKinds(d.shapes())
		}
		if k := kinds[a.line]; referenceKinds[k] || k == "Secret" {
			continue // encrypted or a reference; a Secret's values are k8s-secret-data's
		}
		hs = append(hs, hit{rule: "generic-password", start: a.val.start, end: a.val.end, key: a.effKey, prio: prioGeneric})
	}
	return hs
}

// namesItself reports values that repeat their key: client_secret:
// client_secret, API_KEY=your-api-key, password: my_password,
// cfg.Password = password.
func namesItself(key, v string) bool {
	k, nv := normalize([]byte(key)), normalize([]byte(v))
	for _, p := range []string{"", "my", "your", "the"} {
		if nv == p+k {
			return true
		}
	}
	// opts.SigningSecret = signingSecret: an identifier named like its key.
	return len(nv) >= 6 && strings.HasSuffix(k, nv)
}
