package change

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseIntent(t *testing.T) {
	tests := []struct {
		intent  string
		known   []string
		want    string // the operations, as kind=value
		env     string
		unknown []string
	}{
		{intent: "bump the api image to 1.5.0", want: "image=1.5.0"},
		{intent: "use image ghcr.io/acme/api:2.0.0@sha256:" + strings.Repeat("a", 64), want: "image=ghcr.io/acme/api:2.0.0@sha256:" + strings.Repeat("a", 64)},
		{intent: "5 replicas in production", want: "replicas=5", env: "production"},
		{intent: "scale it to 4 replicas in prod", known: []string{"dev", "prod"}, want: "replicas=4", env: "prod"},
		{intent: "add an HPA to the api: between 2 and 6 replicas at 75% CPU", want: "autoscaling=2-6@75"},
		{intent: "add autoscaling with min 3 and max 9 replicas", want: "autoscaling=3-9@0"},
		{intent: "remove the HPA", want: "autoscaling-remove="},
		{intent: "take DATABASE_URL from the secret api-db", want: "env=DATABASE_URL<secret api-db/DATABASE_URL"},
		{intent: "read FLAGS from configmap app-flags key flags.json", want: "env=FLAGS<configmap app-flags/flags.json"},
		{intent: "set LOG_LEVEL to debug", want: "env=LOG_LEVEL=debug"},
		{intent: "remove the env var LEGACY_MODE", want: "env-remove=LEGACY_MODE"},
		{intent: "requests of 250m cpu and 512Mi memory", want: "resources=250m/512Mi//"},
		{intent: "set the memory limit to 1Gi and the cpu limit to 2", want: "resources=//2/1Gi"},
		{intent: "expose it at api.acme.io with TLS", want: "ingress=api.acme.io+tls"},
		{intent: "add a PodDisruptionBudget with min available 2", want: "pdb=2"},
		{intent: "allow traffic only from the namespace frontend", want: "networkpolicy=ns:frontend"},
		{intent: "add a network policy allowing traffic from pods labelled app=gateway", want: "networkpolicy=app=gateway"},
		{intent: "increase the storage to 50GB", want: "storage=50Gi"},
		{intent: "run it every day at 2:30 pm", want: "schedule=30 14 * * *"},
		{intent: `schedule it to "*/15 * * * *"`, want: "schedule=*/15 * * * *"},
		{intent: "upgrade the podinfo chart to 6.8.0", want: "chart-version=6.8.0"},
		{intent: "add a lifecycle rule that deletes objects after 90 days", want: "lifecycle=90"},
		{intent: "move objects to glacier after 30 days", want: "lifecycle=30>glacier"},
		{intent: "enable versioning", want: "versioning=on"},
		{intent: "suspend versioning", want: "versioning=off"},
		{intent: "tag it with team=payments and cost-center=cc-42", want: "tags=team=payments,cost-center=cc-42"},
		{intent: "move the bucket to eu-central-1", want: "variable=region=eu-central-1"},
		{intent: "add a sidecar running envoy", want: "", unknown: []string{"sidecar", "running", "envoy"}},
	}
	for _, tt := range tests {
		in := parseIntent(tt.intent, tt.known, []string{"api"})
		var got []string
		for _, o := range in.ops {
			got = append(got, string(o.kind)+"="+opValue(o))
		}
		if strings.Join(got, ";") != tt.want {
			t.Errorf("%q: ops %q, want %q", tt.intent, strings.Join(got, ";"), tt.want)
		}
		if in.env != tt.env {
			t.Errorf("%q: environment %q, want %q", tt.intent, in.env, tt.env)
		}
		if !reflect.DeepEqual(in.unknown, tt.unknown) {
			t.Errorf("%q: unknown words %q, want %q", tt.intent, in.unknown, tt.unknown)
		}
	}
}

// opValue writes what an operation carries, compactly.
func opValue(o op) string {
	switch o.kind {
	case opImage:
		if o.tag != "" {
			return o.tag
		}
		return o.image.String()
	case opReplicas, opPDB:
		return itoa(o.n)
	case opHPA:
		return itoa(o.min) + "-" + itoa(o.max) + "@" + itoa(o.cpu)
	case opEnvSet:
		if o.env.Secret != "" {
			return o.env.Name + "<secret " + o.env.Secret + "/" + o.env.Key
		}
		if o.env.ConfigMap != "" {
			return o.env.Name + "<configmap " + o.env.ConfigMap + "/" + o.env.Key
		}
		return o.env.Name + "=" + o.env.Value
	case opEnvRemove:
		return o.env.Name
	case opResources:
		return o.res.CPURequest + "/" + o.res.MemoryRequest + "/" + o.res.CPULimit + "/" + o.res.MemoryLimit
	case opIngress:
		if o.tls {
			return o.host + "+tls"
		}
		return o.host
	case opNetPol:
		var s []string
		for _, p := range o.peers {
			if p.Namespace != "" {
				s = append(s, "ns:"+p.Namespace)
			} else {
				s = append(s, p.Label+"="+p.Val)
			}
		}
		return strings.Join(s, ",")
	case opStorage:
		return o.size
	case opSchedule, opChartVersion:
		return o.value
	case opLifecycle:
		if o.class != "" {
			return itoa(o.n) + ">" + o.class
		}
		return itoa(o.n)
	case opVersioning:
		if o.off {
			return "off"
		}
		return "on"
	case opTags:
		var s []string
		for _, t := range o.tags {
			s = append(s, t[0]+"="+t[1])
		}
		return strings.Join(s, ",")
	case opVariable:
		return o.name + "=" + o.value
	}
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }
