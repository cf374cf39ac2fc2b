#!/usr/bin/env bash
# Prints the pull-request comment aiden review writes for a sample change to
# examples/gitops (docs/review.md and the README show its output): the
# example repository is copied into a scratch git repository, committed on
# main, and changed as a pull request would — podinfo's image bumped in the
# shared base, production scaled to 4 replicas, a privileged debug sidecar
# patched into staging. Run from the repository root; extra arguments go to
# aiden review (--format markdown, json, ...).
set -euo pipefail
root=$(pwd)
demo=$(mktemp -d)
trap 'rm -rf "$demo"' EXIT
go build -o "$demo/aiden" ./cmd/aiden
cp -r "$root/examples/gitops" "$demo/repo"
cd "$demo/repo"
git init -q -b main
git add -A
git -c user.name=demo -c user.email=demo@example.com commit -q -m "the example repository"

sed -i 's/podinfo:6.9.2/podinfo:6.9.3/' base/podinfo/deployment.yaml
cat >>clusters/production/apps/podinfo/kustomization.yaml <<'YAML'
patches:
  - target: {kind: Deployment, name: podinfo}
    patch: |
      - op: replace
        path: /spec/replicas
        value: 4
YAML
cat >>clusters/staging/apps/podinfo/kustomization.yaml <<'YAML'
      - op: add
        path: /spec/template/spec/containers/-
        value:
          name: debug
          image: busybox:1.36
          command: [sleep, infinity]
          resources:
            requests: {cpu: 10m, memory: 16Mi}
            limits: {memory: 32Mi}
          securityContext:
            privileged: true
            allowPrivilegeEscalation: true
YAML
code=0
"$demo/aiden" review --base main --format comment "$@" || code=$?
# 1 is the gate failing on the new findings and the budget: expected here.
[ "$code" -le 1 ]
