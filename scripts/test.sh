#!/usr/bin/env bash
# The test command (README, .ci/run): installs what it needs, then lint, interface check and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/dev-env.sh
export PATH="$PWD/.venv/bin:$PATH"
bash scripts/lint.sh
python -m pytest "$@"
