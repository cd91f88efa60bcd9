#!/usr/bin/env bash
# gitops-ml ci train (isolated), then gitops-ml sync to push the run and its notes.
set -uo pipefail
args=(ci train --isolated)
if [ -n "${PARAMS:-}" ]; then args+=(--params-lines "$PARAMS"); fi
if [ -n "${RUN_NAME:-}" ]; then args+=(--name "$RUN_NAME"); fi
if [ -n "${COMMAND:-}" ]; then args+=(--command "$COMMAND"); fi
while IFS= read -r tag; do
  if [ -n "$tag" ]; then args+=(--tag "$tag"); fi
done <<< "${TAGS:-}"
gitops-ml "${args[@]}"
code=$?
echo "exit-code=$code" >> "$GITHUB_OUTPUT"
if [ "${PUSH:-true}" = true ]; then
  gitops-ml sync "${REMOTE:-origin}" || exit $?
fi
exit "$code"
