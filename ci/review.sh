#!/usr/bin/env bash
# Runs aiden review in CI and writes, in one run, the Markdown (step
# summary), the pull-request comment and SARIF into AIDEN_OUT.
#
# Environment:
#   AIDEN_BASE      git revision to compare with; default: the merge base of
#                   HEAD with origin/$AIDEN_TARGET_BRANCH when that is set,
#                   else aiden's default (the merge base with the default branch)
#   AIDEN_TARGET_BRANCH  the branch the change merges into (GitHub: GITHUB_BASE_REF;
#                   GitLab: CI_MERGE_REQUEST_TARGET_BRANCH_NAME)
#   AIDEN_PATHS     files or folders to review, one per line; default all
#   AIDEN_FAIL_ON   info, warning, error (default) or none
#   AIDEN_OUT       folder for review.md, comment.md, review.sarif, review.xml
#   AIDEN_SUMMARY   file the Markdown is appended to (GITHUB_STEP_SUMMARY), optional
#   AIDEN_OUTPUTS   file key=value outputs are appended to (GITHUB_OUTPUT), optional
#
# Exit status: aiden's — 0 clean, 1 new findings, risks or budgets at or
# above AIDEN_FAIL_ON, 2 bad input, 3 aiden failed. The files are written
# for 0 and 1.
set -euo pipefail
out="${AIDEN_OUT:?AIDEN_OUT is not set}"
mkdir -p "$out"
base="${AIDEN_BASE:-}"
if [ -z "$base" ] && [ -n "${AIDEN_TARGET_BRANCH:-}" ]; then
	git fetch --no-tags --quiet origin "+refs/heads/${AIDEN_TARGET_BRANCH}:refs/remotes/origin/${AIDEN_TARGET_BRANCH}"
	if ! base=$(git merge-base HEAD "origin/${AIDEN_TARGET_BRANCH}"); then
		echo "no merge base of HEAD and origin/${AIDEN_TARGET_BRANCH}: fetch the whole history (actions/checkout with fetch-depth: 0, GIT_DEPTH: 0 on GitLab)" >&2
		exit 2
	fi
fi
args=(review --format markdown --fail-on "${AIDEN_FAIL_ON:-error}"
	--write "comment=$out/comment.md" --write "sarif=$out/review.sarif" --write "junit=$out/review.xml")
if [ -n "$base" ]; then
	args+=("--base=$base")
fi
args+=(--)
while IFS= read -r p; do
	if [ -n "$p" ]; then
		args+=("$p")
	fi
done <<<"${AIDEN_PATHS:-}"
code=0
aiden "${args[@]}" >"$out/review.md" || code=$?
if [ "$code" -ge 2 ]; then
	exit "$code"
fi
if [ -n "${AIDEN_SUMMARY:-}" ]; then
	cat "$out/review.md" >>"$AIDEN_SUMMARY"
fi
if [ -n "${AIDEN_OUTPUTS:-}" ]; then
	{
		echo "exit-code=$code"
		echo "comment-file=$out/comment.md"
		echo "sarif-file=$out/review.sarif"
		echo "junit-file=$out/review.xml"
	} >>"$AIDEN_OUTPUTS"
fi
exit "$code"
