#!/usr/bin/env bash
# bench-cli.sh measures aiden's CLI start-up and validation against the
# tools it replaces, on this machine, in one run (so the ratios compare like
# with like on a busy machine):
#
#   1. `aiden version` beside `kubeconform -v` and scripts/startfloor (a
#      program that only links some of the libraries aiden's checks need:
#      what their package initialisation alone costs);
#   2. `aiden validate` on one small manifest beside `kubeconform -strict`;
#   3. `aiden validate --policy-check` on two small charts beside the
#      pipeline `helm lint` + `helm template | kubeconform` + `conftest test`
#      over the same charts (one render per chart, read by both checkers):
#      once as a repeated run meets them (their objects remembered valid by
#      an earlier run, the results cache), once with --no-result-cache (every
#      object validated, as for charts aiden has not seen).
#
# It installs kubeconform, helm and conftest at pinned versions with
# `go install` into a temporary GOBIN (never the ones on PATH), builds
# aiden as it ships (`make build`: static, CGO_ENABLED=0, -trimpath; the
# tools are built static too, as their releases are), writes the inputs with aiden's own planner (no model), and prints
# for each command the median wall time, CPU time (user + system) and
# peak RSS of RUNS runs (scripts/runstat: microseconds, where GNU time
# prints hundredths of a second), the ratios, and what aiden's resident memory is
# made of at exit (anonymous, file-backed, file-backed in 2 MB pages;
# scripts/exitrss), once with the binary's pages as go build wrote them and
# once after they were dropped from the page cache and read back. The
# timings run with every binary's pages dropped first (read back from
# disk, as for a binary installed earlier). Linux, bash, Go and GNU dd are
# needed. Usage (from anywhere in the repository):
#
#   scripts/bench-cli.sh            # RUNS=15, OUT=a new temporary folder
#   RUNS=5 OUT=/tmp/b scripts/bench-cli.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-15}
OUT=${OUT:-$(mktemp -d /tmp/aiden-bench-cli.XXXXXX)}
KUBECONFORM=github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0
HELM=helm.sh/helm/v3/cmd/helm@v3.22.0
CONFTEST=github.com/open-policy-agent/conftest@v0.71.1

bin="$OUT/bin"
mkdir -p "$bin"
export PATH="$bin:$PATH"
# aiden and kubeconform keep their schema caches here, so the folder
# kubeconform is pointed at is known; Go keeps its own caches where they are.
GOCACHE=$(go env GOCACHE)
GOMODCACHE=$(go env GOMODCACHE)
export GOCACHE GOMODCACHE
export XDG_CACHE_HOME="$OUT/cache"

echo "installing $KUBECONFORM $HELM $CONFTEST into $bin" >&2
# Static, as aiden and the tools' own releases are built.
export CGO_ENABLED=0
for tool in "$KUBECONFORM" "$HELM" "$CONFTEST"; do
	GOBIN="$bin" go install -trimpath "$tool"
done
# A new file each run: go build leaves an up-to-date binary as it is, and
# how its pages sit in the page cache (written, or read back) shows in RSS.
rm -f "$bin/aiden"
go build -trimpath -o "$bin/aiden" ./cmd/aiden
go build -trimpath -o "$bin/startfloor" ./scripts/startfloor
go build -o "$bin/exitrss" ./scripts/exitrss
go build -o "$bin/runstat" ./scripts/runstat

# measure NAME CMD...: median wall seconds, median CPU seconds (user +
# system) and median peak RSS (MiB) of RUNS runs; the median wall and CPU
# times are left in $OUT/last. On a busy machine wall time includes the
# wait for a CPU, so CPU time is the steadier figure.
measure() {
	local name=$1
	shift
	local walls=() cpus=() rsss=() i
	for ((i = 0; i < RUNS; i++)); do
		runstat "$@" 2>"$OUT/time" >/dev/null || true
		# runstat's line is the last of the command's standard error.
		read -r wall cpu rss < <(tail -1 "$OUT/time" | sed 's/[a-z]*=//g')
		walls+=("$wall")
		cpus+=("$cpu")
		rsss+=("$rss")
	done
	local mw mc mr
	mw=$(median "${walls[@]}")
	mc=$(median "${cpus[@]}")
	mr=$(median "${rsss[@]}" | awk '{printf "%.1f", $1 / 1024}')
	printf '| %-60s | %7.4f s | %7.4f s | %7s MiB |\n' "$name" "$mw" "$mc" "$mr"
	echo "$mw $mc" >"$OUT/last"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }

