#!/bin/sh
# Fails when gen/ is stale: generates the proto code into a scratch copy of
# the tree and compares it with what is committed.
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -R gen "$tmp/committed"
(cd proto && ../node_modules/.bin/buf generate)
if ! diff -r "$tmp/committed" gen >"$tmp/diff"; then
	cat "$tmp/diff" | head -50
	rm -rf gen && cp -R "$tmp/committed" gen
	echo "gen/ is stale: run 'make generate' and commit the result" >&2
	exit 1
fi
echo "gen/ is up to date with proto/"
