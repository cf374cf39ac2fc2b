package change

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/internal/lazyre"
)

// opKind is one operation of the change catalogue.
type opKind string

// The catalogue.
const (
	opReplicas     opKind = "replicas"
	opImage        opKind = "image"
	opResources    opKind = "resources"
	opEnvSet       opKind = "env"
	opEnvRemove    opKind = "env-remove"
	opHPA          opKind = "autoscaling"
	opHPARemove    opKind = "autoscaling-remove"
	opIngress      opKind = "ingress"
	opPDB          opKind = "pdb"
	opNetPol       opKind = "networkpolicy"
	opStorage      opKind = "storage"
	opSchedule     opKind = "schedule"
	opChartVersion opKind = "chart-version"
	opLifecycle    opKind = "lifecycle"
	opVersioning   opKind = "versioning"
	opTags         opKind = "tags"
	opVariable     opKind = "variable"
)

// envVar is an environment variable to set: a literal value, or a key of
// a Secret or ConfigMap.
type envVar struct {
	Name, Value       string
	Secret, ConfigMap string
	Key               string
}

// peer is who a NetworkPolicy lets in: a namespace, or pods with a label.
type peer struct {
	Namespace  string
	Label, Val string
}

// op is one change the intent asks for.
type op struct {
	kind  opKind
	from  string // the words it came from
	n     int    // replicas, days, min available
	image planner.Image
	tag   string // a tag alone
	res   planner.Resources
	env   envVar
	min   int
	max   int
	cpu   int
	host  string
	tls   bool
	peers []peer
	size  string
	value string // schedule, chart version, variable value
	name  string // variable name
	off   bool   // versioning off
	tags  [][2]string
	class string // storage class a lifecycle rule moves objects to
}

// intent is what parse made of a sentence.
type intent struct {
	ops        []op
	env        string
	understood []planner.Fact
	unknown    []string
}

// parser reads the operations of a change sentence. Matched words are
// blanked in masked, so later rules see only what earlier ones left.
type opParser struct {
	orig   string
	masked []byte
	out    intent
	last   [2]int // the span find blanked last
}

const (
	qty   = `(\d+(?:\.\d+)?\s*(?:mi|gi|ki|ti|gb|mb|m|g|cores?|cpus?|vcpus?)?)\b`
	ref   = `([A-Za-z0-9][A-Za-z0-9._\-/:@]*[A-Za-z0-9])`
	name  = `([A-Za-z_][A-Za-z0-9_]*)`
	kname = `([a-z0-9][a-z0-9.\-]*[a-z0-9])`
	host  = `([a-z0-9\-]+(?:\.[a-z0-9\-]+)+)`
)

func rx(s string) *lazyre.RE { return lazyre.New(`(?i)\b` + s) }

