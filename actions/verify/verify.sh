#!/usr/bin/env bash
# gitops-ml ci verify; its result (one line of JSON) becomes the step output "result".
# The pull request's code runs in here: the runner's command files are kept out of its reach.
set -uo pipefail
out="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/gitops-ml-result-$$.json"
args=(ci verify --mode "${MODE:-claimed}" --out "$out")
if [ -n "${BASE_REV:-}" ]; then args+=(--base "$BASE_REV"); fi
if [ -n "${HEAD_REV:-}" ]; then args+=(--head "$HEAD_REV"); fi
outputs=$GITHUB_OUTPUT
env -u GITHUB_OUTPUT -u GITHUB_ENV -u GITHUB_PATH -u GITHUB_STATE -u GITHUB_STEP_SUMMARY \
  -u GITHUB_TOKEN -u ACTIONS_RUNTIME_TOKEN -u ACTIONS_ID_TOKEN_REQUEST_TOKEN \
  gitops-ml "${args[@]}"
code=$?
if [ -s "$out" ]; then
  { printf 'result='; head -n 1 "$out"; } >> "$outputs"
fi
if [ "$code" = 0 ]; then echo "ok=true" >> "$outputs"; else echo "ok=false" >> "$outputs"; fi
exit "$code"