# breakdown NAME CMD...: aiden's resident memory at exit, in MiB.
breakdown() {
	local name=$1
	shift
	local line
	line=$(exitrss "$@" 2>&1 >/dev/null | tail -1)
	awk -v n="$name" -v l="$line" 'BEGIN {
		split(l, f, " "); for (i in f) { split(f[i], kv, "="); v[kv[1]] = kv[2] / 1024 }
		printf "| %-60s | %6.1f | %6.1f | %6.1f | %6.1f |\n", n, v["hwm"], v["anon"], v["file"], v["filepmd"] }'
}

# The inputs: one manifest, two charts written by aiden's own planner (no
# model), and Rego for conftest with the gist of aiden's built-in rules.
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
aiden generate --intent "Deploy a Redis cluster with 3 replicas, persistent storage, and automatic failover in production" \
	--format helm --output "$work/repo/clusters/production/apps/redis" >/dev/null 2>&1
aiden generate --intent "a web service running image ghcr.io/acme/api:1.4.2 on port 8080" \
	--format helm --output "$work/repo/clusters/production/apps/api" >/dev/null 2>&1
charts=("$work/repo/clusters/production/apps/redis" "$work/repo/clusters/production/apps/api")
cat >"$work/policy/workloads.rego" <<'EOF'
package main

import rego.v1

workload if input.kind in {"Deployment", "StatefulSet", "DaemonSet", "Job"}

containers contains c if {
	workload
	some c in input.spec.template.spec.containers
}

deny contains msg if {
	some c in containers
	not c.resources.limits.memory
	msg := sprintf("%s/%s: container %s has no memory limit", [input.kind, input.metadata.name, c.name])
}

deny contains msg if {
	some c in containers
	not c.resources.requests.cpu
	msg := sprintf("%s/%s: container %s has no CPU request", [input.kind, input.metadata.name, c.name])
}

deny contains msg if {
	some c in containers
	endswith(c.image, ":latest")
	msg := sprintf("%s/%s: container %s uses a latest tag", [input.kind, input.metadata.name, c.name])
}

deny contains msg if {
	some c in containers
	c.securityContext.privileged
	msg := sprintf("%s/%s: container %s is privileged", [input.kind, input.metadata.name, c.name])
}

warn contains msg if {
	some c in containers
	not c.livenessProbe
	msg := sprintf("%s/%s: container %s has no liveness probe", [input.kind, input.metadata.name, c.name])
}

warn contains msg if {
	input.metadata.namespace == "default"
	msg := sprintf("%s/%s: in the default namespace", [input.kind, input.metadata.name])
}
EOF

