#!/usr/bin/env bash
# Posts the review as a note on a GitLab merge request, or replaces the one
# an earlier run posted (the note whose body starts with <!-- aiden-review -->).
#
# Environment:
#   AIDEN_GITLAB_TOKEN     a project or personal access token with the api scope
#                          (CI_JOB_TOKEN cannot write notes)
#   CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID   set by GitLab CI
#   AIDEN_COMMENT_FILE     the comment (aiden review --write comment=FILE)
set -euo pipefail
marker='<!-- aiden-review -->'
api="${CI_API_V4_URL:?CI_API_V4_URL is not set}"
project="${CI_PROJECT_ID:?CI_PROJECT_ID is not set}"
file="${AIDEN_COMMENT_FILE:?AIDEN_COMMENT_FILE is not set}"
mr="${CI_MERGE_REQUEST_IID:-}"
if [ -z "$mr" ]; then
	echo "no merge request: the review is not posted"
	exit 0
fi
if [ -z "${AIDEN_GITLAB_TOKEN:-}" ]; then
	echo "AIDEN_GITLAB_TOKEN is not set: the review is not posted (add a masked CI/CD variable holding a token with the api scope)" >&2
	exit 0
fi
if ! [[ "$mr" =~ ^[0-9]+$ && "$project" =~ ^[0-9]+$ ]]; then
	echo "merge request ${mr@Q} or project ${project@Q} is not a number" >&2
	exit 2
fi
if [ "$(head -n 1 "$file")" != "$marker" ]; then
	echo "$file does not start with $marker: write it with aiden review --format comment" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

call() {
	local args=(-sS -o "$tmp/response" -w '%{http_code}' -X "$1" -H "PRIVATE-TOKEN: $AIDEN_GITLAB_TOKEN")
	if [ $# -ge 3 ]; then
		args+=(-H "Content-Type: application/json" --data-binary "@$3")
	fi
	curl "${args[@]}" "$2"
}

notes="$api/projects/$project/merge_requests/$mr/notes"
id=""
page=1
while :; do
	status=$(call GET "$notes?per_page=100&page=$page&sort=asc")
	if [ "$status" != 200 ]; then
		echo "list the notes of merge request !$mr: HTTP $status: $(head -c 300 "$tmp/response")" >&2
		exit 1
	fi
	id=$(jq -r --arg m "$marker" '[.[] | select(.system | not) | select(.body | startswith($m))][0].id // empty' "$tmp/response")
	n=$(jq 'length' "$tmp/response")
	if [ -n "$id" ] || [ "$n" -lt 100 ]; then
		break
	fi
	page=$((page + 1))
done

jq -n --rawfile body "$file" '{body: $body}' >"$tmp/payload.json"
if [ -n "$id" ]; then
	status=$(call PUT "$notes/$id" "$tmp/payload.json")
	what="update note $id on merge request !$mr"
else
	status=$(call POST "$notes" "$tmp/payload.json")
	what="note on merge request !$mr"
fi
case "$status" in
2??) echo "$what: done" ;;
*)
	echo "$what: HTTP $status: $(head -c 300 "$tmp/response")" >&2
	exit 1
	;;
esac
