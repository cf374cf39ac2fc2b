#!/usr/bin/env bash
# Lints the review action with actionlint: the example workflows under
# examples/ci/github run in a scratch project holding action.yml, so that
# their `uses: ./` is checked against the action's metadata (its inputs).
# The action's scripts (ci/*.sh) are checked with shellcheck when it is
# installed; actionlint also runs it on the workflows' run: blocks then.
set -euo pipefail
cd "$(dirname "$0")/.."
version=v1.7.12
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/.git" "$scratch/.github/workflows"
cp action.yml "$scratch/"
cp examples/ci/github/*.yml "$scratch/.github/workflows/"
(cd "$scratch" && go run "github.com/rhysd/actionlint/cmd/actionlint@$version")
if command -v shellcheck >/dev/null; then
	shellcheck ci/*.sh
else
	echo "shellcheck is not installed: ci/*.sh not checked" >&2
fi
echo "actionlint $version: action.yml and examples/ci/github pass"
