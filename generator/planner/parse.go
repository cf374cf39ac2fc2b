package planner

import (
	"fmt"

	"github.com/stackgen/aiden/catalog"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Parse reads one sentence of intent, with the hints of the request, into
// a Plan. It is deterministic. A sentence naming nothing the catalog
// covers, or something it does not (Kafka, MongoDB, ...), yields an error
// wrapping ErrNotCovered; one naming a component but not what it must run
// (a web service without an image) yields an error wrapping ErrIncomplete.
func Parse(intent string, h Hints) (*Plan, error) {
	if lang := foreignLanguage(intent); lang != "" {
		return nil, fmt.Errorf("%w: the intent reads as %s, and the built-in planner reads English only; it writes nothing rather than half-read it. Say it in English, %s", ErrNotCovered, lang, ModelHint)
	}
	if h.Format == "terraform" {
		return parseTerraform(intent, h)
	}
	p := newParser(intent)
	named, bare := componentRules(h)
	if named != nil {
		p.run(*named)
	}
	for _, r := range catalogRules() {
		p.run(r)
	}
	for _, r := range rules() {
		p.run(r)
	}
	if bare != nil {
		p.run(*bare)
	}
	return p.finish(h)
}

// token is one word of the intent with surrounding punctuation removed.
type token struct {
	text       string // as written
	start, end int    // byte offsets in parser.orig and parser.masked
	used       bool
}

// parser holds the intent as a list of tokens joined by single spaces
// twice: as written (orig) and lowercased with used tokens blanked out
// (masked), so every rule sees only the words no earlier rule took.
type parser struct {
	intent string
	tokens []token
	pos    int   // where the match being applied starts; facts sort by it
	order  []int // pos of each fact
	orig   string
	masked []byte
	facts  []Fact

	components []string // catalog components named, in order
	uncovered  []string // things named that the catalog does not cover

	image         *Image
	imageNote     string
	replicas      int
	port          int
	persistence   *bool
	storage       string
	failover      bool
	cpu, memory   string
	ingress       *Ingress
	autoscaling   *Autoscaling
	schedule      *schedule
	timeZone      string
	team          string
	environment   string
	environments  []string            // every environment named, in order
	perEnv        map[string]Override // what was asked for one environment only
	envCPU        map[string]string   // CPU asked for one environment only
	envMemory     map[string]string   // memory asked for one environment only
	envKeys       []envKey            // per-environment amounts, in the order of the words
	kcomponents   map[string]string   // Kustomize Components the intent names, to the words
	tf            tfState             // what a Terraform intent asked for
	app           string
	clusterWanted bool // "Redis cluster": sharding asked, replication given
	replication   bool
	version       string // the software version asked for ("16")
	versionFrom   string
	authSecret    string // the existing Secret credentials come from
	env, envFrom  []EnvRef
	settings      map[string]string
	settingsAsked string // "a ConfigMap for its settings", naming none
	netpol        *NetworkPolicy
	netpolAsked   string // "a NetworkPolicy", saying from where
	store         *ExternalSecretStore
	canary        *Canary
	canaryFrom    string
	statefulWeb   bool   // a web service that runs as a StatefulSet
	mountPath     string // where a StatefulSet's volume is mounted
}

func newParser(intent string) *parser {
	p := &parser{intent: intent}
	var b strings.Builder
	for _, f := range strings.Fields(intent) {
		w := strings.TrimLeft(f, "\"'([{`“‘")
		w = strings.TrimRight(w, ",.;:!?)]}\"'`”’")
		if w == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		t := token{text: w, start: b.Len()}
		b.WriteString(w)
		t.end = b.Len()
		p.tokens = append(p.tokens, t)
	}
	p.orig = b.String()
	p.masked = []byte(asciiLower(p.orig))
	return p
}

// asciiLower lowercases ASCII letters only, so byte offsets stay valid.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// match is one match of a rule: its lowercased groups, and the words it
// covers as written.
type match struct {
	p      *parser
	groups []string // lowercased; "" for groups that did not take part
	idx    []int
	from   string
}

// orig returns group i as written in the intent.
func (m match) orig(i int) string {
	if m.idx[2*i] < 0 {
		return ""
	}
	return m.p.orig[m.idx[2*i]:m.idx[2*i+1]]
}

// rule is a pattern and what to do with a match; apply returns false to
// reject the match, leaving its words for later rules.
type rule struct {
	re    func() *regexp.Regexp // compiled on first use
	apply func(p *parser, m match) bool
}

func (p *parser) run(r rule) {
	for off := 0; off < len(p.masked); {
		loc := r.re().FindSubmatchIndex(p.masked[off:])
		if loc == nil {
			return
		}
		for i := range loc {
			if loc[i] >= 0 {
				loc[i] += off
			}
		}
		start, end := loc[0], loc[1]
		// Widen to whole tokens, so "from" quotes words as written.
		var covered []int
		for i, t := range p.tokens {
			if !t.used && t.start < end && start < t.end {
				covered = append(covered, i)
			}
		}
		if len(covered) == 0 || end == start {
			off = end + 1
			continue
		}
		m := match{p: p, idx: loc}
		for i := 0; i < len(loc)/2; i++ {
			if loc[2*i] < 0 {
				m.groups = append(m.groups, "")
				continue
			}
			m.groups = append(m.groups, string(p.masked[loc[2*i]:loc[2*i+1]]))
		}
		words := make([]string, len(covered))
		for j, i := range covered {
			words[j] = p.tokens[i].text
		}
		m.from = strings.Join(words, " ")
		p.pos = p.tokens[covered[0]].start
		if !r.apply(p, m) {
			off = p.tokens[covered[0]].end
			continue
		}
		for _, i := range covered {
			p.tokens[i].used = true
			for k := p.tokens[i].start; k < p.tokens[i].end; k++ {
				p.masked[k] = 0
			}
		}
		off = end
	}
}

func (p *parser) fact(key, value, from string) {
	p.facts = append(p.facts, Fact{Key: key, Value: value, From: from})
	p.order = append(p.order, p.pos)
}

// sortedFacts returns the facts in the order of the words they came from;
// hints and defaults come last.
func (p *parser) sortedFacts() []Fact {
	idx := make([]int, len(p.facts))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p.order[idx[a]] < p.order[idx[b]] })
	out := make([]Fact, len(idx))
	for i, j := range idx {
		out[i] = p.facts[j]
	}
	return out
}

// Regular-expression building blocks.
const (
	numWords = `one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a single|single`
	num      = `(\d+|` + numWords + `)`
	cpuUnit  = `v?cpus?|cores?|millicores?|millicpus?`
	hostRE   = `((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}[a-z0-9])`
	timeRE   = `(midnight|noon|\d{1,2}(?::\d{2})? ?(?:am|pm|a\.m|p\.m)|\d{1,2}:\d{2})`
	sizeUnit = `(gi|gib|gb|g|ti|tib|tb|t|mi|mib|mb)`
	dayRE    = `(monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekday|weekend)s?`
)

