package review

import (
	"fmt"
	"math"
	"sort"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/validators"
)

// RuleBudget is the rule of a budget the change takes the estimate over.
const RuleBudget = "review/budget"

// Capacity is what one app requests in one environment.
type Capacity struct {
	// CPU is the CPU requested by all replicas, in cores.
	CPU float64 `json:"cpu"`
	// Memory is the memory requested by all replicas, in GiB.
	Memory float64 `json:"memoryGiB"`
	// Storage is the persistent storage requested (claims and StatefulSet
	// claim templates times replicas), in GiB.
	Storage float64 `json:"storageGiB"`
	// Replicas is the number of pods its workloads run.
	Replicas int `json:"replicas"`
	// MaxReplicas is the number of pods when every HorizontalPodAutoscaler
	// is at its maximum (Replicas for a workload without one).
	MaxReplicas int `json:"maxReplicas"`
	// Monthly is the estimated monthly cost at Replicas.
	Monthly float64 `json:"monthly"`
	// MonthlyMax is the estimated monthly cost at MaxReplicas.
	MonthlyMax float64 `json:"monthlyMax"`
}

// CapacityChange is the change of one app's capacity in one environment.
type CapacityChange struct {
	Environment string   `json:"environment"`
	App         string   `json:"app"`
	Before      Capacity `json:"before"`
	After       Capacity `json:"after"`
}

type appKey struct{ env, app string }

// capacity sums what each app requests, per environment, on one side.
func capacity(s *side, prices genconfig.Prices) map[appKey]*Capacity {
	out := map[appKey]*Capacity{}
	at := func(k appKey) *Capacity {
		c := out[k]
		if c == nil {
			c = &Capacity{}
			out[k] = c
		}
		return c
	}
	for uk, objs := range s.units {
		env := environment(uk.path)
		hpaMax := map[string]int{} // by namespace/Kind/name of the target
		for _, o := range objs {
			if o.kind != "HorizontalPodAutoscaler" {
				continue
			}
			ref := asMap(dig(o.body, "spec", "scaleTargetRef"))
			if n, ok := dig(o.body, "spec", "maxReplicas").(int); ok {
				hpaMax[namespaceOf(o)+"/"+str(ref, "kind")+"/"+str(ref, "name")] = n
			}
		}
		for _, o := range objs {
			var replicas int
			switch o.kind {
			case "Deployment", "StatefulSet", "ReplicaSet":
				replicas = 1
				if r, ok := dig(o.body, "spec", "replicas").(int); ok {
					replicas = r
				}
			case "DaemonSet", "Pod":
				replicas = 1 // per node for a DaemonSet: counted once
			case "PersistentVolumeClaim":
				c := at(appKey{env, appOf(o)})
				c.Storage += gib(str(asMap(dig(o.body, "spec", "resources", "requests")), "storage"))
				continue
			default:
				continue
			}
			max := replicas
			if n, ok := hpaMax[namespaceOf(o)+"/"+o.kind+"/"+str(asMap(o.body["metadata"]), "name")]; ok && n > max {
				max = n
			}
			var cpu, mem float64
			spec, _ := podSpec(o.body)
			items, _ := spec["containers"].([]any)
			for _, it := range items {
				req := asMap(dig(asMap(it), "resources", "requests"))
				cpu += cores(str(req, "cpu"))
				mem += gib(str(req, "memory"))
			}
			var storage float64
			claims, _ := dig(o.body, "spec", "volumeClaimTemplates").([]any)
			for _, cl := range claims {
				storage += gib(str(asMap(dig(asMap(cl), "spec", "resources", "requests")), "storage"))
			}
			c := at(appKey{env, appOf(o)})
			c.Replicas += replicas
			c.MaxReplicas += max
			c.CPU += cpu * float64(replicas)
			c.Memory += mem * float64(replicas)
			c.Storage += storage * float64(replicas)
			c.Monthly += float64(replicas) * (cpu*prices.CPU + mem*prices.Memory)
			c.MonthlyMax += float64(max)*(cpu*prices.CPU+mem*prices.Memory) + storage*float64(max-replicas)*prices.Storage
		}
	}
	for _, c := range out {
		c.Monthly += c.Storage * prices.Storage
		c.MonthlyMax += c.Storage * prices.Storage
		c.CPU, c.Memory, c.Storage = round(c.CPU, 3), round(c.Memory, 3), round(c.Storage, 3)
		c.Monthly, c.MonthlyMax = round(c.Monthly, 2), round(c.MonthlyMax, 2)
	}
	return out
}

