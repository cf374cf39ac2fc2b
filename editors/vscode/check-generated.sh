#!/bin/sh
# Fails when src/gen is stale: generates the TypeScript from proto/ again
# and compares it with what is committed.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -R src/gen "$tmp/committed"
npm run --silent generate
if ! diff -r "$tmp/committed" src/gen >"$tmp/diff"; then
	head -50 "$tmp/diff"
	rm -rf src/gen && cp -R "$tmp/committed" src/gen
	echo "editors/vscode/src/gen is stale: run 'npm run generate' in editors/vscode and commit the result" >&2
	exit 1
fi
echo "editors/vscode/src/gen is up to date with proto/"
