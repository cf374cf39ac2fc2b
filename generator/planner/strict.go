package planner

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/stackgen/aiden/catalog"
)

// The planner is never wrong: a word of the intent it did not use, and that
// is not filler, may carry a requirement, so the generation is declined
// naming it rather than answered without it. Declines say what the planner
// can do instead (the nearest things in its catalog, a "did you mean" for a
// misspelt word, --format terraform for cloud resources, "image X" for
// software it does not know) and how to configure a model.

// fillerWords carry no requirement: the stop words, politeness, and
// words that only restate what the rest of the sentence says.
var fillerWords = setOf(`please thanks thank kindly simple basic small standard default our my new app application
kubernetes k8s cluster workload thing something quick quickly`)

// isFiller reports whether an unused word carries no requirement.
func isFiller(w string) bool {
	w = asciiLower(w)
	return stopWords()[w] || fillerWords()[w]
}

// ModelHint says how to hand an intent to a model instead.
const ModelHint = "or configure a model for it (--model M with OPENAI_API_KEY, or --provider and --base-url; see docs/models.md)"

// cloudWords name cloud resources, which Terraform writes, not a chart.
var cloudWords = setOf(`s3 bucket buckets rds aurora dynamodb sqs sns iam lambda vpc subnet subnets eks gke aks ecr gcr
cloudsql cloud-sql cloudfront route53 elasticache kms secretsmanager ec2 ami`)

// decline returns the error for an intent the planner does not answer:
// what it did not understand or cannot do (reason), with help.
func (p *parser) decline(h Hints, reason string, words []string) error {
	var b strings.Builder
	b.WriteString(reason)
	if s := suggestions(words); s != "" {
		b.WriteString("; did you mean " + s + "? ")
	} else {
		b.WriteString(". ")
	}
	b.WriteString(p.nearest(h))
	if h.Format != "terraform" && p.mentionsCloud() {
		b.WriteString(" For cloud resources (buckets, queues, databases as a service, clusters) use --format terraform.")
	}
	if h.Format == "terraform" {
		b.WriteString(" For anything else, " + ModelHint + ".")
	} else {
		b.WriteString(" For software outside the catalogue, name its container image (\"image ghcr.io/acme/app:1.2.3 on port 8080\"), " + ModelHint + ".")
	}
	return fmt.Errorf("%w: %s", ErrNotCovered, b.String())
}

// nearest names what the planner can write for the format.
func (p *parser) nearest(h Hints) string {
	if h.Format == "terraform" {
		return "The built-in planner writes Terraform for " + tfCatalogWords + "."
	}
	return "The built-in planner writes " + catalogWords + ", and the upstream charts of " + strings.Join(catalogTitles(), ", ") + "."
}

func catalogTitles() []string {
	var out []string
	for _, name := range catalog.Components() {
		if name == BlueprintRedis || name == BlueprintPostgreSQL {
			continue // the built-in charts serve them
		}
		c, _ := catalog.Lookup(name)
		out = append(out, c.Title)
	}
	return out
}

func (p *parser) mentionsCloud() bool {
	for _, t := range p.tokens {
		if cloudWords()[asciiLower(t.text)] {
			return true
		}
	}
	return strings.Contains(asciiLower(p.intent), "cloud sql")
}

// vocabulary are the words a misspelling is compared with: components,
// catalogue aliases, environments, units and the words of the rules.
var vocabulary = sync.OnceValue(func() []string {
	words := strings.Fields(`redis postgres postgresql cluster replicas replica instances persistent persistence storage
failover production staging development sandbox testing image port ingress memory cpu cores worker workers consumer
service website frontend backend cron cronjob schedule nightly daily weekly hourly every midnight sentinel highly
available autoscale autoscaling replicated replication deployment statefulset daemonset job secret configmap
networkpolicy namespace volume disk database cache queue team`)
	for _, a := range catalog.Aliases() {
		if !strings.ContainsAny(a.Words, " ") {
			words = append(words, a.Words)
		}
	}
	return words
})

// suggestions returns "x (for y), ..." for the words that look like a
// misspelling of a known one.
func suggestions(words []string) string {
	var out []string
	seen := map[string]bool{}
	for _, w := range words {
		lw := asciiLower(w)
		if s := nearestWord(lw); s != "" && !seen[s] {
			seen[s] = true
			out = append(out, fmt.Sprintf("%q (for %q)", s, w))
		}
	}
	return strings.Join(out, ", ")
}

