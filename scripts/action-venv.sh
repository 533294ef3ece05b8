#!/usr/bin/env bash
# The composite action's first step: a venv holding the pinned runtime requirements, built once per
# runner and reused by every later job there, keyed by the hash of requirements/runtime.txt, the Python
# version and the platform. When sweep-config or eval-data is set (MLFLOW_CI_SWEEP_CONFIG, MLFLOW_CI_EVAL_DATA:
# evaluation scores models with scikit-learn and pandas), the venv also holds the
# training libraries of requirements/train.txt, and its key covers that file too.
# Prints python=<interpreter> to $GITHUB_OUTPUT.
set -euo pipefail

root="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"
py="$(command -v python3 || command -v python || true)"
if [ -z "$py" ]; then
  echo "::error title=mlflow-ci::no python on PATH: add actions/setup-python (python-version: '3.12') before this step"
  exit 1
fi
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "::error title=mlflow-ci::the runner's Python is $("$py" -V 2>&1); mlflow-ci needs 3.11 or newer: add actions/setup-python (python-version: '3.12') before this step"
  exit 1
fi

locks=("$root/requirements/runtime.txt")
if [ -n "${MLFLOW_CI_SWEEP_CONFIG:-}" ] || [ -n "${MLFLOW_CI_EVAL_DATA:-}" ]; then
  locks+=("$root/requirements/train.txt")
fi

key="$("$py" - "${locks[@]}" <<'PY'
import hashlib, platform, sys
digest = hashlib.sha256()
for path in sys.argv[1:]:
    digest.update(open(path, "rb").read())
digest.update(f"{sys.version_info[:3]}{platform.system()}{platform.machine()}".encode())
print(digest.hexdigest()[:16])
PY
)"
cache="${MLFLOW_CI_VENV_CACHE:-${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}/mlflow-ci-action}"
venv="$cache/venv-$key"

venv_python() { if [ -x "$1/bin/python" ]; then echo "$1/bin/python"; else echo "$1/Scripts/python.exe"; fi; }

if [ -f "$venv/.complete" ]; then
  echo "mlflow-ci: reusing $venv"
else
  # Build beside it and rename when complete, so an interrupted job never leaves a half venv behind.
  partial="$venv.partial.$$"
  mkdir -p "$cache"
  rm -rf "$partial"
  echo "::group::mlflow-ci: installing requirements into $venv"
  "$py" -m venv "$partial"
  "$(venv_python "$partial")" -m pip install --disable-pip-version-check --no-input --quiet \
    "${locks[@]/#/-r}"
  echo "::endgroup::"
  touch "$partial/.complete"
  if [ -d "$venv" ] && [ ! -f "$venv/.complete" ]; then rm -rf "$venv"; fi
  # Jobs of a matrix may share this runner's cache and build at once: the first rename wins, the others
  # drop their copy (a rename onto a finished venv fails instead of replacing it under a running job).
  "$py" - "$partial" "$venv" <<'PY'
import os, shutil, sys
try:
    os.rename(sys.argv[1], sys.argv[2])
except OSError:
    shutil.rmtree(sys.argv[1], ignore_errors=True)
PY
fi
echo "python=$(venv_python "$venv")" >> "${GITHUB_OUTPUT:-/dev/stdout}"
