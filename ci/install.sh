#!/usr/bin/env bash
# Installs aiden for the review action: AIDEN_VERSION names a tag or commit
# of github.com/stackgen/aiden to go install; empty builds the action's own
# source (ACTION_PATH), the ref the workflow pinned the action at. The
# binary goes to $RUNNER_TEMP/aiden-bin, which is added to GITHUB_PATH.
set -euo pipefail
bin="${RUNNER_TEMP:?RUNNER_TEMP is not set}/aiden-bin"
mkdir -p "$bin"
if [ -n "${AIDEN_VERSION:-}" ]; then
	if ! [[ "$AIDEN_VERSION" =~ ^[A-Za-z0-9][A-Za-z0-9._/+-]*$ ]]; then
		echo "::error::version ${AIDEN_VERSION@Q} is not a tag or commit of github.com/stackgen/aiden" >&2
		exit 2
	fi
	CGO_ENABLED=0 GOBIN="$bin" go install "github.com/stackgen/aiden/cmd/aiden@${AIDEN_VERSION}"
else
	(cd "${ACTION_PATH:?ACTION_PATH is not set}" && CGO_ENABLED=0 go build -trimpath -o "$bin/aiden" ./cmd/aiden)
fi
echo "$bin" >>"${GITHUB_PATH:?GITHUB_PATH is not set}"
"$bin/aiden" version