var unitWords = []string{"gi", "mi", "ti", "gb", "mb", "tb", "gib", "mib", "tib"}

// nearestWord returns the known word w is most likely a misspelling of,
// or "" when none is close: one edit for words of up to five letters, two
// beyond; a number with a misspelt unit ("20gn") gets the unit.
func nearestWord(w string) string {
	if digits := strings.TrimLeft(w, "0123456789."); digits != w && digits != "" && len(digits) <= 3 {
		for _, u := range unitWords {
			if osa(digits, u) == 1 && len(digits) == len(u) {
				return strings.TrimSuffix(w, digits) + strings.ToUpper(u[:1]) + u[1:]
			}
		}
		return ""
	}
	if len(w) < 4 {
		return ""
	}
	limit := 1
	if len(w) > 5 {
		limit = 2
	}
	best, bestD := "", limit+1
	for _, v := range vocabulary() {
		if v == w {
			return ""
		}
		if d := osa(w, v); d < bestD {
			best, bestD = v, d
		}
	}
	return best
}

// osa is the optimal string alignment distance: insertions, deletions,
// substitutions and transpositions of neighbours each cost one.
func osa(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// markers are words that show a sentence is written in a language other
// than English; none is an English word an intent would use.
var markers = map[string][]string{
	"German":     strings.Fields("mit und der die das ein eine einen einem für fuer im auf bereitstellen erstelle erstellen speicher replikaten replikate produktion persistentem persistenter dauerhaftem mein meine bitte"),
	"French":     strings.Fields("avec et le les des une pour dans déployer deployer créer stockage répliques repliques persistant mon ma sur"),
	"Spanish":    strings.Fields("con los las del una para despliega desplegar crear almacenamiento réplicas replicas persistente producción produccion"),
	"Portuguese": strings.Fields("com os uma implantar armazenamento réplicas produção producao"),
	"Italian":    strings.Fields("il gli della una con distribuire archiviazione repliche produzione"),
	"Dutch":      strings.Fields("met een voor het opslag productie uitrollen"),
}

// foreignLanguage returns the language the intent is written in when it
// is not English ("" for English): the script of its letters, or its
// function words. The built-in planner reads English only; reading a
// few words of another language would be half-reading it.
func foreignLanguage(intent string) string {
	scripts := []struct {
		table *unicode.RangeTable
		name  string
	}{
		{unicode.Hiragana, "Japanese"}, {unicode.Katakana, "Japanese"}, {unicode.Hangul, "Korean"}, {unicode.Han, "Chinese"},
		{unicode.Cyrillic, "Russian (Cyrillic)"}, {unicode.Greek, "Greek"}, {unicode.Arabic, "Arabic"}, {unicode.Hebrew, "Hebrew"},
		{unicode.Devanagari, "Hindi (Devanagari)"}, {unicode.Thai, "Thai"},
	}
	for _, s := range scripts {
		for _, r := range intent {
			if unicode.Is(s.table, r) {
				if s.name == "Chinese" && strings.ContainsFunc(intent, func(r rune) bool {
					return unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)
				}) {
					return "Japanese"
				}
				return s.name
			}
		}
	}
	counts := map[string]int{}
	for _, f := range strings.Fields(strings.ToLower(intent)) {
		w := strings.Trim(f, ",.;:!?()\"'")
		for lang, ws := range markers {
			for _, m := range ws {
				if w == m {
					counts[lang]++
				}
			}
		}
	}
	best, n := "", 0
	langs := make([]string, 0, len(counts))
	for l := range counts {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, l := range langs {
		if counts[l] > n {
			best, n = l, counts[l]
		}
	}
	// One marker could be a name ("mit"); two make a sentence. A letter
	// English does not use (ä, é, ñ) with one marker is enough too.
	accented := strings.ContainsFunc(intent, func(r rune) bool { return r > unicode.MaxASCII && unicode.IsLetter(r) })
	if n >= 2 || n == 1 && accented {
		return best
	}
	return ""
}

// qualifierWords describe a workload's kind, so they are never read as its
// name ("a queue worker", "the REST API").
var qualifierWords = setOf(`queue background async celery sidekiq rest http https graphql grpc json stateless message event
web internal public private small simple new main primary secure fast scalable resilient reliable redundant
highly-available high-availability stateful lightweight large big tiny cheap critical production-ready hardened`)