var cpuUnitRE = lazyRE(`^(?:` + cpuUnit + `)$`)

// cpuAmount normalises an amount and its unit ("500", "millicores") to a
// CPU quantity ("500m"); "" when it is not one.
func cpuAmount(q, unit string) string {
	if strings.HasPrefix(unit, "milli") && !strings.HasSuffix(q, "m") {
		q += "m"
	}
	return cpuQuantity(q)
}

var numberWords = map[string]int{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a single": 1, "single": 1,
}

func atoi(s string) int {
	if n, ok := numberWords[s]; ok {
		return n
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

func re(s string) func() *regexp.Regexp { return lazyRE(`\b(?:` + s + `)\b`) }

// lazyRE compiles a pattern on first use, so package init stays cheap.
func lazyRE(s string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(s) })
}

// rules run in order; earlier rules take the words they match. The
// table is made on first use, not at package init.
var rules = sync.OnceValue(func() []rule {
	return []rule{
		// Things the catalog does not cover are named in the error.
		{re(`(zookeeper|cassandra|etcd|nats|vault|consul|clickhouse|cockroachdb|airflow|spark|hadoop|jenkins|operators?|s3 buckets?|buckets?|rds|aurora|dynamodb|sqs|sns|iam roles?|iam|lambda|vpc|eks|gke|aks|ecr|cloud sql|load balancer|dns records?|service mesh|istio|linkerd|redis cluster mode|sharded redis|sharding|shards?|read replicas?|streaming replication|serverless|knative|terraform|kustomize|gpus?|windows)`),
			func(p *parser, m match) bool { p.uncovered = append(p.uncovered, m.from); return true }},

		// A reference to the ticket or change the request comes from ("(ticket
		// OPS-123)", "ticket by bot ..."): bookkeeping, no requirement. Its
		// words are not copied into the facts, since people paste tokens there.
		{re(`(ticket|issue|jira|change request)(?: (?:by|from) (?:the )?[a-z0-9-]+)? ([a-z0-9][a-z0-9_#./-]*)`),
			func(p *parser, m match) bool {
				p.fact("reference", m.groups[1], "("+m.groups[1]+" reference, not copied)")
				return true
			}},

		// Names: "called checkout", "named billing-api".
		{re(`(?:called|named|name it|app name|named as) ([a-z0-9][a-z0-9-]*)`),
			func(p *parser, m match) bool {
				p.app = m.groups[1]
				p.fact("name", p.app, m.from)
				return true
			}},

		// Images: "image ghcr.io/acme/api:1.4.2", "run nginx:1.27".
		{re(`(?:(?:container|docker|oci) )?image (?:of |ref )?([a-z0-9][a-z0-9._/:@-]*[a-z0-9])`),
			func(p *parser, m match) bool { return p.setImage(m.orig(1), m.from, true) }},
		{re(`([a-z0-9][a-z0-9._/-]*(?::[a-z0-9_][a-z0-9._-]*)?(?:@sha256:[a-f0-9]{64})?)`),
			func(p *parser, m match) bool {
				g := m.groups[1]
				if !strings.Contains(g, ":") && !strings.Contains(g, "@") {
					return false
				}
				return p.setImage(m.orig(1), m.from, false)
			}},

		// Autoscaling: "autoscale between 2 and 10 replicas at 70% CPU".
		{re(`(?:auto-?scal(?:e|es|ing|ed)|scal(?:e|es|ing)(?: it)?(?: out)?|hpa)(?: (?:between|from))? ` + num + ` ?(?:and|to|-) ?` + num +
			`(?: (?:replicas|pods|instances|copies))?(?: (?:at|on|when|targeting|above|over|around|with|to keep) (?:(?:a|an) )?(\d+) ?%(?: (?:average )?cpu)?(?: (?:utili[sz]ation|usage|load))?)?`),
			func(p *parser, m match) bool {
				a := &Autoscaling{Min: atoi(m.groups[1]), Max: atoi(m.groups[2]), CPU: 80}
				if m.groups[3] != "" {
					a.CPU = atoi(m.groups[3])
				}
				if a.Min < 1 || a.Max < a.Min || a.CPU < 1 || a.CPU > 100 {
					return false
				}
				p.autoscaling = a
				p.fact("autoscaling", fmt.Sprintf("%d-%d replicas at %d%% CPU", a.Min, a.Max, a.CPU), m.from)
				return true
			}},
		{re(`(?:at |targeting |target )?(\d+) ?% (?:average )?cpu(?: (?:utili[sz]ation|usage|load))?`),
			func(p *parser, m match) bool {
				if p.autoscaling == nil {
					p.autoscaling = &Autoscaling{}
				}
				p.autoscaling.CPU = atoi(m.groups[1])
				p.fact("autoscaling", fmt.Sprintf("target %d%% CPU", p.autoscaling.CPU), m.from)
				return p.autoscaling.CPU > 0 && p.autoscaling.CPU <= 100
			}},
		{re(`(?:with )?(?:auto-?scal(?:e|es|ing|ed)|horizontal pod autoscal(?:er|ing)|hpa)`),
			func(p *parser, m match) bool {
				if p.autoscaling == nil {
					p.autoscaling = &Autoscaling{}
				}
				p.fact("autoscaling", "enabled", m.from)
				return true
			}},

		// Per environment: "3 replicas in production and 1 in staging", "2
		// CPU in production and 500m in staging", "4Gi memory in production".
		// They run before the rules for the whole plan, which would take the
		// amounts, and the storage rule, which would take "1Gi".
		{re(num + `(?: |-)(?:replicas?|instances?|copies|pods?|nodes?) (?:in|for|on) (?:the )?` + envRE),
			func(p *parser, m match) bool { return p.setEnvReplicas(m.groups[2], atoi(m.groups[1]), m.from) }},
		{re(`(\d+(?:\.\d+)?m?) ?(` + cpuUnit + `) (?:in|for|on) (?:the )?` + envRE),
			func(p *parser, m match) bool {
				return p.setEnvCPU(m.groups[3], cpuAmount(m.groups[1], m.groups[2]), m.from)
			}},
		{re(`(\d+(?:\.\d+)?) ?` + sizeUnit + `(?: of)? (?:memory|ram|mem) (?:in|for|on) (?:the )?` + envRE),
			func(p *parser, m match) bool {
				return p.setEnvMemory(m.groups[3], size(m.groups[1], m.groups[2]), m.from)
			}},
		// "... and 1 in staging": the same thing as the nearest per-environment
		// amount before it.
		{re(`(?:and )?(\d+(?:\.\d+)?m?|` + numWords + `)(?: ?(` + cpuUnit + `|gi|gib|gb|g|ti|tib|tb|t|mi|mib|mb))?(?: (?:of )?(?:memory|ram|mem))? (?:in|for|on) (?:the )?` + envRE),
			func(p *parser, m match) bool {
				q, unit, env := m.groups[1], m.groups[2], m.groups[3]
				switch p.envKeyBefore(p.pos) {
				case "replicas":
					return unit == "" && !strings.ContainsAny(q, ".m") && p.setEnvReplicas(env, atoi(q), m.from)
				case "cpu":
					if unit != "" && !cpuUnitRE().MatchString(unit) {
						return false
					}
					if n, ok := numberWords[q]; ok {
						q = strconv.Itoa(n)
					}
					return p.setEnvCPU(env, cpuAmount(q, unit), m.from)
				case "memory":
					if n, ok := numberWords[q]; ok {
						q = strconv.Itoa(n)
					}
					return unit != "" && !cpuUnitRE().MatchString(unit) && !strings.HasSuffix(q, "m") && p.setEnvMemory(env, size(q, unit), m.from)
				}
				return false
			}},

		// Resources: "1 CPU and 2Gi memory", "500m cpu", "memory 512Mi".
		{re(`(\d+(?:\.\d+)?m?) ?(` + cpuUnit + `)`),
			func(p *parser, m match) bool {
				p.cpu = cpuAmount(m.groups[1], m.groups[2])
				p.fact("resources", "cpu "+p.cpu, m.from)
				return p.cpu != ""
			}},
		{re(`cpu(?: limit| request)?(?: of| =|:)? (\d+(?:\.\d+)?m?)`),
			func(p *parser, m match) bool {
				p.cpu = cpuQuantity(m.groups[1])
				p.fact("resources", "cpu "+p.cpu, m.from)
				return p.cpu != ""
			}},
		{re(`(\d+(?:\.\d+)?) ?` + sizeUnit + `(?: of)? (?:memory|ram|mem)`),
			func(p *parser, m match) bool {
				p.memory = size(m.groups[1], m.groups[2])
				p.fact("resources", "memory "+p.memory, m.from)
				return true
			}},
		{re(`(?:memory|ram)(?: limit| request)?(?: of| =|:)? (\d+(?:\.\d+)?) ?` + sizeUnit),
			func(p *parser, m match) bool {
				p.memory = size(m.groups[1], m.groups[2])
				p.fact("resources", "memory "+p.memory, m.from)
				return true
			}},

		// Storage: "20Gi", "50 GB of storage", "a 100Gi persistent volume".
		{re(`(?:(?:storage|disk|volume)(?: size)?(?: of| =|:)? )?(\d+(?:\.\d+)?) ?` + sizeUnit + `(?: (?:of|for))?(?: (persistent|durable|persisted))?(?: (?:storage|disks?|volumes?|space|pvcs?|data))?`),
			func(p *parser, m match) bool {
				p.storage = size(m.groups[1], m.groups[2])
				p.fact("storage", p.storage, m.from)
				if m.groups[3] != "" {
					p.setPersistence(true, m.from)
				}
				return true
			}},

		// "4 workers": a count and a component at once.
		{re(num + ` (?:(?:queue|background) )?(workers|consumers)`),
			func(p *parser, m match) bool {
				if !p.setReplicas(atoi(m.groups[1]), m.from) {
					return false
				}
				p.component(BlueprintWorker, m.from)
				return true
			}},

		// Replicas: "3 replicas", "three instances", "a 3-node cluster".
		{re(num + `(?: |-)(?:replicas?|instances?|copies|pods?|nodes?|members?|brokers?)`),
			func(p *parser, m match) bool { return p.setReplicas(atoi(m.groups[1]), m.from) }},
		{re(`(?:replicas?|replica count|instances)(?: of| =|:| to)? (\d+)`),
			func(p *parser, m match) bool { return p.setReplicas(atoi(m.groups[1]), m.from) }},

		// Ports: "on port 8080", "listening on port 3000".
		{re(`(?:(?:listening|listens|served|serving|running|exposed|exposes?|exposing|that listens) )?(?:on )?(?:container |http |tcp )?port(?: number)?(?: of| =|:)? (\d{1,5})`),
			func(p *parser, m match) bool {
				n := atoi(m.groups[1])
				if n < 1 || n > 65535 {
					return false
				}
				p.port = n
				p.fact("port", strconv.Itoa(n), m.from)
				return true
			}},

		// Schedules, as cron or in words.
		{lazyRE(`(?:^|\s)((?:(?:at |on |with schedule |schedule |cron ))?((?:[0-9*][0-9*/,-]* ){4}[0-9*][0-9*/,-]*))(?:\s|$)`),
			func(p *parser, m match) bool {
				if !validCron(m.groups[2]) {
					return false
				}
				p.setSchedule(&schedule{expr: m.groups[2]}, m.from)
				return true
			}},
		{re(`@(hourly|daily|weekly|monthly|yearly|midnight)`),
			func(p *parser, m match) bool {
				exprs := map[string]string{"hourly": "0 * * * *", "daily": "0 0 * * *", "midnight": "0 0 * * *", "weekly": "0 0 * * 0", "monthly": "0 0 1 * *", "yearly": "0 0 1 1 *"}
				p.setSchedule(&schedule{expr: exprs[m.groups[1]]}, m.from)
				return true
			}},
		{re(`(?:run )?every ` + num + ` (minutes?|mins?|hours?|days?)`),
			func(p *parser, m match) bool {
				n := atoi(m.groups[1])
				var expr string
				switch unit := m.groups[2]; {
				case strings.HasPrefix(unit, "min") && n < 60:
					expr = fmt.Sprintf("*/%d * * * *", n)
				case strings.HasPrefix(unit, "hour") && n < 24:
					expr = fmt.Sprintf("0 */%d * * *", n)
				case strings.HasPrefix(unit, "day") && n < 32:
					expr = fmt.Sprintf("0 0 */%d * *", n)
				default:
					return false
				}
				if n == 1 {
					expr = strings.ReplaceAll(expr, "*/1", "*")
				}
				p.setSchedule(&schedule{expr: expr}, m.from)
				return true
			}},
		{re(`(?:every minute|each minute)`),
			func(p *parser, m match) bool { p.setSchedule(&schedule{expr: "* * * * *"}, m.from); return true }},
		{re(`(?:every hour|each hour|hourly|once an hour)`),
			func(p *parser, m match) bool { p.setSchedule(&schedule{expr: "0 * * * *"}, m.from); return true }},
		{re(`(?:every|each|on) ` + dayRE + `(?: (?:at|@) ` + timeRE + `)?`),
			func(p *parser, m match) bool {
				days := map[string]string{"sunday": "0", "monday": "1", "tuesday": "2", "wednesday": "3", "thursday": "4", "friday": "5", "saturday": "6", "weekday": "1-5", "weekend": "0,6"}
				return p.setDaily(m.groups[2], days[m.groups[1]], "*", m.from)
			}},
		{re(`(?:every (?:night|day|evening|morning)|each (?:night|day)|nightly|daily|once a day|every 24 hours)(?: (?:at|@) ` + timeRE + `)?`),
			func(p *parser, m match) bool { return p.setDaily(m.groups[1], "*", "*", m.from) }},
		{re(`(?:every week|each week|weekly|once a week)(?: (?:at|@) ` + timeRE + `)?`),
			func(p *parser, m match) bool { return p.setDaily(m.groups[1], "0", "*", m.from) }},
		{re(`(?:every month|each month|monthly|once a month)(?: (?:at|@) ` + timeRE + `)?`),
			func(p *parser, m match) bool { return p.setDaily(m.groups[1], "*", "1", m.from) }},
		{re(`(?:at|@) ` + timeRE),
			func(p *parser, m match) bool {
				if p.schedule == nil || !p.schedule.daily || p.schedule.timed {
					return false
				}
				return p.setDaily(m.groups[1], p.schedule.dow, p.schedule.dom, p.schedule.from+" "+m.from)
			}},
		{re(`(utc|gmt)`),
			func(p *parser, m match) bool {
				p.timeZone = "Etc/UTC"
				p.fact("schedule", "time zone "+p.timeZone, m.from)
				return true
			}},

		// Per environment: "at shop.example.com in production and
		// staging.shop.example.com in staging".
		{re(`(?:(?:exposed|available|reachable|served|published|routed|accessible) )?(?:(?:at|on|via|under|as) )?(?:(?:host|hostname|domain) )?(?:and )?(https?://)?` + hostRE + `/? (?:in|for|on) (?:the )?` + envRE),
			func(p *parser, m match) bool {
				env := NormalEnvironment(m.groups[3])
				if p.ingress == nil {
					p.ingress = &Ingress{}
				}
				if p.ingress.Host == "" || env == "production" {
					p.ingress.Host = m.groups[2]
				}
				if m.groups[1] == "https://" {
					p.ingress.TLS = true
				}
				o := p.override(env)
				o.Host = m.groups[2]
				p.perEnv[env] = o
				p.fact("host", o.Host+" in "+env, m.from)
				return true
			}},

		// Ingress: "exposed at api.example.com with TLS", "https://shop.example.com".
		{re(`(?:(?:exposed|expose it|exposes|available|reachable|served|serving|published|routed|accessible)(?: publicly)? )?(?:(?:at|on|via|under|as|to) )?(?:the )?(?:(?:host|hostname|domain|url|address) )?(https?://)?` + hostRE + `/?`),
			func(p *parser, m match) bool {
				host := m.groups[2]
				tld := host[strings.LastIndexByte(host, '.')+1:]
				switch tld {
				case "conf", "yaml", "yml", "json", "txt", "sh", "tpl", "md", "js", "py", "toml", "ini", "cfg":
					return false
				}
				if p.ingress == nil {
					p.ingress = &Ingress{}
				}
				p.ingress.Host = host
				p.fact("host", host, m.from)
				if m.groups[1] == "https://" {
					p.ingress.TLS = true
					p.fact("tls", "true", m.from)
				}
				return true
			}},
		{re(`(?:tls|https|ssl)(?: (?:enabled|termination|certificates?|certs?))?`),
			func(p *parser, m match) bool {
				if p.ingress == nil {
					p.ingress = &Ingress{}
				}
				p.ingress.TLS = true
				p.fact("tls", "true", m.from)
				return true
			}},
		{re(`(?:with (?:an |a )?)?(?:ingress|publicly exposed|public endpoint|exposed publicly|exposed to the internet|public|expose it|expose|exposed)`),
			func(p *parser, m match) bool {
				if p.ingress == nil {
					p.ingress = &Ingress{}
				}
				p.fact("ingress", "enabled", m.from)
				return true
			}},

		// Environment: "in production", "for staging", "in the dev environment".
		{re(`(?:(?:in|to|into|for|on) )?(?:the )?(production|prod|staging|stage|development|dev)(?: (?:environment|env|cluster|namespace))?`),
			func(p *parser, m match) bool {
				p.environment = NormalEnvironment(m.groups[1])
				p.environments = append(p.environments, p.environment)
				p.fact("environment", p.environment, m.from)
				return true
			}},
		{re(`(?:(?:in|to|into|for|on) (?:the )?(test|testing|qa|sandbox)(?: (?:environment|env|cluster))?|(?:the )?(test|testing|qa|sandbox) (?:environment|env|cluster))`),
			func(p *parser, m match) bool {
				p.environment = NormalEnvironment(m.groups[1] + m.groups[2])
				p.environments = append(p.environments, p.environment)
				p.fact("environment", p.environment, m.from)
				return true
			}},

		// Team: "for the payments team", "owned by team checkout".
		{re(`(?:(?:for|owned by|belongs to|of) )?(?:the )?([a-z0-9][a-z0-9-]*) team`), teamRule},
		{re(`(?:owned by |for )?team ([a-z0-9][a-z0-9-]*)`), teamRule},

		// "the shop web API", "the billing worker": a name before the kind of
		// workload, when it is no word the planner knows and no quality ("the
		// secure API" names nothing). "a fast API" is no name: the unknown
		// word stays, and the intent is declined.
		{re(`(?:the |our )([a-z][a-z0-9-]*[a-z0-9]) (web ?(?:service|app|application|api|site)|(?:rest |http |grpc |graphql )?api|service|frontend|backend|website|worker|consumer|cron ?job)`),
			func(p *parser, m match) bool {
				name := m.groups[1]
				if stopWords()[name] || fillerWords()[name] || qualifierWords()[name] || slices.Contains(vocabulary(), name) {
					return false
				}
				kind := BlueprintWeb
				switch {
				case strings.HasPrefix(m.groups[2], "worker"), strings.HasPrefix(m.groups[2], "consumer"):
					kind = BlueprintWorker
				case strings.HasPrefix(m.groups[2], "cron"):
					kind = BlueprintCronJob
				}
				p.app = name
				p.fact("name", name, m.from)
				p.component(kind, m.from)
				return true
			}},

		// Components.
		{re(`redis(?:[- ](cluster|server|instance|cache|database|db|deployment|statefulset|setup|service))?`),
			func(p *parser, m match) bool {
				p.component(BlueprintRedis, m.from)
				p.clusterWanted = m.groups[1] == "cluster"
				return true
			}},
		{re(`(?:postgres(?:ql)?|pg|psql)(?:[- ](?:database|db|server|instance|cluster|service))?`),
			func(p *parser, m match) bool { p.component(BlueprintPostgreSQL, m.from); return true }},
		{re(`(?:cron ?jobs?|cron|scheduled (?:jobs?|tasks?)|periodic (?:jobs?|tasks?)|batch jobs?|recurring (?:jobs?|tasks?))`),
			func(p *parser, m match) bool { p.component(BlueprintCronJob, m.from); return true }},
		{re(`(?:(?:background |queue |async |celery |sidekiq )?workers?|queue (?:consumers?|processors?)|(?:message |event )?consumers?|background (?:processors?|jobs?))`),
			func(p *parser, m match) bool { p.component(BlueprintWorker, m.from); return true }},
		{re(`(?:web ?(?:service|server|app|application|site|frontend|backend|api)|website|web|(?:rest |http |graphql |grpc |json )?apis?(?: (?:service|server|gateway|backend))?|http (?:service|server)|frontend|backend(?: service)?|microservices?|(?:stateless )?service)`),
			func(p *parser, m match) bool { p.component(BlueprintWeb, m.from); return true }},
		{re(`(?:(?:one-off|one-time|migration|batch|kubernetes) )?jobs?(?: that runs once)?`),
			func(p *parser, m match) bool {
				if p.schedule == nil {
					p.component(BlueprintJob, m.from)
					return true
				}
				p.component(BlueprintCronJob, m.from)
				return true
			}},

		// Qualities.
		{re(`(?:no persisten(?:ce|t storage)|without (?:persistence|persistent storage|storage)|ephemeral(?: storage)?|in-memory only|non-persistent|memory only|not persistent)`),
			func(p *parser, m match) bool { p.setPersistence(false, m.from); return true }},
		{re(`(?:(?:persistent|persisted|durable)(?: (?:storage|volumes?|disks?|data|volume claims?))?|persistence(?: enabled)?|data (?:should|must|that) (?:survive|persist)s?(?: restarts)?)`),
			func(p *parser, m match) bool { p.setPersistence(true, m.from); return true }},
		{re(`(?:(?:automatic|automated|auto)(?:-| )?fail-?over|fail-?over|highly available|high[- ]availability|ha|sentinels?|fault[- ]tolerant|self-healing)`),
			func(p *parser, m match) bool {
				p.failover = true
				p.fact("failover", "true", m.from)
				return true
			}},
		{re(`(?:a |an )?(?:single|standalone)(?: (?:node|instance|replica|pod))?`),
			func(p *parser, m match) bool { return p.replicas == 0 && p.setReplicas(1, m.from) }},
		{re(`replicat(?:ed|ion)|replica ?sets?`),
			func(p *parser, m match) bool {
				p.replication = true
				p.fact("replication", "true", m.from)
				return true
			}},
	}
})

