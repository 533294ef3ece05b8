#!/usr/bin/env bash
# Quick start: one story, the same every time. It starts from a fresh store, trains the example news sweep
# (TF-IDF + linear models on the small sample shipped in examples/news/data) into it, and runs the main job
# as a pull request would (train, find, gate: nothing registered) and as a push to main would (version 1
# registered); then it shows the report the pull request gets. GitHub is simulated: each section says how.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/dev-env.sh
export PATH="$PWD/.venv/bin:$PATH"
root="$PWD"
demo_dir="${DEMO_DIR:-demo}"  # the tests point it elsewhere
mkdir -p "$demo_dir" && cd "$demo_dir"
# A fresh store each time: what an earlier demo left here (only the demo's own files) goes first.
rm -rf mlflow.db mlartifacts mlruns mlflow-ci-report
store="sqlite:///$PWD/mlflow.db"
unset MLFLOW_TRACKING_URI  # the store is given as the tracking-uri input, as a workflow would
for name in $(compgen -e | grep -E '^(GITHUB_|INPUT_|RUNNER_)' || true); do unset "$name"; done
args=(--tracking-uri "$store" --experiment-name news-classification --metric accuracy --threshold 0.8
      --min-improvement 0 --model-name "News Classification Model" --stage Production)
echo "== The store: a fresh one at $PWD/mlflow.db"
echo
echo "== 1. As on a pull request (simulated: GITHUB_EVENT_NAME=pull_request on this machine)"
echo "   train the sweep (one run per candidate), find the best run, gate it; a pull request registers nothing"
GITHUB_EVENT_NAME=pull_request mlflow-ci ci "${args[@]}" --sweep-config "$root/examples/news/sweep-sample.yml"
echo
echo "== 2. The report that pull request gets (its step summary and PR comment; simulated: written to files here)"
report_path="$(GITHUB_EVENT_NAME=pull_request mlflow-ci report "${args[@]}" --json 2>/dev/null |
  python -c 'import json, sys; print(json.load(sys.stdin)["report_path"])')"
# The chart is Mermaid, which GitHub draws; a terminal gets one line in its place.
python - "$report_path/report.md" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
print(re.sub(r"```mermaid\n.*?```\n", "[a bar chart of the runs: GitHub draws it from report.md]\n", text, flags=re.S))
EOF
echo "(the same as $report_path/report.md, with $report_path/metrics.json)"
echo
echo "== 3. As on a push to main (simulated: --register always stands in for the push)"
echo "   the same runs, found and gated again; this time version 1 is registered and promoted"
mlflow-ci ci "${args[@]}" --register always
echo
echo "The store is $PWD/mlflow.db; browse it with: $root/.venv/bin/mlflow ui --backend-store-uri $store"
echo "Run the demo again and it starts over from a fresh store."
