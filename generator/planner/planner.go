// Package planner is aiden's built-in offline planner: a deterministic
// parser that reads one sentence of infrastructure intent into a Plan, and
// a catalog of blueprints that turn a Plan into a self-contained Helm chart.
//
// No model is involved. The parser understands a fixed vocabulary
// (components, replicas, storage, ports, hosts, schedules, ...) and says
// what it understood (Plan.Understood) and what it did not use
// (Plan.Ignored). A sentence asking for something outside the catalog is
// an error wrapping ErrNotCovered; the planner never guesses.
package planner

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stackgen/aiden/catalog"
)

// ErrNotCovered is wrapped by Parse when the intent asks for something the
// catalog does not cover (or nothing it recognises at all).
var ErrNotCovered = errors.New("not covered by the built-in planner")

// ErrIncomplete is wrapped by Parse when the intent names a component the
// catalog covers but leaves out something that cannot be defaulted without
// inventing it, such as the image of a web service.
var ErrIncomplete = errors.New("intent is incomplete")

// Blueprint names, as found in Plan.Blueprint.
const (
	BlueprintRedis         = "redis"
	BlueprintRedisSentinel = "redis-sentinel"
	BlueprintPostgreSQL    = "postgresql"
	BlueprintWeb           = "web"
	BlueprintWorker        = "worker"
	BlueprintCronJob       = "cronjob"
	BlueprintImage         = "image"
	// BlueprintChart installs a catalogue entry's upstream chart.
	BlueprintChart = "chart"
	// BlueprintJob runs an image once, to completion (a Job).
	BlueprintJob = "job"
	// BlueprintDaemonSet runs an image on every node (a DaemonSet).
	BlueprintDaemonSet = "daemonset"
	// BlueprintStatefulSet runs an image with a volume per pod (a
	// StatefulSet); a web one (with a port) gets a Service and ingress.
	BlueprintStatefulSet = "statefulset"
)

// EnvRef is an environment variable, or a set of them, taken from a
// Secret or ConfigMap the repository already has (or that an
// ExternalSecret or SealedSecret makes).
type EnvRef struct {
	// Name is the variable; empty for every key of the object (envFrom).
	Name string
	// Kind is "secret", "configmap", or "external": a key of a secret
	// store (Ref is its path there) that an ExternalSecret copies into
	// the Secret <app>-external.
	Kind string
	// Ref is the object's name, Key the key in it (the variable's name
	// unless the intent names another).
	Ref, Key string
}

// ExternalSecretStore is the External Secrets Operator store variables
// are read from.
type ExternalSecretStore struct {
	// Store is the SecretStore or ClusterSecretStore's name; StoreKind
	// says which.
	Store, StoreKind string
}

// Canary is a Flagger canary rollout: traffic moves to a new version
// StepWeight percent at a time, up to MaxWeight.
type Canary struct {
	StepWeight, MaxWeight int
}

// NetworkPolicy admits traffic to the app from these namespaces and pods
// only.
type NetworkPolicy struct {
	Namespaces []string
	PodLabels  map[string]string
}

// Images the catalog components are pinned to: the newest patch release of
// a supported minor line, which carries the security fixes (7.4.6 fixes
// CVE-2025-49844 in Redis' Lua engine).
const (
	RedisImage      = "redis"
	RedisTag        = "7.4.6"
	PostgresImage   = "postgres"
	PostgresTag     = "17.6"
	redisAppVersion = RedisTag
)

// Hints are what the request says besides the sentence.
type Hints struct {
	// Environment is the target environment (production, staging, dev).
	Environment string
	// TargetPath is where the chart goes in the repository, for example
	// clusters/production/apps/redis; its last element names the app and a
	// clusters/<env>/ prefix names the environment.
	TargetPath string
	// App is the chart and app name.
	App string
	// Format is the output format asked for ("helm", "kustomize",
	// "terraform"); it tells which catalog the intent is read against.
	Format string
	// Environments are the environments the repository has (the folders
	// under clusters/, else those its configuration names; see
	// WorkspaceEnvironments). Kustomize output gets an overlay for each
	// when the intent names none.
	Environments []string
	// Resources are the container requests and limits the repository
	// configures per environment ("default" for the others; see
	// ConfigResources). Kustomize overlays patch them in where the
	// intent states none.
	Resources map[string]Resources
	// Components are the repository's Kustomize Components (see
	// WorkspaceComponents). A Kustomize overlay lists those the
	// repository's overlays for its environment list, and those the intent
	// names ("with monitoring"); TargetPath must be set to place them.
	Components []Component
	// Flux says the repository deploys with Flux (it holds Flux objects):
	// catalogue charts become a HelmRelease and its source rather than a
	// wrapper chart. See WorkspaceGitOps.
	Flux bool
	// ArgoCD says the repository deploys with Argo CD (it holds
	// argoproj.io objects): without Flux, catalogue charts become an Argo
	// CD Application.
	ArgoCD bool
}

