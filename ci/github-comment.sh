#!/usr/bin/env bash
# Posts the review comment on a GitHub pull request, or replaces the one an
# earlier run posted: the comment whose body starts with the marker
# <!-- aiden-review -->, which aiden review --format comment writes first.
#
# Environment:
#   GITHUB_TOKEN        token allowed to write pull-request comments
#   GITHUB_REPOSITORY   owner/name
#   GITHUB_API_URL      default https://api.github.com
#   AIDEN_PR            pull request number; default: from GITHUB_EVENT_PATH
#   AIDEN_COMMENT_FILE  the comment (aiden review --write comment=FILE)
set -euo pipefail
marker='<!-- aiden-review -->'
api="${GITHUB_API_URL:-https://api.github.com}"
repo="${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}"
token="${GITHUB_TOKEN:?GITHUB_TOKEN is not set}"
file="${AIDEN_COMMENT_FILE:?AIDEN_COMMENT_FILE is not set}"
pr="${AIDEN_PR:-}"
if [ -z "$pr" ] && [ -n "${GITHUB_EVENT_PATH:-}" ] && [ -f "$GITHUB_EVENT_PATH" ]; then
	pr=$(jq -r '.pull_request.number // empty' "$GITHUB_EVENT_PATH")
fi
if [ -z "$pr" ]; then
	echo "no pull request: the review is not posted"
	exit 0
fi
if ! [[ "$pr" =~ ^[0-9]+$ ]]; then
	echo "pull request number ${pr@Q} is not a number" >&2
	exit 2
fi
if [ "$(head -n 1 "$file")" != "$marker" ]; then
	echo "$file does not start with $marker: write it with aiden review --format comment" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# call METHOD URL [BODY_FILE]: prints the HTTP status; the response is in $tmp/response.
call() {
	local args=(-sS -o "$tmp/response" -w '%{http_code}' -X "$1"
		-H "Authorization: Bearer $token" -H "Accept: application/vnd.github+json" -H "X-GitHub-Api-Version: 2022-11-28")
	if [ $# -ge 3 ]; then
		args+=(-H "Content-Type: application/json" --data-binary "@$3")
	fi
	curl "${args[@]}" "$2"
}

id=""
page=1
while :; do
	status=$(call GET "$api/repos/$repo/issues/$pr/comments?per_page=100&page=$page")
	if [ "$status" != 200 ]; then
		echo "list the comments of pull request $pr: HTTP $status: $(head -c 300 "$tmp/response")" >&2
		exit 1
	fi
	id=$(jq -r --arg m "$marker" '[.[] | select(.body | startswith($m))][0].id // empty' "$tmp/response")
	n=$(jq 'length' "$tmp/response")
	if [ -n "$id" ] || [ "$n" -lt 100 ]; then
		break
	fi
	page=$((page + 1))
done

jq -n --rawfile body "$file" '{body: $body}' >"$tmp/payload.json"
if [ -n "$id" ]; then
	status=$(call PATCH "$api/repos/$repo/issues/comments/$id" "$tmp/payload.json")
	what="update comment $id on pull request $pr"
else
	status=$(call POST "$api/repos/$repo/issues/$pr/comments" "$tmp/payload.json")
	what="comment on pull request $pr"
fi
case "$status" in
2??)
	echo "$what: done ($(jq -r '.html_url // empty' "$tmp/response"))"
	;;
403 | 404)
	# A pull request from a fork gets a read-only token.
	echo "::warning::$what: HTTP $status (a read-only token, as on a pull request from a fork?): the review is in the step summary"
	;;
*)
	echo "$what: HTTP $status: $(head -c 300 "$tmp/response")" >&2
	exit 1
	;;
esac
