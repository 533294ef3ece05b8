#!/usr/bin/env bash
# Compiles the hash-pinned locks from requirements/*.in with uv:
#   runtime.txt  the action's venv and the Docker image
#   train.txt    added to the action's venv when sweep-config is set; shared packages keep runtime.txt's pins
#   uv.txt       the installer scripts/action-venv.sh bootstraps on a runner that has no uv
# Pins already in a lock are kept (uv reads the output file as preferences), so adding a package to a .in
# file moves nothing else. Extra arguments go to every `uv pip compile`, e.g. `--upgrade` or
# `--upgrade-package mlflow-skinny`.
#   bash scripts/lock.sh           write the three locks
#   bash scripts/lock.sh --check   fail when a lock is not what its .in file compiles to (CI, releases)
set -euo pipefail
cd "$(dirname "$0")/.."

uv="${UV:-$(command -v uv || echo .venv/bin/uv)}"
if ! "$uv" --version >/dev/null 2>&1; then
  echo "error: uv not found: run scripts/dev-env.sh (it installs uv into .venv) or set UV=/path/to/uv" >&2
  exit 2
fi

check=false
if [ "${1:-}" = "--check" ]; then
  check=true
  shift
fi

# --check compiles a copy of requirements/ (same relative paths, so the same text) and compares.
work="."
if $check; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  cp -R requirements "$work/"
fi

# --universal: one lock for every platform and Python >= 3.11 a runner may have (markers pick the wheel);
# --generate-hashes: every file's sha256, for `--require-hashes` installs; --no-config: no uv.toml from a
# developer's machine changes the result.
compile() {
  (cd "$work" && "$uv" pip compile --quiet --no-config --universal --python-version 3.11 --generate-hashes \
    --custom-compile-command "bash scripts/lock.sh" "$@")
}
uv="$(cd "$(dirname "$uv")" && pwd)/$(basename "$uv")"
compile "$@" requirements/runtime.in -o requirements/runtime.txt
compile "$@" requirements/train.in -c requirements/runtime.txt -o requirements/train.txt
compile "$@" requirements/uv.in -o requirements/uv.txt

if $check; then
  stale=()
  for lock in runtime.txt train.txt uv.txt; do
    cmp -s "requirements/$lock" "$work/requirements/$lock" || stale+=("requirements/$lock")
  done
  if [ ${#stale[@]} -gt 0 ]; then
    echo "error: ${stale[*]} out of date with requirements/*.in: run bash scripts/lock.sh and commit the result" >&2
    exit 1
  fi
  echo "locks up to date"
fi