# aiden materializes the schemas it validates with; kubeconform reads the
# same files, so both check against the same Kubernetes schemas offline.
aiden validate --policy-check "${charts[@]}" >"$work/aiden-charts.txt" 2>&1 || echo "note: aiden validate --policy-check exits $? on the charts (findings: $work/aiden-charts.txt)" >&2
aiden validate "$work/cm.yaml" >/dev/null
kver=$(aiden version | sed -n 's/^kubernetes schemas: \([0-9.]*\).*/\1/p')
loc=$(ls -d "$XDG_CACHE_HOME"/aiden/schemas/*/ | head -1)
loc="${loc%/}/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
kc=(kubeconform -strict -summary -kubernetes-version "$kver" -schema-location "$loc")

pipeline="$work/pipeline.sh"
cat >"$pipeline" <<EOF
#!/usr/bin/env bash
# helm lint, then one helm template per chart read by kubeconform and conftest.
set -euo pipefail
for c in ${charts[*]@Q}; do
	helm lint "\$c" >/dev/null
	helm template "\$c" >"$work/rendered.yaml"
	${kc[*]@Q} "$work/rendered.yaml" >/dev/null
	conftest test -p "$work/policy" "$work/rendered.yaml" >/dev/null
done
EOF
chmod +x "$pipeline"
"$pipeline" || echo "note: the pipeline exits $? on the charts" >&2

# aiden's memory with its pages as go build wrote them (large folios,
# mapped in 2 MB pages where they can be); then every binary's pages are
# dropped from the page cache (fadvise DONTNEED on those files only), so
# the timings below read them back from disk as a binary installed earlier
# would be, and the tools, just installed, are in the same state.
written1=$(breakdown "aiden version (binary as written by go build)" aiden version)
written2=$(breakdown "aiden validate cm.yaml (binary as written by go build)" aiden validate "$work/cm.yaml")
for f in "$bin"/*; do
	sync "$f"
	dd if="$f" iflag=nocache count=0 status=none
done

echo
echo "$(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), load average $(cut -d' ' -f1-3 /proc/loadavg); $RUNS runs each; $(go version | cut -d' ' -f3)"
echo "aiden binary: $(du -m "$bin/aiden" | cut -f1) MiB; kubeconform: $(du -m "$bin/kubeconform" | cut -f1) MiB"
echo
echo "| command | median wall | median CPU | median peak RSS |"
echo "| --- | --- | --- | --- |"
# pair A B: the ratio of A's median wall and CPU times to B's.
pair() { read -r aw ac <<<"$1"; read -r bw bc <<<"$2"; echo "$(ratio "$aw" "$bw")x the wall time, $(ratio "$ac" "$bc")x the CPU time"; }
measure "aiden version" aiden version
a=$(cat "$OUT/last")
measure "kubeconform -v" kubeconform -v
b=$(cat "$OUT/last")
ratio1=$(pair "$a" "$b")
measure "startfloor (the libraries alone, no aiden code)" startfloor
measure "aiden validate cm.yaml" aiden validate "$work/cm.yaml"
a=$(cat "$OUT/last")
measure "kubeconform -strict cm.yaml" "${kc[@]}" "$work/cm.yaml"
b=$(cat "$OUT/last")
ratio2=$(pair "$a" "$b")
measure "aiden validate --policy-check (2 charts, objects remembered valid)" aiden validate --policy-check "${charts[@]}"
a=$(cat "$OUT/last")
measure "aiden validate --policy-check --no-result-cache (2 charts)" aiden validate --policy-check --no-result-cache "${charts[@]}"
c=$(cat "$OUT/last")
measure "helm lint + helm template + kubeconform + conftest (2 charts)" "$pipeline"
b=$(cat "$OUT/last")
ratio3=$(pair "$b" "$a")
ratio4=$(pair "$b" "$c")
echo
echo "- aiden version / kubeconform -v: $ratio1"
echo "- aiden validate / kubeconform on one manifest: $ratio2"
echo "- the pipeline / aiden validate --policy-check on two charts, unchanged since the last run: $ratio3"
echo "- the pipeline / aiden validate --policy-check --no-result-cache on two charts (every object validated): $ratio4"
echo
echo "What aiden's resident memory is made of at exit (MiB):"
echo
echo "| command | peak RSS | anonymous | file-backed | of which in 2 MB pages |"
echo "| --- | --- | --- | --- | --- |"
echo "$written1"
echo "$written2"
breakdown "aiden version (binary read back from disk)" aiden version
breakdown "aiden validate cm.yaml (binary read back from disk)" aiden validate "$work/cm.yaml"
breakdown "startfloor" startfloor
breakdown "kubeconform -v" kubeconform -v
echo
echo "outputs and inputs: $OUT"