var (
	reEnvName    = rx(`(?:in|for|on|to)\s+(?:the\s+)?(production|prod|staging|stage|dev|development|qa|test|testing|preview|sandbox)(?:\s+(?:overlay|environment|env|cluster))?\b`)
	reSecretEnv  = lazyre.New(`(?i)\b(?:take|read|get|load|source|set|add|inject|expose)?\s*(?:the\s+)?(?:env(?:ironment)?\s+var(?:iable)?\s+)?` + `([A-Z_][A-Z0-9_]*)` + `\s+(?:from|out\s+of)\s+(?:the\s+)?(?:key\s+([A-Za-z0-9_.\-]+)\s+(?:of|in)\s+(?:the\s+)?)?(secret|config\s?map)\s+` + kname + `(?:,?\s+(?:under\s+)?key\s+([A-Za-z0-9_.\-]+))?`)
	reEnvLit     = lazyre.New(`(?i)\b(?:set|add|put|define)\s+(?:an?\s+|the\s+)?(?:env(?:ironment)?\s+var(?:iable)?\s+)?` + `([A-Z_][A-Z0-9_]*)` + `\s*(?:=|to\s+|:\s*)("[^"]*"|'[^']*'|\S+)`)
	reEnvRemove  = lazyre.New(`(?i)\b(?:remove|drop|delete|unset)\s+(?:the\s+)?(?:env(?:ironment)?\s+var(?:iable)?\s+)?` + `([A-Z_][A-Z0-9_]*)\b`)
	reHPARemove  = rx(`(?:remove|drop|delete|disable|turn\s+off)\s+(?:the\s+)?(?:hpa|horizontal\s+pod\s+autoscaler|autoscal(?:ing|er))\b`)
	reHPA        = rx(`(?:hpa|horizontal\s+pod\s+autoscaler|autoscal(?:ing|er|e))\b`)
	reBetween    = rx(`(?:between|from)\s+(\d+)\s+(?:and|to)\s+(\d+)(?:\s+(?:replicas|pods|instances))?\b`)
	reMinMax     = rx(`min(?:imum)?(?:\s+of)?\s+(\d+)(?:\s+replicas)?,?\s+(?:and\s+)?max(?:imum)?(?:\s+of)?\s+(\d+)(?:\s+replicas)?\b`)
	reCPUTarget  = rx(`(?:at|target(?:ing)?|when\s+cpu\s+(?:is\s+)?(?:above|over))?\s*(\d+)\s*(?:%|percent)\s*(?:average\s+)?(?:cpu)?(?:\s+utili[sz]ation)?`)
	reReplicas   = rx(`(\d+)\s+(?:replicas|pods|instances|copies)\b`)
	reReplicas2  = rx(`(?:replicas?|replica\s+count|scale(?:\s+(?:it|the\s+\w+|\w+))?)\s+(?:to|=|of)\s+(\d+)(?:\s+(?:replicas|pods|instances))?\b`)
	reImageRef   = rx(`(?:image|tag|version)(?:\s+tag)?\s+(?:to\s+|=\s*|of\s+)?` + ref)
	reIngress    = rx(`(?:expose[sd]?|ingress|host(?:name)?|serve[sd]?|publish)\b(?:\s+(?:it|the\s+\w+|\w+))??(?:\s+(?:at|on|as|to|with\s+host|host))?\s+(?:https?://)?` + host)
	reTLS        = rx(`(?:with\s+)?(?:tls|https|a\s+certificate)\b`)
	rePDB        = rx(`(?:pdb|pod\s*disruption\s*budget|disruption\s+budget)\b`)
	reMinAvail   = rx(`(?:min(?:imum)?\s*available|minavailable)\s+(?:of\s+)?(\d+)\b`)
	reNetPol     = rx(`network\s*polic(?:y|ies)\b`)
	reAllow      = rx(`(?:that\s+)?allow(?:s|ing)?\s+(?:only\s+)?(?:ingress\s+|traffic\s+|connections\s+)?(?:to\s+(?:the\s+)?\w+\s+)?(?:only\s+)?`)
	reFromNS     = rx(`(?:from\s+)?(?:the\s+)?(?:namespace\s+` + kname + `|` + kname + `\s+namespace)\b`)
	reFromLabel  = rx(`(?:from\s+)?(?:pods\s+)?(?:labell?ed|with\s+(?:the\s+)?label)\s+([a-z0-9./\-]+)\s*[=:]\s*([a-z0-9.\-]+)`)
	reStorage    = rx(`(?:storage|volume|disk|persistence|pvc|persistent\s+volume)(?:\s+size)?\s+(?:to\s+|of\s+|=\s*)?(\d+)\s*(gi|gb|g|mi|mb|ti|tb)\b`)
	reStorage2   = rx(`(\d+)\s*(gi|gb|g|mi|mb|ti|tb)\s+(?:of\s+)?(?:storage|volume|disk)\b`)
	reCron       = lazyre.New(`(?i)\b(?:schedule|cron|run)\w*\s+(?:it\s+)?(?:to\s+|at\s+|on\s+|=\s*)?["']?((?:[0-9*/,\-]+\s+){4}[0-9*/,\-]+)["']?`)
	reDaily      = rx(`(?:run\s+(?:it\s+)?|schedule\s+(?:it\s+)?)?(?:every\s+day|daily|nightly)\s+at\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\b`)
	reEveryMin   = rx(`(?:run\s+(?:it\s+)?)?every\s+(\d+)\s+minutes\b`)
	reHourly     = rx(`(?:run\s+(?:it\s+)?)?(?:hourly|every\s+hour)\b`)
	reChartVer   = rx(`(?:upgrade|bump|update|move|set)\s+(?:the\s+)?(?:\w+\s+)?chart(?:\s+version)?\s+to\s+(?:version\s+)?([0-9][0-9A-Za-z.\-+*~^>=< ]*[0-9A-Za-z*])`)
	reLifeVerb   = rx(`(?:that\s+)?(?:deletes?|expires?|removes?)\s+(?:\w+\s+)?objects\b`)
	reLifecycle  = rx(`(?:lifecycle\s+rule|expire[sd]?|delete[sd]?\s+(?:\w+\s+)?objects|objects?\s+(?:are\s+)?(?:deleted|expire))\b`)
	reAfterDays  = rx(`after\s+(\d+)\s+days?\b`)
	reTransit    = rx(`(?:move[sd]?|transition(?:s|ed)?)\s+(?:them\s+|objects\s+)?to\s+(glacier(?:\s+ir|\s+instant\s+retrieval|\s+deep\s+archive)?|deep\s+archive|standard[\s_-]ia|infrequent\s+access|onezone[\s_-]ia|nearline|coldline|archive)\s+after\s+(\d+)\s+days?`)
	reVersionOn  = rx(`(?:enable|turn\s+on|switch\s+on|add)?\s*(?:object\s+)?versioning\b`)
	reVersionOff = rx(`(?:disable|turn\s+off|suspend|switch\s+off)\s+(?:object\s+)?versioning\b`)
	reTags       = rx(`(?:tag(?:s|ged)?|labell?ed)\s+(?:it\s+|them\s+|the\s+\w+\s+|every\s+\w+\s+)?(?:with\s+)?((?:[a-z][a-z0-9_.:/\-]*\s*[=:]\s*[a-z0-9_.:/@\-]+(?:\s*,\s*|\s+and\s+|\s+)?)+)`)
	reTagPair    = lazyre.New(`(?i)([a-z][a-z0-9_.:/\-]*)\s*[=:]\s*([a-z0-9_.:/@\-]+)`)
	reCPUReq     = rx(`(?:cpu|memory|mem)\s+(request|limit)s?\s+(?:to\s+|of\s+|=\s*|at\s+)?` + qty)
	reReqCPU     = rx(`(request|limit)s?\s+(?:to\s+|of\s+|=\s*|at\s+)?` + qty + `\s*(?:of\s+)?(cpu|memory|mem|ram)\b`)
	reLimitCPU   = rx(`(request|limit)s?\s+(?:the\s+)?(cpu|memory|mem|ram)\s+(?:to\s+|of\s+|=\s*|at\s+)?` + qty)
	reQtyCPU     = rx(qty + `\s*(?:of\s+)?(cpu|memory|mem|ram)(?:\s+(request|limit))?s?\b`)
	reRegion     = rx(`((?:us|eu|ap|sa|ca|me|af|il|mx)-(?:east|west|north|south|central|northeast|southeast|northwest|southwest)-\d|(?:us|europe|asia|australia|northamerica|southamerica)-[a-z]+\d)\b`)
)

