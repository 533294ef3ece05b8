#!/usr/bin/env bash
# Quick start: train the example news sweep (TF-IDF + linear models on the small sample shipped in
# examples/news/data) into the embedded sqlite store, then run the main job on it, first as a pull request
# would (train, find, gate; nothing registered), then as a push to main would (version registered).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/dev-env.sh
export PATH="$PWD/.venv/bin:$PATH"
root="$PWD"
demo_dir="${DEMO_DIR:-demo}"  # the tests point it elsewhere
mkdir -p "$demo_dir" && cd "$demo_dir"
export MLFLOW_TRACKING_URI="sqlite:///mlflow.db"
args=(--experiment-name news-classification --metric accuracy --threshold 0.8 --min-improvement 0
      --model-name "News Classification Model" --stage Production)
echo "== as on a pull request: train the sweep (one run per candidate), find the best, gate it"
GITHUB_EVENT_NAME=pull_request mlflow-ci ci "${args[@]}" --sweep-config "$root/examples/news/sweep-sample.yml"
echo; echo "== as on a push to main (register: always stands in for it here)"
mlflow-ci ci "${args[@]}" --register always --json
echo; echo "== the report a pull request gets (the step summary / PR comment), also written as files"
report_path="$(mlflow-ci report "${args[@]}" --json 2>/dev/null | python -c 'import json, sys; print(json.load(sys.stdin)["report_path"])')"
cat "$report_path/report.md"
echo "(and $report_path/metrics.json)"
echo; echo "The store is $PWD/mlflow.db; browse it with: .venv/bin/mlflow ui --backend-store-uri sqlite:///$PWD/mlflow.db"
