#!/usr/bin/env bash
# The test command (README, .ci/run): installs what it needs, then lint, interface check and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/dev-env.sh
export PATH="$PWD/.venv/bin:$PATH"
ruff check .
ruff format --check .
python scripts/sync_interface.py --check
python -m pytest "$@"
