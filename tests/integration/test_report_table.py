"""The report's table of runs shows what differs: the estimator's distinguishing tail (not a common prefix
cut off), a short run id and start time on every row; and a tie with production is called a tie."""

from __future__ import annotations

import re

from tests.helpers import gh
from tests.helpers.cli import clean_environ, run_main
from tests.helpers.markdown import render, tables
from tests.helpers.mlflow_runs import log_run, unique

PIPELINE = "sklearn.feature_extraction.text.TfidfVectorizer+"  # as the sweep logs a pipeline's steps


def test_rows_show_the_estimator_tail_a_short_run_id_and_a_start_time(tmp_path, mlflow_server):
    experiment = unique("news")
    estimators = [
        "sklearn.linear_model.LogisticRegression",
        "sklearn.svm.LinearSVC",
        "sklearn.naive_bayes.MultinomialNB",
    ]
    ids = [
        log_run(mlflow_server, experiment, {"accuracy": 0.9}, model="none", params={"estimator": PIPELINE + e})
        for e in estimators
    ]
    # The same score and params as the last: the newest of a tie is the best run, and the best needs a model.
    twin = log_run(mlflow_server, experiment, {"accuracy": 0.9}, params={"estimator": PIPELINE + estimators[2]})
    workspace = tmp_path / "workspace"
    step = gh.step_env(tmp_path / "step", "push", gh.push_event("main"))
    environ = {**clean_environ(tmp_path), **step.environ, "GITHUB_WORKSPACE": str(workspace)}
    args = ["report", "--tracking-uri", mlflow_server, "--experiment-name", experiment, "--metric", "accuracy"]
    assert run_main(args, environ).code == 0
    report = (workspace / "mlflow-ci-report" / experiment / "report.md").read_text(encoding="utf-8")
    runs = next(t for t in tables(render(report)) if "estimator" in t.header)
    cells = runs.column("estimator")
    assert sorted(cells) == sorted(["…LogisticRegression", "…LinearSVC", "…MultinomialNB", "…MultinomialNB"])
    for run_id in [*ids, twin]:
        row = next(r for r in runs.rows if run_id[:8] in " ".join(r))
        assert re.search(r"\b\d\d:\d\d\b", " ".join(row)), row
    assert len({" ".join(r) for r in runs.rows}) == 4  # identical runs are told apart


def test_a_tie_with_production_is_called_a_tie(tmp_path, mlflow_server):
    experiment, model = unique("news"), unique("Model")
    log_run(mlflow_server, experiment, {"accuracy": 0.9})
    environ = clean_environ(tmp_path)
    base = [
        "--tracking-uri",
        mlflow_server,
        "--experiment-name",
        experiment,
        "--metric",
        "accuracy",
        "--model-name",
        model,
    ]
    assert run_main(["ci", *base, "--register", "always", "--alias", "production"], environ).code == 0
    log_run(mlflow_server, experiment, {"accuracy": 0.9})  # the same score, a newer run
    answer = run_main(["gate", *base, "--alias", "production", "--min-improvement", "0"], environ)
    assert answer.code == 0, answer.output
    assert "ties production" in answer.output
    assert "beats production" not in answer.output
