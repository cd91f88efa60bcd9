#!/usr/bin/env bash
# Install gitops-ml from this action's checkout into a venv under $RUNNER_TEMP, put its bin
# on $GITHUB_PATH. "online": pip installs it with its dependencies (the registry is needed).
# "offline" (act, air-gapped runners): the host Python must already import gitops-ml's
# dependencies; the venv sees the host's site-packages and runs gitops-ml from the checkout.
set -euo pipefail
mode=${1:-online}
root=$(cd "$GITHUB_ACTION_PATH/../.." && pwd)
py=${GITOPS_ML_PYTHON:-python3}
venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/gitops-ml-venv-$$"
if [ "$mode" = online ]; then
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$root[github]"
else
  if ! "$py" -c 'import yaml, blake3, rich, fsspec, github3' 2>/dev/null; then
    echo "::error::offline install: $py lacks gitops-ml's dependencies (PyYAML, blake3, rich, fsspec, github3.py)"
    exit 3
  fi
  "$py" -m venv --without-pip "$venv"
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  # the host's packages after the venv's own, then this checkout (gitops-ml at this ref)
  "$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' > "$site/gitops_ml_host.pth"
  printf '%s\n' "$root" > "$site/gitops_ml_checkout.pth"
  for pair in "gitops-ml:gitops_ml.main" "gitops-ml-fetch-runs:gitops_ml.hooks.fetch_runs"; do
    name=${pair%%:*}
    module=${pair#*:}
    printf '#!%s\nimport sys\nfrom %s import main\nsys.exit(main())\n' \
      "$venv/bin/python" "$module" > "$venv/bin/$name"
    chmod +x "$venv/bin/$name"
  done
fi
"$venv/bin/python" -c 'import gitops_ml, sys; sys.exit(0 if gitops_ml.__file__.startswith(sys.argv[1]) or sys.argv[2] == "online" else 1)' "$root" "$mode" \
  || { echo "::error::gitops-ml was not taken from the action's checkout"; exit 3; }
echo "$venv/bin" >> "$GITHUB_PATH"
echo "gitops-ml installed in $venv ($mode) from $root"