// Fact is one thing understood from the intent.
type Fact struct {
	// Key is what the fact is about: component, replicas, storage,
	// environment, image, port, host, tls, schedule, autoscaling,
	// resources, team, failover, persistence, name, note, and
	// kustomize-component (a Kustomize Component an overlay lists).
	Key string
	// Value is the normalised value ("3", "50Gi", "0 2 * * *").
	Value string
	// From is the words of the intent it came from, or "(hint)", or
	// "(default)" when the planner chose it.
	From string
}

// String formats a fact as key=value (from "words").
func (f Fact) String() string {
	return fmt.Sprintf("%s=%s (from %q)", f.Key, f.Value, f.From)
}

// Image is a container image reference.
type Image struct {
	Repository string // registry and path, e.g. ghcr.io/acme/api
	Tag        string // empty when none was named
	Digest     string // sha256:..., when named
}

// String returns the reference as written in a pod spec.
func (i Image) String() string {
	s := i.Repository
	if i.Tag != "" {
		s += ":" + i.Tag
	}
	if i.Digest != "" {
		s += "@" + i.Digest
	}
	return s
}

// Resources are the requests and limits of the main container, as
// Kubernetes quantities.
type Resources struct {
	CPURequest, CPULimit       string
	MemoryRequest, MemoryLimit string
}

// Ingress exposes a web workload at a host.
type Ingress struct {
	Host string
	TLS  bool
}

// Autoscaling bounds a HorizontalPodAutoscaler.
type Autoscaling struct {
	Min, Max int
	// CPU is the target average CPU utilisation in percent.
	CPU int
}

// Plan is what the planner understood from an intent, with every parameter
// the blueprint needs.
type Plan struct {
	// Blueprint is the catalog entry: redis, redis-sentinel, postgresql,
	// web, worker, cronjob or image.
	Blueprint string
	// App is the chart and app name (DNS-1123 label).
	App string
	// Environment comes from the intent ("in production"), the hints, or
	// the target path clusters/<env>/...; empty when none says.
	Environment string
	// Understood lists what was read from the intent, in order.
	Understood []Fact
	// Ignored lists the words of the intent that were not used, in order;
	// stop words and command verbs (a, the, with, deploy, run, ...) are
	// left out.
	Ignored []string
	// Notes are decisions a reader should know about (defaults chosen,
	// requests adjusted, what the chart does not do).
	Notes []string

	Image    Image
	Replicas int
	// Port is the container port of web and image workloads (0: none).
	Port int
	// Persistence asks for a PersistentVolumeClaim of Storage.
	Persistence bool
	Storage     string
	// MountPath is where a StatefulSet's volume is mounted.
	MountPath   string
	Failover    bool
	Resources   Resources
	Ingress     *Ingress
	Autoscaling *Autoscaling
	// Schedule is a five-field cron expression; TimeZone an IANA zone.
	Schedule string
	TimeZone string
	Team     string

	// Environments are the environments Kustomize output has an overlay
	// for: those named in the intent, else Hints.Environments, else the
	// plan's Environment, else staging and production.
	Environments []string
	// PerEnvironment holds what the intent asked for one environment only
	// ("3 replicas in production and 1 in staging"), by environment.
	PerEnvironment map[string]Override
	// Components are the Kustomize Components each environment's overlay
	// lists, by environment, as paths relative to the overlay folder
	// (overlays/<env> of the target).
	Components map[string][]string
	// Terraform holds the parameters of a Terraform blueprint.
	Terraform *Terraform

	// Chart is the catalogue entry of a "chart" blueprint: well-known
	// software installed from its upstream chart.
	Chart *catalog.Chart
	// ChartValues are the values that carry the plan into Chart, checked
	// against its values schema.
	ChartValues map[string]any
	// AuthSecret is the existing Secret credentials come from.
	AuthSecret string
	// Version is the software version the intent asked for ("16", "7.2").
	Version string
	// Env are variables from Secrets and ConfigMaps; EnvFrom whole
	// Secrets and ConfigMaps.
	Env, EnvFrom []EnvRef
	// Settings become a ConfigMap the container reads as variables.
	Settings map[string]string
	// NetworkPolicy, when set, limits who may reach the app.
	NetworkPolicy *NetworkPolicy
	// ExternalSecret, when set, is the secret store the "external"
	// variables come from.
	ExternalSecret *ExternalSecretStore
	// Canary, when set, rolls new versions out with Flagger.
	Canary *Canary

	// refusals are requirements of the intent the plan cannot honour.
	refusals []string
	// flux and argo are Hints.Flux and Hints.ArgoCD.
	flux, argo bool
}

