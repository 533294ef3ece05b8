#!/usr/bin/env bash
# The composite action's first step: the venv mlflow-ci runs in, installed from the hash-pinned lock
# requirements/runtime.txt (plus requirements/train.txt when sweep-config or eval-data is set,
# MLFLOW_CI_SWEEP_CONFIG, MLFLOW_CI_EVAL_DATA: sweeps train and evaluation scores with scikit-learn and pandas),
# built once per runner and reused by later jobs there. Prints python=<interpreter> to $GITHUB_OUTPUT.
#
# Installer (MLFLOW_CI_INSTALLER: auto, uv or pip; default auto): `uv pip install --require-hashes`, with
# the runner's uv or, when it has none, the uv pinned by hash in requirements/uv.txt (installed once into
# the cache with pip); in auto, pip --require-hashes when uv cannot be had or fails (a pip-only mirror).
# Reuse: only a venv whose completion marker names the digest of these locks, this Python and platform,
# with the same distributions installed as when it was built (scripts/action_venv.py); anything else
# there is set aside and built anew, and older builds of the same locks are deleted. MLFLOW_CI_VENV_CACHE
# moves the cache (default: the runner's tool cache); MLFLOW_CI_VENV_KEY, written to $GITHUB_ENV, names the
# build for an actions/cache save step.
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
installer="${MLFLOW_CI_INSTALLER:-auto}"
case "$installer" in
  auto | uv | pip) ;;
  *)
    echo "::error title=mlflow-ci::MLFLOW_CI_INSTALLER is '$installer': use auto, uv or pip"
    exit 1
    ;;
esac

locks=("$root/requirements/runtime.txt")
if [ -n "${MLFLOW_CI_SWEEP_CONFIG:-}" ] || [ -n "${MLFLOW_CI_EVAL_DATA:-}" ]; then
  locks+=("$root/requirements/train.txt")
fi
helper() { "$py" -I "$root/scripts/action_venv.py" "$@"; }
cache="${MLFLOW_CI_VENV_CACHE:-${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}/mlflow-ci-action}"
found="$(helper find "$cache" "${locks[@]}")"
state="${found%% *}"
venv="${found#* }"

venv_python() { if [ -x "$1/bin/python" ]; then echo "$1/bin/python"; else echo "$1/Scripts/python.exe"; fi; }

# Moves a directory out of the way in one rename, then deletes it: a job looking at the cache meanwhile
# sees either all of it or nothing.
discard() {
  local aside="$1.discarded.$$"
  if mv "$1" "$aside" 2>/dev/null; then rm -rf "$aside"; fi
}

# Renames a finished build into place. Jobs of a matrix may share this runner's cache and build at once:
# the first rename wins and the others drop their copy (a rename onto a non-empty directory fails instead
# of replacing it under a running job).
publish() {
  "$py" - "$1" "$2" <<'PY'
import os, shutil, sys
try:
    os.rename(sys.argv[1], sys.argv[2])
except OSError:
    shutil.rmtree(sys.argv[1], ignore_errors=True)
PY
}

# Prints the uv to install with: the runner's, else the one pinned in requirements/uv.txt, installed once
# per runner into the cache by pip, which checks its hash.
find_uv() {
  if command -v uv >/dev/null 2>&1 && uv --version >/dev/null 2>&1; then
    command -v uv
    return
  fi
  local tools
  tools="$cache/uv-$(helper digest "$root/requirements/uv.txt" | cut -c1-16)"
  if [ ! -f "$tools/.complete" ]; then
    rm -rf "$tools.partial.$$"
    PIP_ROOT_USER_ACTION=ignore "$py" -m pip install --disable-pip-version-check --no-input --quiet \
      --no-warn-script-location --require-hashes --no-deps --target "$tools.partial.$$" \
      -r "$root/requirements/uv.txt" >&2 || { rm -rf "$tools.partial.$$" && return 1; }
    touch "$tools.partial.$$/.complete"
    publish "$tools.partial.$$" "$tools"
  fi
  if [ -x "$tools/bin/uv" ]; then echo "$tools/bin/uv"; else echo "$tools/bin/uv.exe"; fi
}

with_uv() {
  local uv="$1" partial="$2"
  # --no-config: no uv.toml or pyproject.toml in the user's checkout (the step's working directory) changes
  # what is installed; UV_PYTHON_DOWNLOADS=never: the venv uses the runner's Python, never one uv fetches.
  UV_PYTHON_DOWNLOADS=never "$uv" venv --no-config --quiet --python "$py" "$partial" &&
    "$uv" pip install --no-config --quiet --python "$(venv_python "$partial")" --require-hashes \
      "${locks[@]/#/--requirement=}"
}

with_pip() {
  local partial="$1"
  "$py" -m venv "$partial" &&
    "$(venv_python "$partial")" -m pip install --disable-pip-version-check --no-input --quiet --require-hashes \
      "${locks[@]/#/--requirement=}"
}

if [ "$state" = ok ]; then
  echo "mlflow-ci: reusing $venv"
else
  if [ "$state" = stale ]; then
    echo "mlflow-ci: $venv is incomplete or does not match the lock; building it anew"
  fi
  # Build beside it and rename when complete, so an interrupted job never leaves a half venv in its place.
  partial="$venv.partial.$$"
  mkdir -p "$cache"
  rm -rf "$partial"
  echo "::group::mlflow-ci: installing requirements from the hash-pinned lock into $venv"
  started=$SECONDS
  used=""
  if [ "$installer" != pip ]; then
    if uv="$(find_uv)" && with_uv "$uv" "$partial"; then
      used=uv
    elif [ "$installer" = uv ]; then
      echo "::endgroup::"
      echo "::error title=mlflow-ci::installing with uv failed (see above); MLFLOW_CI_INSTALLER=auto falls back to pip"
      rm -rf "$partial"
      exit 1
    else
      echo "::warning title=mlflow-ci::installing with uv failed (see above); installing with pip instead"
      rm -rf "$partial"
    fi
  fi
  if [ -z "$used" ]; then
    if ! with_pip "$partial"; then
      echo "::endgroup::"
      echo "::error title=mlflow-ci::installing the locked requirements with pip failed (see above)"
      rm -rf "$partial"
      exit 1
    fi
    used=pip
  fi
  helper mark "$partial" "${locks[@]}"
  echo "::endgroup::"
  echo "mlflow-ci: installed with $used in $((SECONDS - started)) s"
  # Another job of a matrix may have published the same build meanwhile: then use that one.
  found="$(helper find "$cache" "${locks[@]}")"
  if [ "${found%% *}" = ok ]; then
    rm -rf "$partial"
  else
    if [ -e "$venv" ]; then discard "$venv"; fi
    publish "$partial" "$venv"
    found="$(helper find "$cache" "${locks[@]}")"
    if [ "${found%% *}" != ok ]; then
      echo "::error title=mlflow-ci::could not put the new venv in place at $venv: is $cache writable?"
      exit 1
    fi
  fi
  helper prune "$cache" "$venv" "${locks[@]}"
fi
# For an `actions/cache` save step after the action (README, "Caching the venv on hosted runners").
if [ -n "${GITHUB_ENV:-}" ]; then echo "MLFLOW_CI_VENV_KEY=${venv##*/venv-}" >> "$GITHUB_ENV"; fi
echo "python=$(venv_python "$venv")" >> "${GITHUB_OUTPUT:-/dev/stdout}"
