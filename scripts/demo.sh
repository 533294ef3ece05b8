#!/usr/bin/env bash
# Quick start: train three example models into the embedded sqlite store, then run the main job on them,
# first as a pull request would (nothing registered), then as a push to main would (version registered).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/dev-env.sh
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p demo && cd demo
export MLFLOW_TRACKING_URI="sqlite:///mlflow.db"
python ../examples/quickstart/seed_runs.py
args=(--experiment-name quickstart-iris --metric accuracy --threshold 0.9 --min-improvement 0
      --model-name "Iris Classifier" --stage Production)
echo; echo "== as on a pull request: find, gate, say what would be registered"
GITHUB_EVENT_NAME=pull_request mlflow-ci ci "${args[@]}"
echo; echo "== as on a push to main (register: always stands in for it here)"
mlflow-ci ci "${args[@]}" --register always --json
echo; echo "== the report a pull request gets (the step summary / PR comment), also written as files"
mlflow-ci report "${args[@]}" >/dev/null 2>&1
cat mlflow-ci-report/quickstart-iris/report.md
echo "(and demo/mlflow-ci-report/quickstart-iris/metrics.json)"
echo; echo "The store is demo/mlflow.db; browse it with: .venv/bin/mlflow ui --backend-store-uri sqlite:///demo/mlflow.db"