// stopWords carry no intent of their own; they are never reported as
// ignored.
var stopWords = setOf(`a an the with and in for of to on at by as that it its is be are will should would
could can me us we i you our my your please want need needs like some also plus using use via which this these those
deploy deploying deployed create set up spin provision add give launch install start make build run running new
get have has so just then there into onto from all each per one`)

// teamRule takes the team a rule's first group names, unless it is a
// stop word ("the team").
func teamRule(p *parser, m match) bool {
	if stopWords()[m.groups[1]] {
		return false
	}
	p.team = m.groups[1]
	p.fact("team", p.team, m.from)
	return true
}

// setOf returns the set of the words in words, made on first use.
func setOf(words string) func() map[string]bool {
	return sync.OnceValue(func() map[string]bool {
		m := map[string]bool{}
		for _, w := range strings.Fields(words) {
			m[w] = true
		}
		return m
	})
}

func (p *parser) component(name, from string) {
	p.components = append(p.components, name)
	p.fact("component", name, from)
}

func (p *parser) setReplicas(n int, from string) bool {
	if n < 1 || n > 100 {
		return false
	}
	p.replicas = n
	p.fact("replicas", strconv.Itoa(n), from)
	return true
}

func (p *parser) setPersistence(on bool, from string) {
	p.persistence = &on
	p.fact("persistence", strconv.FormatBool(on), from)
}

