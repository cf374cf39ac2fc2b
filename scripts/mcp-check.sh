#!/usr/bin/env bash
# Checks aiden's MCP server with the official tools, as CI does:
#   1. the MCP conformance suite (@modelcontextprotocol/conformance) against
#      /mcp of a real `aiden serve`, for the server features aiden declares
#      (tools, resources, prompts over streamable HTTP);
#   2. the MCP Inspector's CLI (@modelcontextprotocol/inspector-cli) lists the
#      tools of `aiden mcp` over stdio and calls generate and validate, and
#      lists the tools over HTTP.
# Needs `npm ci` first (package.json pins both). Run from anywhere:
#   bash scripts/mcp-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
conformance=$top/node_modules/.bin/conformance
inspector=$top/node_modules/@modelcontextprotocol/inspector-cli/build/index.js
[ -x "$conformance" ] && [ -f "$inspector" ] || { echo "run npm ci first" >&2; exit 1; }

work=$(mktemp -d /tmp/aiden-mcp.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/aiden" ./cmd/aiden
# The example repository: a generation config, examples and policies.
cp -r examples/gitops "$work/repo"
mkdir "$work/repo/.git"

for try in 1 2 3 4 5; do
	port=$((20000 + RANDOM % 20000))
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue # taken
	"$work/aiden" serve --addr "127.0.0.1:$port" --database-url "$work/records.db" --repo "$work/repo" \
		>"$work/serve.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && break
	pid=
done
[ -n "$pid" ] || { cat "$work/serve.log" >&2; echo "aiden serve did not start" >&2; exit 1; }
url="http://127.0.0.1:$port/mcp"
echo "aiden serve on $url"

echo "--- MCP conformance suite ($("$conformance" --version)) against $url"
# The server scenarios for what aiden declares. The suite's other server
# scenarios call fixture tools, prompts and resources of its reference
# server (test_simple_text, test_prompt_with_arguments, ...) or features
# aiden does not declare (completions, subscriptions, logging, sampling,
# elicitation); they do not apply.
scenarios=(server-initialize ping tools-list resources-list prompts-list
	server-sse-polling server-sse-multiple-streams dns-rebinding-protection)
failed=0
for s in "${scenarios[@]}"; do
	if out=$(cd "$work" && "$conformance" server --url "$url" --scenario "$s" 2>&1); then
		status=ok
	else
		status=FAIL
		failed=$((failed + 1))
	fi
	counts=$(printf '%s\n' "$out" | sed 's/\x1b\[[0-9;]*m//g' | grep -E '^Passed:' | tail -1)
	printf '%-4s %-30s %s\n' "$status" "$s" "$counts"
	[ "$status" = ok ] || printf '%s\n' "$out" | sed 's/\x1b\[[0-9;]*m//g' | grep -E 'FAILURE|Error' >&2 || true
done
[ "$failed" = 0 ] || { echo "$failed conformance scenarios failed" >&2; exit 1; }

echo "--- MCP Inspector CLI: aiden mcp over stdio"
# The inspector reads its own package.json relative to the working folder's
# parent: run it from a folder of this repository.
inspect() { (cd "$top/scripts" && node "$inspector" "$@"); }
stdio=(sh -c "cd '$work/repo' && exec '$work/aiden' mcp")
tools=$(inspect "${stdio[@]}" --method tools/list)
for t in generate validate policy_test explain_finding conventions; do
	printf '%s' "$tools" | grep -q "\"name\": \"$t\"" || { echo "tools/list lacks $t" >&2; exit 1; }
done
echo "tools/list: 5 tools"
gen=$(inspect "${stdio[@]}" --method tools/call --tool-name generate \
	--tool-arg 'intent=Deploy a Redis cluster with 3 replicas in production' target=clusters/production/apps/redis)
printf '%s' "$gen" | grep -q '"patch": "diff --git' || { echo "generate returned no patch: $gen" >&2; exit 1; }
printf '%s' "$gen" | grep -q '"written": false' || { echo "generate wrote without write: true" >&2; exit 1; }
[ ! -e "$work/repo/clusters/production/apps/redis" ] || { echo "generate wrote into the workspace" >&2; exit 1; }
echo "tools/call generate: a patch, nothing written"
val=$(inspect "${stdio[@]}" --method tools/call --tool-name validate --tool-arg 'paths=["base/podinfo"]')
checked=$(printf '%s' "$val" | grep -oE '[0-9]+ files checked: valid' || true)
[ -n "$checked" ] && [ "${checked%% *}" -gt 0 ] || { echo "validate did not find base/podinfo valid: $val" >&2; exit 1; }
printf '%s' "$val" | grep -q '"failed": false' || { echo "validate failed on the example: $val" >&2; exit 1; }
echo "tools/call validate: $checked"

echo "--- MCP Inspector CLI: /mcp over HTTP"
inspect "$url" --transport http --method tools/list | grep -q '"name": "generate"' || { echo "tools/list over HTTP lacks generate" >&2; exit 1; }
echo "tools/list over HTTP: ok"