// capacityChanges lists the apps whose capacity differs, by environment
// and app.
func capacityChanges(base, head *side, prices genconfig.Prices) []CapacityChange {
	b, h := capacity(base, prices), capacity(head, prices)
	keys := map[appKey]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range h {
		keys[k] = true
	}
	out := []CapacityChange{}
	for k := range keys {
		var bc, hc Capacity
		if c := b[k]; c != nil {
			bc = *c
		}
		if c := h[k]; c != nil {
			hc = *c
		}
		if bc != hc {
			out = append(out, CapacityChange{Environment: k.env, App: k.app, Before: bc, After: hc})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Environment != out[j].Environment {
			return out[i].Environment < out[j].Environment
		}
		return out[i].App < out[j].App
	})
	return out
}

// overBudget returns a finding for each budget the head's estimate
// exceeds where the change raises it: a budget already exceeded at the
// base is not this change's finding unless the change adds to it.
func overBudget(base, head *side, prices genconfig.Prices, budgets []genconfig.Budget) []validators.Finding {
	out := []validators.Finding{}
	if len(budgets) == 0 {
		return out
	}
	b, h := capacity(base, prices), capacity(head, prices)
	total := func(m map[appKey]*Capacity, env, app string) float64 {
		var sum float64
		for k, c := range m {
			if k.env == env && (app == "" || k.app == app) {
				sum += c.Monthly
			}
		}
		return round(sum, 2)
	}
	envs := map[string]bool{}
	for k := range h {
		envs[k.env] = true
	}
	sorted := make([]string, 0, len(envs))
	for e := range envs {
		sorted = append(sorted, e)
	}
	sort.Strings(sorted)
	for _, bud := range budgets {
		for _, env := range sorted {
			if bud.Environment != "" && bud.Environment != env {
				continue
			}
			after, before := total(h, env, bud.App), total(b, env, bud.App)
			if after <= bud.Monthly || after <= before {
				continue
			}
			what := env
			if bud.App != "" {
				what = bud.App + " in " + env
			}
			out = append(out, validators.Finding{File: head.configFile, Line: bud.Line, Rule: RuleBudget, Severity: validators.SeverityError,
				Message: fmt.Sprintf("the estimated monthly cost of %s goes from %s%.2f to %s%.2f, over its budget of %s%.2f",
					what, prices.Currency, before, prices.Currency, after, prices.Currency, bud.Monthly)})
		}
	}
	return out
}

func namespaceOf(o *object) string { return str(asMap(o.body["metadata"]), "namespace") }

// appOf names the app an object belongs to: its app.kubernetes.io/name
// or app label, else its pod template's, else its name.
func appOf(o *object) string {
	for _, labels := range []map[string]any{
		asMap(dig(o.body, "metadata", "labels")),
		asMap(dig(o.body, "spec", "template", "metadata", "labels")),
	} {
		for _, k := range []string{"app.kubernetes.io/name", "app"} {
			if v := str(labels, k); v != "" {
				return v
			}
		}
	}
	return str(asMap(o.body["metadata"]), "name")
}

func cores(q string) float64 {
	if q == "" {
		return 0
	}
	v, err := resource.ParseQuantity(q)
	if err != nil {
		return 0
	}
	return v.AsApproximateFloat64()
}

func gib(q string) float64 {
	if q == "" {
		return 0
	}
	v, err := resource.ParseQuantity(q)
	if err != nil {
		return 0
	}
	return v.AsApproximateFloat64() / (1 << 30)
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
