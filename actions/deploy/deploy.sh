#!/usr/bin/env bash
# gitops-ml deploy for the deploy action; every input arrives through the environment.
set -uo pipefail
args=(deploy "$DEPLOY_ENVIRONMENT" --json --github-deployment "${DEPLOY_GITHUB:-false}")
if [ -n "${DEPLOY_RUN:-}" ]; then
  args+=("$DEPLOY_RUN")
else
  change=${DEPLOY_CHANGE:-}
  if [ -z "$change" ]; then
    if [ -z "${PUSH_BEFORE:-}" ] || [ -z "${PUSH_AFTER:-}" ] \
      || [ "$PUSH_BEFORE" = "0000000000000000000000000000000000000000" ]; then
      echo "::notice title=gitops-ml deploy::nothing to deploy: no run given and no pushed change"
      { echo "run="; echo "event=null"; } >> "$GITHUB_OUTPUT"
      exit 0
    fi
    change="$PUSH_BEFORE..$PUSH_AFTER"
  fi
  args+=(--change "$change")
fi
if [ -n "${DEPLOY_WHY:-}" ]; then args+=(--why "$DEPLOY_WHY"); fi
out="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/gitops-ml-deploy-$$.json"
gitops-ml "${args[@]}" > "$out"
code=$?
event=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])) if open(sys.argv[1]).read().strip() else None; print(json.dumps(d, sort_keys=True))' "$out" 2>/dev/null || echo null)
run=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["run"] if d else "")' "$event" 2>/dev/null || true)
{ echo "event=$event"; echo "run=$run"; } >> "$GITHUB_OUTPUT"
if [ "$code" = 0 ] && [ -z "$run" ]; then
  echo "::notice title=gitops-ml deploy::nothing to deploy to $DEPLOY_ENVIRONMENT: the change claims no run"
elif [ "$code" = 0 ]; then
  echo "::notice title=gitops-ml deploy::$DEPLOY_ENVIRONMENT now serves run $run"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    gitops-ml deployed "$DEPLOY_ENVIRONMENT" >> "$GITHUB_STEP_SUMMARY" || true
  fi
fi
exit "$code"