// fillers are words that carry no change of their own (articles, the
// verbs that introduce an operation, words for the app): they are read
// without a mention, as the planner reads its stop words, so that "Not
// used" names only what was really left out.
var fillers = setOf(`a an the to of for in on at with and or by from into it its it's is are be
please also now then so that this these those them their as
set change bump update raise lower increase decrease make use add give put move upgrade take read get
new existing current app application service deployment chart release module bucket workload pod pods container
only all every each should must would needs need want i we our my let lets let's just
run runs keep have has`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// parseIntent reads the operations of sentence s. known lists the
// environments the app has (overlays, values files); names are words that
// name the app (folder, chart, component) and count as filler.
func parseIntent(s string, known []string, names []string) intent {
	p := &opParser{orig: s, masked: []byte(s)}
	p.rules(known)
	for _, w := range strings.Fields(string(p.masked)) {
		w = strings.Trim(w, `.,;:!?"'()[]{}`)
		lw := strings.ToLower(w)
		if w == "" || strings.Trim(w, "\x00") == "" {
			continue
		}
		switch {
		case fillers[lw] || contains(names, lw):
		default:
			p.out.unknown = append(p.out.unknown, w)
		}
	}
	return p.out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// find returns the first match of r in what is left, and blanks it.
func (p *opParser) find(r *lazyre.RE) []string {
	loc := r.FindSubmatchIndex(p.masked)
	if loc == nil {
		return nil
	}
	out := make([]string, len(loc)/2)
	for i := range out {
		if loc[2*i] >= 0 {
			out[i] = p.orig[loc[2*i]:loc[2*i+1]]
		}
	}
	for i := loc[0]; i < loc[1]; i++ {
		if p.masked[i] != ' ' {
			p.masked[i] = 0
		}
	}
	p.last = [2]int{loc[0], loc[1]}
	return out
}

func (p *opParser) add(o op, key, value string) {
	o.from = strings.TrimSpace(o.from)
	p.out.ops = append(p.out.ops, o)
	p.out.understood = append(p.out.understood, planner.Fact{Key: key, Value: value, From: o.from})
}

func (p *opParser) rules(known []string) {
	envs := append([]string{}, known...)
	if m := p.find(reEnvName); m != nil {
		p.out.env = envFor(strings.ToLower(m[1]), known)
		p.out.understood = append(p.out.understood, planner.Fact{Key: "environment", Value: p.out.env, From: m[0]})
	} else {
		for _, e := range envs {
			if m := p.find(rx(`(?:in|for|on)\s+(?:the\s+)?(` + regexp.QuoteMeta(e) + `)(?:\s+(?:overlay|environment|env|cluster))?\b`)); m != nil {
				p.out.env = e
				p.out.understood = append(p.out.understood, planner.Fact{Key: "environment", Value: e, From: m[0]})
				break
			}
		}
	}
	// Terraform first: "delete objects after 90 days" is not an env var.
	for m := p.find(reTransit); m != nil; m = p.find(reTransit) {
		p.add(op{kind: opLifecycle, from: m[0], n: atoi(m[2]), class: strings.ToLower(m[1])}, "lifecycle", fmt.Sprintf("move to %s after %s days", m[1], m[2]))
	}
	if m := p.find(reLifecycle); m != nil {
		o := op{kind: opLifecycle, from: m[0]}
		if v := p.find(reLifeVerb); v != nil {
			o.from += " " + v[0]
		}
		if d := p.find(reAfterDays); d != nil {
			o.n, o.from = atoi(d[1]), o.from+" "+d[0]
		}
		if o.n > 0 {
			p.add(o, "lifecycle", fmt.Sprintf("delete objects after %d days", o.n))
		} else {
			p.undo(m[0])
		}
	}
	if m := p.find(reVersionOff); m != nil {
		p.add(op{kind: opVersioning, from: m[0], off: true}, "versioning", "off")
	} else if m := p.find(reVersionOn); m != nil {
		p.add(op{kind: opVersioning, from: m[0]}, "versioning", "on")
	}
	m := p.find(reNetPol)
	if al := p.find(reAllow); al != nil {
		m = []string{strings.TrimSpace(strings.Join(append(m, al[0]), " "))}
	}
	if m != nil {
		o := op{kind: opNetPol, from: m[0]}
		for {
			if a := p.find(reFromLabel); a != nil {
				o.peers = append(o.peers, peer{Label: a[1], Val: a[2]})
				o.from += " " + a[0]
				continue
			}
			if a := p.find(reFromNS); a != nil {
				o.peers = append(o.peers, peer{Namespace: cmpOr(a[1], a[2])})
				o.from += " " + a[0]
				continue
			}
			break
		}
		var vals []string
		for _, pe := range o.peers {
			if pe.Namespace != "" {
				vals = append(vals, "namespace "+pe.Namespace)
			} else {
				vals = append(vals, "pods "+pe.Label+"="+pe.Val)
			}
		}
		if len(o.peers) == 0 {
			p.undo(m[0])
		} else {
			p.add(o, "networkpolicy", "from "+strings.Join(vals, ", "))
		}
	}
	if m := p.find(reTags); m != nil {
		o := op{kind: opTags, from: m[0]}
		var vals []string
		for _, t := range reTagPair.FindAllStringSubmatch(m[1], -1) {
			o.tags = append(o.tags, [2]string{t[1], t[2]})
			vals = append(vals, t[1]+"="+t[2])
		}
		p.add(o, "tags", strings.Join(vals, ","))
	}
	for m := p.find(reSecretEnv); m != nil; m = p.find(reSecretEnv) {
		e := envVar{Name: m[1], Key: cmpOr(m[2], m[5], m[1])}
		src := "secret"
		if strings.HasPrefix(strings.ToLower(m[3]), "config") {
			e.ConfigMap, src = strings.ToLower(m[4]), "configmap"
		} else {
			e.Secret = strings.ToLower(m[4])
		}
		p.add(op{kind: opEnvSet, from: m[0], env: e}, "env", fmt.Sprintf("%s from %s %s key %s", e.Name, src, cmpOr(e.Secret, e.ConfigMap), e.Key))
	}
	if m := p.find(reHPARemove); m != nil {
		p.add(op{kind: opHPARemove, from: m[0]}, "autoscaling", "off")
	}
	if m := p.find(reHPA); m != nil {
		o := op{kind: opHPA, from: m[0]}
		if b := p.find(reBetween); b != nil {
			o.min, o.max, o.from = atoi(b[1]), atoi(b[2]), o.from+" "+b[0]
		} else if b := p.find(reMinMax); b != nil {
			o.min, o.max, o.from = atoi(b[1]), atoi(b[2]), o.from+" "+b[0]
		}
		if c := p.find(reCPUTarget); c != nil {
			o.cpu, o.from = atoi(c[1]), o.from+" "+c[0]
		}
		p.add(o, "autoscaling", fmt.Sprintf("%d-%d replicas at %d%% CPU", o.min, o.max, o.cpu))
	}
	for m := p.find(reEnvRemove); m != nil; m = p.find(reEnvRemove) {
		if strings.ToUpper(m[1]) != m[1] {
			p.undo(m[0])
			break
		}
		p.add(op{kind: opEnvRemove, from: m[0], env: envVar{Name: m[1]}}, "env", m[1]+" removed")
	}
	for m := p.find(reEnvLit); m != nil; m = p.find(reEnvLit) {
		if strings.ToUpper(m[1]) != m[1] {
			p.undo(m[0])
			break
		}
		v := strings.Trim(m[2], `"'`)
		p.add(op{kind: opEnvSet, from: m[0], env: envVar{Name: m[1], Value: v}}, "env", m[1]+"="+v)
	}
	if m := p.find(reChartVer); m != nil {
		p.add(op{kind: opChartVersion, from: m[0], value: strings.TrimSpace(m[1])}, "chart-version", strings.TrimSpace(m[1]))
	}
	if m := p.find(reImageRef); m != nil {
		o := op{kind: opImage, from: m[0]}
		v := m[1]
		if strings.ContainsAny(v, "/:@") {
			img, ok := parseImage(v)
			if !ok {
				p.undo(m[0])
			} else {
				o.image = img
				p.add(o, "image", img.String())
			}
		} else {
			o.tag = v
			p.add(o, "image", "tag "+v)
		}
	}
	if m := p.find(rePDB); m != nil {
		o := op{kind: opPDB, from: m[0]}
		if a := p.find(reMinAvail); a != nil {
			o.n, o.from = atoi(a[1]), o.from+" "+a[0]
		}
		p.add(o, "pdb", fmt.Sprintf("minAvailable %d", o.n))
	}
	if m := p.find(reIngress); m != nil {
		o := op{kind: opIngress, from: m[0], host: strings.ToLower(m[1])}
		if t := p.find(reTLS); t != nil {
			o.tls, o.from = true, o.from+" "+t[0]
		}
		p.add(o, "host", o.host+map[bool]string{true: " with TLS", false: ""}[o.tls])
	}
	for _, r := range []*lazyre.RE{reStorage, reStorage2} {
		if m := p.find(r); m != nil {
			s := size(m[1], strings.ToLower(m[2]))
			p.add(op{kind: opStorage, from: m[0], size: s}, "storage", s)
			break
		}
	}
	if m := p.find(reCron); m != nil {
		p.add(op{kind: opSchedule, from: m[0], value: strings.Join(strings.Fields(m[1]), " ")}, "schedule", strings.Join(strings.Fields(m[1]), " "))
	} else if m := p.find(reDaily); m != nil {
		h := atoi(m[1])
		switch strings.ToLower(m[3]) {
		case "pm":
			if h < 12 {
				h += 12
			}
		case "am":
			if h == 12 {
				h = 0
			}
		}
		v := fmt.Sprintf("%d %d * * *", atoi(m[2]), h)
		p.add(op{kind: opSchedule, from: m[0], value: v}, "schedule", v)
	} else if m := p.find(reEveryMin); m != nil {
		v := fmt.Sprintf("*/%s * * * *", m[1])
		p.add(op{kind: opSchedule, from: m[0], value: v}, "schedule", v)
	} else if m := p.find(reHourly); m != nil {
		p.add(op{kind: opSchedule, from: m[0], value: "0 * * * *"}, "schedule", "0 * * * *")
	}
	p.resources()
	for _, r := range []*lazyre.RE{reReplicas2, reReplicas} {
		if m := p.find(r); m != nil {
			p.add(op{kind: opReplicas, from: m[0], n: atoi(m[1])}, "replicas", m[1])
			break
		}
	}
	if m := p.find(reRegion); m != nil {
		p.add(op{kind: opVariable, from: m[0], name: "region", value: strings.ToLower(m[1])}, "region", strings.ToLower(m[1]))
	}
}

// resources reads requests and limits in any of the usual word orders.
func (p *opParser) resources() {
	var r planner.Resources
	var from []string
	set := func(kind, res, q string) bool {
		kind, res = strings.ToLower(kind), strings.ToLower(res)
		if res == "mem" || res == "ram" {
			res = "memory"
		}
		var v string
		if res == "cpu" {
			v = cpuQty(q)
		} else {
			v = memQty(q)
		}
		if v == "" {
			return false
		}
		switch {
		case res == "cpu" && kind == "limit":
			r.CPULimit = v
		case res == "cpu":
			r.CPURequest = v
		case kind == "limit":
			r.MemoryLimit = v
		default:
			r.MemoryRequest = v
		}
		return true
	}
	for {
		if m := p.find(reCPUReq); m != nil {
			res := strings.Fields(strings.ToLower(m[0]))[0]
			if set(m[1], res, m[2]) {
				from = append(from, m[0])
			}
			continue
		}
		if m := p.find(reLimitCPU); m != nil {
			if set(m[1], m[2], m[3]) {
				from = append(from, m[0])
			}
			continue
		}
		if m := p.find(reReqCPU); m != nil {
			if set(m[1], m[3], m[2]) {
				from = append(from, m[0])
			}
			continue
		}
		break
	}
	// "requests of 250m cpu and 512Mi memory": the kind applies to both.
	last := "request"
	if len(from) > 0 && strings.Contains(strings.ToLower(from[len(from)-1]), "limit") {
		last = "limit"
	}
	for m := p.find(reQtyCPU); m != nil; m = p.find(reQtyCPU) {
		kind := cmpOr(m[3], last)
		if set(kind, m[2], m[1]) {
			from = append(from, m[0])
		}
	}
	if len(from) == 0 {
		return
	}
	var vals []string
	for _, q := range []struct{ k, v string }{{"cpu request", r.CPURequest}, {"memory request", r.MemoryRequest}, {"cpu limit", r.CPULimit}, {"memory limit", r.MemoryLimit}} {
		if q.v != "" {
			vals = append(vals, q.k+" "+q.v)
		}
	}
	p.add(op{kind: opResources, from: strings.Join(from, " "), res: r}, "resources", strings.Join(vals, ", "))
}

// undo gives back the words of the last match, when a rule matched but
// could not use them.
func (p *opParser) undo(string) {
	copy(p.masked[p.last[0]:p.last[1]], p.orig[p.last[0]:p.last[1]])
}

func cmpOr(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

// envFor maps a word naming an environment to the app's own name for it
// ("prod" to the overlay prod, or to production).
func envFor(word string, known []string) string {
	if contains(known, word) {
		return word
	}
	n := planner.NormalEnvironment(word)
	for _, k := range known {
		if planner.NormalEnvironment(k) == n {
			return k
		}
	}
	return n
}

// size turns "50" "gb" into 50Gi: people who say GB mean the binary unit
// volumes are sized in.
func size(n, unit string) string {
	switch unit[0] {
	case 'm':
		return n + "Mi"
	case 't':
		return n + "Ti"
	}
	return n + "Gi"
}

var qtyRE = lazyre.New(`(?i)^(\d+(?:\.\d+)?)\s*([a-z]*)$`)

// cpuQty normalises a CPU amount: 500m, 0.5 → 500m, 2 cores → 2.
func cpuQty(q string) string {
	m := qtyRE.FindStringSubmatch(strings.TrimSpace(q))
	if m == nil {
		return ""
	}
	u := strings.ToLower(m[2])
	switch {
	case u == "m":
		return m[1] + "m"
	case u == "" || strings.HasPrefix(u, "core") || strings.HasPrefix(u, "cpu") || strings.HasPrefix(u, "vcpu"):
		f, err := strconv.ParseFloat(m[1], 64)
		if err != nil || f <= 0 {
			return ""
		}
		if f != float64(int(f)) {
			return strconv.Itoa(int(f*1000+0.5)) + "m"
		}
		return strconv.Itoa(int(f))
	}
	return ""
}

// memQty normalises a memory amount: 512Mi, 1 GB → 1Gi.
func memQty(q string) string {
	m := qtyRE.FindStringSubmatch(strings.TrimSpace(q))
	if m == nil || strings.Contains(m[1], ".") {
		return ""
	}
	switch strings.ToLower(m[2]) {
	case "mi", "mb", "m":
		return m[1] + "Mi"
	case "gi", "gb", "g":
		return m[1] + "Gi"
	case "ki":
		return m[1] + "Ki"
	case "ti":
		return m[1] + "Ti"
	}
	return ""
}

var imageRE = lazyre.New(`^([a-z0-9]+(?:[._\-/][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._\-][a-z0-9]+)*)*)(?::([A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$`)

// parseImage reads repository[:tag][@digest].
func parseImage(s string) (planner.Image, bool) {
	m := imageRE.FindStringSubmatch(s)
	if m == nil || (m[2] == "" && m[3] == "") {
		return planner.Image{}, false
	}
	return planner.Image{Repository: m[1], Tag: m[2], Digest: m[3]}, true
}