// Summary says in one line what the plan is.
func (p *Plan) Summary() string {
	if p.Terraform != nil {
		return p.Terraform.summary(p)
	}
	var parts []string
	switch p.Blueprint {
	case BlueprintRedisSentinel:
		parts = append(parts, "Redis with Sentinel failover")
	case BlueprintRedis:
		parts = append(parts, "Redis")
	case BlueprintPostgreSQL:
		parts = append(parts, "PostgreSQL (single primary)")
	case BlueprintWeb:
		parts = append(parts, "Web service "+p.Image.String())
	case BlueprintWorker:
		parts = append(parts, "Worker "+p.Image.String())
	case BlueprintCronJob:
		parts = append(parts, "Cron job "+p.Image.String())
	case BlueprintJob:
		parts = append(parts, "Job "+p.Image.String())
	case BlueprintDaemonSet:
		parts = append(parts, "DaemonSet "+p.Image.String()+" on every node")
	case BlueprintStatefulSet:
		parts = append(parts, "StatefulSet "+p.Image.String())
	case BlueprintChart:
		parts = append(parts, fmt.Sprintf("%s (upstream chart %s %s, %s %s)", p.Chart.Title, p.Chart.Chart, p.Chart.Version, p.Chart.Title, p.Chart.AppVersion))
	default:
		parts = append(parts, p.Blueprint+" "+p.Image.String())
	}
	if p.Blueprint != BlueprintCronJob && p.Blueprint != BlueprintJob && p.Blueprint != BlueprintDaemonSet {
		if p.Autoscaling != nil {
			parts = append(parts, fmt.Sprintf("autoscaling %d-%d replicas at %d%% CPU", p.Autoscaling.Min, p.Autoscaling.Max, p.Autoscaling.CPU))
		} else {
			parts = append(parts, p.replicaSummary())
		}
	}
	if p.Port != 0 {
		parts = append(parts, fmt.Sprintf("port %d", p.Port))
	}
	if p.Persistence {
		parts = append(parts, p.Storage+" persistent storage")
	}
	if p.Schedule != "" {
		s := "schedule " + p.Schedule
		if p.TimeZone != "" {
			s += " " + p.TimeZone
		}
		parts = append(parts, s)
	}
	if p.Ingress != nil {
		s := "exposed at " + p.Ingress.Host
		if p.Ingress.TLS {
			s += " with TLS"
		}
		parts = append(parts, s)
	}
	for _, e := range append(append([]EnvRef{}, p.Env...), p.EnvFrom...) {
		if e.Name != "" {
			parts = append(parts, fmt.Sprintf("%s from %s %s", e.Name, e.Kind, e.Ref))
		} else {
			parts = append(parts, fmt.Sprintf("environment from %s %s", e.Kind, e.Ref))
		}
	}
	if p.Canary != nil {
		parts = append(parts, fmt.Sprintf("Flagger canary in steps of %d%% up to %d%%", p.Canary.StepWeight, p.Canary.MaxWeight))
	}
	if len(p.Settings) > 0 {
		parts = append(parts, fmt.Sprintf("%d settings in a ConfigMap", len(p.Settings)))
	}
	if np := p.NetworkPolicy; np != nil {
		var from []string
		for _, n := range np.Namespaces {
			from = append(from, "namespace "+n)
		}
		for _, k := range sortedKeys(np.PodLabels) {
			from = append(from, "pods "+k+"="+np.PodLabels[k])
		}
		parts = append(parts, "reachable only from "+strings.Join(from, " and "))
	}
	if p.Team != "" {
		parts = append(parts, "team "+p.Team)
	}
	if p.Environment != "" {
		parts = append(parts, "environment "+p.Environment)
	}
	return strings.Join(parts, ", ")
}
