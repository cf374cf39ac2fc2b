#!/usr/bin/env bash
# bench-cli.sh measures aiden's CLI start-up and validation against the
# tools it replaces, on this machine, in one run (so ratios compare like
# with like on a busy machine):
#
#   1. `aiden version` beside `kubeconform -v`;
#   2. `aiden validate` on one small manifest beside `kubeconform -strict`;
#   3. `aiden validate --policy-check` on two small charts beside the
#      `helm lint && helm template | kubeconform && helm template | conftest`
#      pipeline over the same charts.
#
# Wall time is the median of RUNS runs, peak RSS the largest (GNU time's
# %M). Tools missing from PATH are built with `go install` into $OUT/bin at
# the versions below. Usage (from the repository root):
#
#   scripts/bench-cli.sh            # RUNS=15 OUT=/tmp/aiden-bench-cli
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-15}
OUT=${OUT:-/tmp/aiden-bench-cli}
KUBECONFORM=github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0
HELM=helm.sh/helm/v3/cmd/helm@v3.22.0
CONFTEST=github.com/open-policy-agent/conftest@v0.71.1
mkdir -p "$OUT/bin"
export PATH="$OUT/bin:$PATH"
# A cache of our own, so the schema folder kubeconform reads is known; Go
# keeps its build and module caches where they were.
GOCACHE=$(go env GOCACHE)
GOMODCACHE=$(go env GOMODCACHE)
export GOCACHE GOMODCACHE
export XDG_CACHE_HOME="$OUT/cache"

need() { command -v "$1" >/dev/null || GOBIN="$OUT/bin" go install "$2"; }
need kubeconform "$KUBECONFORM"
need helm "$HELM"
need conftest "$CONFTEST"
go build -o "$OUT/bin/aiden" ./cmd/aiden
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is required: apt-get install time" >&2; exit 1; }

# measure NAME CMD...: median wall seconds and peak RSS MiB of RUNS runs.
measure() {
	local name=$1
	shift
	local walls=() peak=0 line wall rss
	for _ in $(seq "$RUNS"); do
		line=$({ /usr/bin/time -f '%e %M' "$@" >/dev/null 2>/dev/null; } 2>&1 | tail -1) || true
		wall=${line% *}
		rss=${line#* }
		walls+=("$wall")
		((rss > peak)) && peak=$rss
	done
	local median
	median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	printf '%-58s %8.3f s %8.1f MiB\n' "$name" "$median" "$(echo "$peak / 1024" | bc -l)"
	echo "$median" >"$OUT/last"
}
ratio() { echo "scale=1; $1 / $2" | bc -l; }

# The inputs: one manifest, two charts written by aiden's own planner, and
# a Rego policy for conftest.
work="$OUT/work"
rm -rf "$work"
mkdir -p "$work/repo/.git" "$work/policy"
cat >"$work/cm.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: apps
data:
  mode: production
EOF
aiden generate -q --intent "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production" \
	--format helm --output "$work/repo/clusters/production/apps/redis" >/dev/null
aiden generate -q --intent "a web service running image ghcr.io/acme/api:1.4.2 on port 8080" \
	--format helm --output "$work/repo/clusters/production/apps/api" >/dev/null
charts=("$work/repo/clusters/production/apps/redis" "$work/repo/clusters/production/apps/api")
cat >"$work/policy/limits.rego" <<'EOF'
package main

import rego.v1

deny contains msg if {
	input.kind in {"Deployment", "StatefulSet"}
	some c in input.spec.template.spec.containers
	not c.resources.limits.memory
	msg := sprintf("%s/%s: container %s has no memory limit", [input.kind, input.metadata.name, c.name])
}
EOF

# aiden materializes the schemas it validates with; kubeconform reads the
# same files, so both check against Kubernetes 1.35.4 offline.
aiden validate --policy-check "${charts[@]}" >/dev/null
aiden validate "$work/cm.yaml" >/dev/null
loc=$(ls -d "$XDG_CACHE_HOME"/aiden/schemas/*/ | head -1)
loc="${loc%/}/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
kc=(kubeconform -strict -summary -kubernetes-version 1.35.4 -schema-location "$loc")

pipeline="$work/pipeline.sh"
cat >"$pipeline" <<EOF
#!/usr/bin/env bash
set -euo pipefail
for c in ${charts[*]}; do
	helm lint "\$c" >/dev/null
	helm template "\$c" | ${kc[*]@Q} - >/dev/null
	helm template "\$c" | conftest test -p "$work/policy" - >/dev/null
done
EOF
chmod +x "$pipeline"
"$pipeline" # fails here if the pipeline does not pass on the charts

echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $RUNS runs each"
measure "aiden version" aiden version
a=$(cat "$OUT/last")
measure "kubeconform -v" kubeconform -v
b=$(cat "$OUT/last")
echo "  aiden version / kubeconform -v: $(ratio "$a" "$b")x"
measure "aiden validate cm.yaml" aiden validate "$work/cm.yaml"
a=$(cat "$OUT/last")
measure "kubeconform -strict cm.yaml" "${kc[@]}" "$work/cm.yaml"
b=$(cat "$OUT/last")
echo "  aiden validate / kubeconform: $(ratio "$a" "$b")x"
measure "aiden validate --policy-check (2 charts)" aiden validate --policy-check "${charts[@]}"
a=$(cat "$OUT/last")
measure "helm lint + template | kubeconform | conftest (2 charts)" "$pipeline"
b=$(cat "$OUT/last")
echo "  pipeline / aiden: $(ratio "$b" "$a")x"
