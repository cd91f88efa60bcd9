#!/usr/bin/env bash
# gitops-ml ci report: job summary, artifact files, and (unless POST=false) the PR comment,
# the commit status and the check run.
set -euo pipefail
dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/gitops-ml-report-$$"
mkdir -p "$dir"
printf '%s\n' "${RESULT:-}" > "$dir/input.json"
echo "directory=$dir" >> "$GITHUB_OUTPUT"
args=(ci report --input "$dir/input.json" --summary --artifact "$dir" --quiet
  --check-run "${CHECK_RUN:-auto}" --context "${CONTEXT:-gitops-ml}")
if [ "${POST:-true}" = true ]; then args+=(--post); fi
gitops-ml "${args[@]}"