// setImage parses a reference; explicit is true when the word "image"
// introduced it, so a bare name without a tag is accepted.
func (p *parser) setImage(ref, from string, explicit bool) bool {
	img, ok := parseImage(ref)
	if !ok {
		return false
	}
	if !explicit && img.Tag == "" && img.Digest == "" {
		return false
	}
	p.image = &img
	p.fact("image", img.String(), from)
	switch {
	case img.Digest != "":
	case img.Tag == "":
		p.fact("note", "no tag", from)
		p.imageNote = fmt.Sprintf("image %s has no tag, so it means :latest; pin a version in values.yaml (image.tag)", img.Repository)
	case img.Tag == "latest":
		p.fact("note", "tag latest", from)
		p.imageNote = fmt.Sprintf("image %s is tagged latest, which moves; pin a version in values.yaml (image.tag)", img.Repository)
	}
	return true
}

var (
	repoRE   = lazyRE(`^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\d+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRE    = lazyRE(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestRE = lazyRE(`^sha256:[a-f0-9]{64}$`)
)

func parseImage(ref string) (Image, bool) {
	var img Image
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		img.Digest = ref[i+1:]
		ref = ref[:i]
		if !digestRE().MatchString(img.Digest) {
			return Image{}, false
		}
	}
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		img.Tag = ref[i+1:]
		ref = ref[:i]
		if !tagRE().MatchString(img.Tag) {
			return Image{}, false
		}
	}
	img.Repository = ref
	if !repoRE().MatchString(ref) || !strings.ContainsAny(ref, "abcdefghijklmnopqrstuvwxyz") {
		return Image{}, false
	}
	return img, true
}

// schedule is a cron expression, remembering whether it was built from
// words with a default time an "at 2am" later in the sentence may set.
type schedule struct {
	expr     string
	daily    bool
	timed    bool
	dow, dom string
	from     string
}

func (p *parser) setSchedule(s *schedule, from string) {
	s.from = from
	if p.schedule != nil {
		// A later time refines; replace the fact of the earlier schedule.
		for i := len(p.facts) - 1; i >= 0; i-- {
			if p.facts[i].Key == "schedule" && !strings.HasPrefix(p.facts[i].Value, "time zone") {
				p.facts = append(p.facts[:i], p.facts[i+1:]...)
				break
			}
		}
	}
	p.schedule = s
	p.fact("schedule", s.expr, from)
}

// setDaily sets a schedule at a time of day (midnight when t is empty) on
// the given day of week and day of month.
func (p *parser) setDaily(t, dow, dom, from string) bool {
	h, min := 0, 0
	if t != "" {
		var ok bool
		if h, min, ok = clock(t); !ok {
			return false
		}
	}
	p.setSchedule(&schedule{expr: fmt.Sprintf("%d %d %s * %s", min, h, dom, dow), daily: true, timed: t != "", dow: dow, dom: dom}, from)
	return true
}

// clock reads "2am", "2:30 pm", "14:00", "midnight", "noon".
func clock(t string) (h, m int, ok bool) {
	switch t {
	case "midnight":
		return 0, 0, true
	case "noon":
		return 12, 0, true
	}
	t = strings.ReplaceAll(strings.ReplaceAll(t, ".", ""), " ", "")
	suffix := ""
	if strings.HasSuffix(t, "am") || strings.HasSuffix(t, "pm") {
		suffix, t = t[len(t)-2:], t[:len(t)-2]
	}
	hs, ms, _ := strings.Cut(t, ":")
	h, err := strconv.Atoi(hs)
	if err != nil {
		return 0, 0, false
	}
	if ms != "" {
		if m, err = strconv.Atoi(ms); err != nil || m > 59 {
			return 0, 0, false
		}
	}
	switch suffix {
	case "am":
		if h < 1 || h > 12 {
			return 0, 0, false
		}
		h %= 12
	case "pm":
		if h < 1 || h > 12 {
			return 0, 0, false
		}
		h = h%12 + 12
	}
	return h, m, h < 24
}

var cronField = lazyRE(`^(?:\*|\d+(?:-\d+)?)(?:/\d+)?(?:,(?:\*|\d+(?:-\d+)?)(?:/\d+)?)*$`)

func validCron(expr string) bool {
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return false
	}
	limits := [5]int{59, 23, 31, 12, 7}
	for i, f := range fields {
		if !cronField().MatchString(f) {
			return false
		}
		for _, n := range regexp.MustCompile(`\d+`).FindAllString(f, -1) {
			if v, _ := strconv.Atoi(n); v > limits[i] && !strings.Contains(f, "/"+n) {
				return false
			}
		}
	}
	return true
}

// cpuQuantity normalises "0.5" to "500m"; "" when not a CPU amount.
func cpuQuantity(q string) string {
	if strings.HasSuffix(q, "m") {
		if n, err := strconv.Atoi(strings.TrimSuffix(q, "m")); err == nil && n > 0 {
			return q
		}
		return ""
	}
	f, err := strconv.ParseFloat(q, 64)
	if err != nil || f <= 0 || f > 256 {
		return ""
	}
	if f != float64(int(f)) {
		return strconv.Itoa(int(f*1000+0.5)) + "m"
	}
	return strconv.Itoa(int(f))
}

// size turns "50" "gb" into 50Gi: people who say GB mean the binary unit
// Kubernetes volumes are sized in.
func size(n, unit string) string {
	switch unit[0] {
	case 'm':
		return n + "Mi"
	case 't':
		return n + "Ti"
	}
	return n + "Gi"
}

// NormalEnvironment is the usual name of an environment: "prod" is
// production, "stage" staging, "development" dev and "testing" test.
func NormalEnvironment(s string) string {
	switch s {
	case "prod", "production":
		return "production"
	case "stage", "staging":
		return "staging"
	case "dev", "development":
		return "dev"
	case "testing":
		return "test"
	}
	return s
}

var dns1123 = lazyRE(`[^a-z0-9-]+`)

// appName makes a DNS-1123 label of s (at most 53 characters, Helm's limit
// for release names, so fullnames with suffixes stay valid).
func appName(s string) string {
	s = dns1123().ReplaceAllString(asciiLower(s), "-")
	s = strings.Trim(s, "-")
	if len(s) > 53 {
		s = strings.TrimRight(s[:53], "-")
	}
	return s
}

// finish turns what the rules found into a Plan.
func (p *parser) finish(h Hints) (*Plan, error) {
	p.pos = len(p.orig) + 1 // facts from here on are hints and defaults
	plan := &Plan{}
	var unknown []string
	for _, t := range p.tokens {
		switch {
		case t.used || stopWords()[asciiLower(t.text)]:
		case isFiller(t.text):
			plan.Ignored = append(plan.Ignored, t.text)
		default:
			unknown = append(unknown, t.text)
		}
	}
	if len(p.uncovered) > 0 {
		return nil, p.decline(h, fmt.Sprintf("%s %s not in the built-in planner's catalog", quoteList(p.uncovered), isAre(len(p.uncovered))), p.uncovered)
	}
	if len(unknown) > 0 {
		return nil, p.decline(h, fmt.Sprintf("the built-in planner does not understand %s, which may carry a requirement, so it writes nothing rather than leave it out", quoteList(unknown)), unknown)
	}
	components := dedupe(p.components)
	if p.image != nil && len(components) == 0 {
		components = []string{BlueprintImage}
		p.fact("component", BlueprintImage, "(an image to run)")
	}
	if len(components) == 0 {
		return nil, p.decline(h, fmt.Sprintf("%q names nothing to deploy", p.intent), nil)
	}
	if len(components) == 2 && slices.Contains(components, BlueprintStatefulSet) {
		// "a statefulset running the web service ...": the kind, and what
		// runs in it.
		other := components[0]
		if other == BlueprintStatefulSet {
			other = components[1]
		}
		switch other {
		case BlueprintWeb, BlueprintWorker, BlueprintImage:
			p.statefulWeb = other == BlueprintWeb
			components = []string{BlueprintStatefulSet}
		}
	}
	if len(components) > 1 {
		return nil, p.decline(h, fmt.Sprintf("one component per request, and %q names %s", p.intent, strings.Join(components, " and ")), nil)
	}
	plan.Blueprint = components[0]
	if c, ok := catalog.Lookup(plan.Blueprint); ok && plan.Blueprint != BlueprintRedis && plan.Blueprint != BlueprintPostgreSQL {
		plan.Blueprint, plan.Chart = BlueprintChart, &c
	}
	if (p.storage != "" || p.persistence != nil && *p.persistence) && p.schedule == nil &&
		(plan.Blueprint == BlueprintImage || plan.Blueprint == BlueprintWorker || plan.Blueprint == BlueprintWeb) {
		plan.note(fmt.Sprintf("storage was asked, so the %s runs as a StatefulSet with a volume per pod", describe(plan.Blueprint)))
		p.statefulWeb = plan.Blueprint == BlueprintWeb
		plan.Blueprint = BlueprintStatefulSet
	}
	if p.schedule != nil && (plan.Blueprint == BlueprintImage || plan.Blueprint == BlueprintWorker) {
		plan.note(fmt.Sprintf("a schedule was given, so the %s runs as a cron job", plan.Blueprint))
		plan.Blueprint = BlueprintCronJob
	}

	// Environment: the sentence, then the hints, then the target path.
	plan.Environment = p.environment
	envFromPath := PathEnvironment(h.TargetPath, "clusters")
	for _, hint := range []struct{ env, from string }{{h.Environment, "(hint)"}, {envFromPath, "(target path " + h.TargetPath + ")"}} {
		switch {
		case hint.env == "":
		case plan.Environment == "":
			plan.Environment = NormalEnvironment(asciiLower(hint.env))
			p.fact("environment", plan.Environment, hint.from)
		case NormalEnvironment(asciiLower(hint.env)) != plan.Environment:
			plan.note(fmt.Sprintf("the intent says %s but %s says %s; using %s", plan.Environment, hint.from, hint.env, plan.Environment))
		}
	}

	p.environmentsFor(plan, h)
	p.componentsFor(plan, h)

	if err := p.fill(plan); err != nil {
		return nil, err
	}
	if len(plan.refusals) > 0 {
		return nil, p.decline(h, strings.Join(plan.refusals, "; "), nil)
	}

	// App name: the sentence, then the hints, then the target path, then
	// the component or image.
	p.name(plan, h)
	if plan.App == "" {
		switch plan.Blueprint {
		case BlueprintRedis, BlueprintRedisSentinel:
			plan.App = "redis"
		case BlueprintPostgreSQL:
			plan.App = "postgresql"
		case BlueprintChart:
			plan.App = plan.Chart.Component
		default:
			plan.App = appName(path.Base(plan.Image.Repository))
		}
		p.fact("name", plan.App, "(default)")
	}
	if plan.App == "" {
		return nil, fmt.Errorf("%w: no usable app name; name it (\"called checkout\") or give a target path", ErrIncomplete)
	}
	plan.flux, plan.argo = h.Flux, h.ArgoCD
	plan.Understood = p.sortedFacts()
	return plan, nil
}

const catalogWords = "redis, postgresql, a web service or API, a worker, a cron job, or an image to run"

func (p *Plan) note(s string) { p.Notes = append(p.Notes, s) }

// fill sets the typed parameters of the plan for its blueprint, with the
// defaults a careful engineer would choose, and notes what does not apply.
func (p *parser) fill(plan *Plan) error {
	plan.Team = p.team
	plan.Replicas = p.replicas
	if err := p.fillBlueprint(plan); err != nil {
		return err
	}
	if plan.Blueprint == BlueprintChart {
		notApplicable(plan, "environment variables from Secrets or ConfigMaps", len(p.env)+len(p.envFrom) > 0)
		notApplicable(plan, "settings in a ConfigMap", p.settings != nil || p.settingsAsked != "")
		notApplicable(plan, "a NetworkPolicy", p.netpol != nil || p.netpolAsked != "")
		notApplicable(plan, "a canary", p.canary != nil)
		return nil
	}
	if err := p.fillWorkload(plan); err != nil {
		return err
	}
	if p.version != "" && plan.Blueprint != BlueprintRedis && plan.Blueprint != BlueprintRedisSentinel && plan.Blueprint != BlueprintPostgreSQL {
		plan.refuse("a version (" + p.versionFrom + ") does not apply to " + describe(plan.Blueprint) + "; give the image tag")
	}
	web := plan.Blueprint == BlueprintWeb || (plan.Blueprint == BlueprintImage || plan.Blueprint == BlueprintStatefulSet) && plan.Port != 0
	if (plan.Blueprint == BlueprintImage || plan.Blueprint == BlueprintStatefulSet) && plan.Port == 0 && p.ingress != nil {
		return fmt.Errorf("%w: exposing %s at a host needs the port it listens on (\"on port 8080\")", ErrIncomplete, plan.Image)
	}
	if web {
		plan.Ingress = p.ingress
		if plan.Ingress != nil && plan.Ingress.Host == "" {
			return fmt.Errorf("%w: an ingress needs a host (\"exposed at api.example.com\")", ErrIncomplete)
		}
	} else {
		notApplicable(plan, "a host or TLS", p.ingress != nil)
	}
	p.fillAutoscaling(plan)
	if plan.Replicas == 0 {
		switch {
		case plan.Blueprint == BlueprintCronJob, plan.Blueprint == BlueprintJob, plan.Blueprint == BlueprintDaemonSet:
		case plan.Autoscaling != nil:
			plan.Replicas = plan.Autoscaling.Min
		case web && plan.Environment == "production":
			plan.Replicas = 2
			p.def("replicas", "2")
			plan.note("two replicas by default in production, so a node drain does not take the service down")
		default:
			plan.Replicas = 1
			if p.envReplicasStated() {
				p.fact("replicas", "1", "(default, for environments not named)")
			} else {
				p.def("replicas", "1")
			}
		}
	}
	if plan.Blueprint == BlueprintJob || plan.Blueprint == BlueprintDaemonSet {
		notApplicable(plan, "replicas (a "+describe(plan.Blueprint)+" runs "+map[string]string{BlueprintJob: "once", BlueprintDaemonSet: "one pod per node"}[plan.Blueprint]+")", p.replicas != 0)
		notApplicable(plan, "autoscaling", p.autoscaling != nil)
		notApplicable(plan, "a schedule", p.schedule != nil)
		plan.Replicas = 0
	} else if plan.Blueprint == BlueprintCronJob {
		notApplicable(plan, "replicas", p.replicas != 0)
		plan.Replicas = 0
		if p.schedule == nil {
			return fmt.Errorf("%w: a cron job needs a schedule (\"every night at 2am\", \"0 3 * * *\")", ErrIncomplete)
		}
		plan.Schedule = p.schedule.expr
		plan.TimeZone = p.timeZone
	} else {
		notApplicable(plan, "a schedule", p.schedule != nil)
	}
	plan.Resources = defaultResources(plan.Blueprint)
	if p.cpu != "" {
		plan.Resources.CPURequest, plan.Resources.CPULimit = p.cpu, p.cpu
	}
	if p.memory != "" {
		plan.Resources.MemoryRequest, plan.Resources.MemoryLimit = p.memory, p.memory
	}
	return nil
}

// fillBlueprint fills what the blueprint itself decides: the image, the
// replicas a failover setup needs, storage, the port.
func (p *parser) fillBlueprint(plan *Plan) error {
	switch plan.Blueprint {
	case BlueprintChart:
		return p.fillChart(plan)
	case BlueprintRedis:
		plan.Image = Image{Repository: RedisImage, Tag: RedisTag}
		p.builtinVersion(plan, BlueprintRedis)
		p.def("image", plan.Image.String())
		plan.AuthSecret = p.authSecret
		if p.image != nil {
			notApplicable(plan, "an image ("+p.image.String()+"; the chart pins "+plan.Image.String()+", ask for a version instead)", true)
		}
		if p.failover || p.replicas > 1 || p.replication {
			plan.Blueprint = BlueprintRedisSentinel
			plan.Failover = true
			if !p.failover {
				plan.note("replicas without a failover manager leave the primary a single point of failure, so Sentinel is included")
			}
			if plan.Replicas < 3 {
				if plan.Replicas != 0 {
					plan.refuse(fmt.Sprintf("Redis with %d replicas: Sentinel failover needs a quorum of 2 out of 3, so at least 3 replicas (ask for 1, or 3 and more)", plan.Replicas))
				}
				plan.Replicas = 3
				p.def("replicas", "3")
			}
		} else if plan.Replicas == 0 {
			plan.Replicas = 1
			p.def("replicas", "1")
		}
		if p.clusterWanted {
			plan.note("\"Redis cluster\" is read as a primary with replicas; sharded Redis Cluster mode is not in the catalog")
		}
		plan.Persistence = p.persistence != nil && *p.persistence || p.persistence == nil && p.storage != ""
		p.storageDefault(plan, "8Gi")
		notApplicable(plan, "a port", p.port != 0)
	case BlueprintPostgreSQL:
		plan.Image = Image{Repository: PostgresImage, Tag: PostgresTag}
		p.builtinVersion(plan, BlueprintPostgreSQL)
		p.def("image", plan.Image.String())
		plan.AuthSecret = p.authSecret
		if p.image != nil {
			notApplicable(plan, "an image ("+p.image.String()+"; the chart pins "+plan.Image.String()+", ask for a version instead)", true)
		}
		if p.failover || p.replicas > 1 || p.replication {
			plan.refuse("PostgreSQL replication and failover: the built-in chart runs a single primary; they need an operator (CloudNativePG, for example)")
		}
		plan.Replicas = 1
		if p.persistence != nil && !*p.persistence {
			plan.refuse("PostgreSQL without persistence: a database keeps its data")
		}
		plan.Persistence = true
		p.storageDefault(plan, "10Gi")
		notApplicable(plan, "a port", p.port != 0)
	case BlueprintStatefulSet:
		if p.image == nil {
			return fmt.Errorf("%w: a StatefulSet needs an image to run; say which (\"image ghcr.io/acme/db:1.0.0\")", ErrIncomplete)
		}
		plan.Image = *p.image
		notApplicable(plan, "credentials from a Secret ("+p.authSecret+")", p.authSecret != "")
		notApplicable(plan, "failover", p.failover)
		notApplicable(plan, "autoscaling (a StatefulSet's pods each own a volume)", p.autoscaling != nil)
		if p.persistence != nil && !*p.persistence {
			plan.refuse("a StatefulSet without persistence")
		}
		plan.Persistence = true
		p.storageDefault(plan, "10Gi")
		plan.MountPath = p.mountPath
		if plan.MountPath == "" {
			plan.MountPath = "/data"
			p.def("mount path", "/data")
		}
		if p.statefulWeb && p.port == 0 {
			p.port = 8080
			p.def("port", "8080")
		}
		plan.Port = p.port
	case BlueprintWeb, BlueprintWorker, BlueprintCronJob, BlueprintImage, BlueprintJob, BlueprintDaemonSet:
		if p.image == nil {
			return fmt.Errorf("%w: a %s needs an image to run; say which (\"image ghcr.io/acme/api:1.4.2\")", ErrIncomplete, describe(plan.Blueprint))
		}
		plan.Image = *p.image
		notApplicable(plan, "credentials from a Secret ("+p.authSecret+")", p.authSecret != "")
		if p.imageNote != "" {
			plan.note(p.imageNote)
		}
		notApplicable(plan, "persistent storage", p.persistence != nil && *p.persistence || p.storage != "")
		notApplicable(plan, "failover", p.failover)
		if plan.Blueprint == BlueprintWeb && p.port == 0 {
			p.port = 8080
			p.def("port", "8080")
		}
		plan.Port = p.port
	}
	return nil
}

// fillAutoscaling fills the autoscaler's bounds from the intent or their
// defaults, for the blueprints that scale.
func (p *parser) fillAutoscaling(plan *Plan) {
	if p.autoscaling == nil {
		return
	}
	if plan.Blueprint == BlueprintWeb || plan.Blueprint == BlueprintWorker || plan.Blueprint == BlueprintImage {
		a := *p.autoscaling
		if a.Min == 0 {
			a.Min = max(plan.Replicas, 2)
			p.def("autoscaling", fmt.Sprintf("min %d", a.Min))
		}
		if a.Max == 0 {
			a.Max = max(a.Min*3, 5)
			p.def("autoscaling", fmt.Sprintf("max %d", a.Max))
		}
		if a.CPU == 0 {
			a.CPU = 80
			p.def("autoscaling", "target 80% CPU")
		}
		plan.Autoscaling = &a
		if plan.Replicas != 0 && (plan.Replicas < a.Min || plan.Replicas > a.Max) {
			plan.refuse(fmt.Sprintf("%d replicas with autoscaling between %d and %d: the count lies outside the bounds", plan.Replicas, a.Min, a.Max))
		}
	} else {
		notApplicable(plan, "autoscaling", true)
	}
}

// def records a default the plan took.
func (p *parser) def(key, value string) { p.fact(key, value, "(default)") }

// notApplicable notes something the intent said that the blueprint does
// not use.
func notApplicable(plan *Plan, what string, present bool) {
	if present {
		plan.refuse(fmt.Sprintf("%s does not apply to %s", what, describe(plan.Blueprint)))
	}
}

// refuse records a requirement of the intent the plan cannot honour;
// Parse declines the intent naming it.
func (p *Plan) refuse(s string) { p.refusals = append(p.refusals, s) }

func (p *parser) storageDefault(plan *Plan, def string) {
	plan.Storage = p.storage
	if plan.Storage == "" && plan.Persistence {
		plan.Storage = def
		p.fact("storage", def, "(default)")
	}
	if plan.Storage == "" {
		plan.Storage = def
	}
}

// defaultResources are modest requests with limits a few times larger;
// stated amounts replace both (Guaranteed QoS for what was asked).
func defaultResources(blueprint string) Resources {
	switch blueprint {
	case BlueprintPostgreSQL:
		return Resources{CPURequest: "250m", CPULimit: "1", MemoryRequest: "512Mi", MemoryLimit: "1Gi"}
	case BlueprintRedis, BlueprintRedisSentinel:
		return Resources{CPURequest: "100m", CPULimit: "500m", MemoryRequest: "256Mi", MemoryLimit: "512Mi"}
	}
	return Resources{CPURequest: "100m", CPULimit: "500m", MemoryRequest: "128Mi", MemoryLimit: "256Mi"}
}

func describe(blueprint string) string {
	switch blueprint {
	case BlueprintWeb:
		return "web service"
	case BlueprintCronJob:
		return "cron job"
	}
	return blueprint
}

func dedupe(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func quoteList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = strconv.Quote(w)
	}
	return strings.Join(q, ", ")
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// name sets the plan's name from the sentence, then the hints, then the
// last folder of the target path, and records where it came from.
func (p *parser) name(plan *Plan, h Hints) {
	base := path.Base(path.Clean(h.TargetPath))
	switch {
	case p.app != "":
		plan.App = appName(p.app)
	case h.App != "":
		plan.App = appName(h.App)
		p.fact("name", plan.App, "(hint)")
	case h.TargetPath != "" && base != "." && base != "/":
		plan.App = appName(base)
		p.fact("name", plan.App, "(target path "+h.TargetPath+")")
	}
}

// PathEnvironment returns the folder that follows the first of roots in
// target, wherever it stands: clusters/<env>/apps/x, or
// infra/clusters/<env>/apps/x when the repository sits below another folder.
func PathEnvironment(target string, roots ...string) string {
	parts := strings.Split(path.Clean(target), "/")
	for i := 0; i+1 < len(parts); i++ {
		for _, r := range roots {
			if parts[i] == r {
				return parts[i+1]
			}
		}
	}
	return ""
}

// envReplicasStated reports whether the intent gave a replica count for
// some environment ("3 replicas in production").
func (p *parser) envReplicasStated() bool {
	for _, o := range p.perEnv {
		if o.Replicas != 0 {
			return true
		}
	}
	return false
}
