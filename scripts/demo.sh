#!/usr/bin/env bash
# Quick start: train the example news sweep (TF-IDF + linear models on the small sample shipped in
# examples/news/data) into the embedded sqlite store, then run the main job on it, first as a pull request
# would (train, find, gate; nothing registered), then as a push to main would (version registered).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/dev-env.sh
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p demo && cd demo
export MLFLOW_TRACKING_URI="sqlite:///mlflow.db"
args=(--experiment-name news-classification --metric accuracy --threshold 0.8 --min-improvement 0
      --model-name "News Classification Model" --stage Production)
echo "== as on a pull request: train the sweep (one run per candidate), find the best, gate it"
GITHUB_EVENT_NAME=pull_request mlflow-ci ci "${args[@]}" --sweep-config ../examples/news/sweep-sample.yml
echo; echo "== as on a push to main (register: always stands in for it here)"
mlflow-ci ci "${args[@]}" --register always --json
echo; echo "== the report a pull request gets (the step summary / PR comment), also written as files"
mlflow-ci report "${args[@]}" >/dev/null 2>&1
cat mlflow-ci-report/quickstart-iris/report.md
echo "(and demo/mlflow-ci-report/quickstart-iris/metrics.json)"
echo; echo "The store is demo/mlflow.db; browse it with: .venv/bin/mlflow ui --backend-store-uri sqlite:///demo/mlflow.db"
