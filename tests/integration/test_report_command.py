"""The report against a real `mlflow server`: the top runs from one search, links into the MLflow UI, the
`report` command's files, and the step summary of `ci`."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from mlflow import MlflowClient

from mlflow_ci import inputs as params
from mlflow_ci import step
from mlflow_ci.github.context import load_context
from tests.helpers import gh
from tests.helpers.markdown import mermaid_blocks, parse_xychart, render, tables
from tests.helpers.mlflow_runs import log_run, unique
from tests.helpers.steps import run_cli_step as run_step


@pytest.fixture
def experiment(mlflow_server: str) -> str:
    return unique("exp")


def seed(server: str, experiment: str) -> list[str]:
    """12 competing runs (the best with a model), plus runs that must not compete. Run ids, best first."""
    ranked = [log_run(server, experiment, {"accuracy": 0.95}, params={"team": "nlp", "depth": "9"})]
    for i in range(11):
        ranked.append(
            log_run(
                server, experiment, {"accuracy": 0.90 - i / 100}, model="none", params={"team": "nlp", "depth": str(i)}
            )
        )
    log_run(server, experiment, {"accuracy": 0.99}, model="none", params={"team": "vision"})  # filtered out
    log_run(server, experiment, {"accuracy": 0.98}, model="none", params={"team": "nlp"}, status="FAILED")
    log_run(server, experiment, {"f1": 0.97}, model="none", params={"team": "nlp"})  # no accuracy
    return ranked


def report_args(server: str, experiment: str, *extra: str) -> list[str]:
    return [
        "report", "--tracking-uri", server, "--experiment-name", experiment, "--metric", "accuracy",
        "--filter", "params.team = 'nlp'", *extra,
    ]  # fmt: skip


def test_report_writes_the_summary_and_metrics_json_to_the_workspace(tmp_path, mlflow_server, experiment):
    ranked = seed(mlflow_server, experiment)
    workspace = tmp_path / "workspace"
    step = run_step(tmp_path, report_args(mlflow_server, experiment, "--threshold", "0.9"),
                    env={"GITHUB_WORKSPACE": str(workspace)})  # fmt: skip
    assert step.code == 0, step.log
    directory = workspace / "mlflow-ci-report" / experiment
    assert step.outputs["report_path"] == str(directory)
    assert (directory / "report.md").read_text() == step.summary

    document = json.loads((directory / "metrics.json").read_text())
    experiment_id = step.outputs["experiment_id"]
    assert [c["run_id"] for c in document["candidates"]] == ranked[:10]
    assert [c["value"] for c in document["candidates"]] == sorted(
        (c["value"] for c in document["candidates"]), reverse=True
    )
    assert document["candidates"][3]["url"] == f"{mlflow_server}/#/experiments/{experiment_id}/runs/{ranked[3]}"
    assert document["candidates"][3]["params"] == {"team": "nlp", "depth": "2"}
    assert document["best_run"]["run_id"] == ranked[0] and document["gate"]["passed"] is True
    assert document["threshold"] == {"value": 0.9, "margin": pytest.approx(0.05)}
    assert document["search"] == {"scope": "experiment", "filter": "params.team = 'nlp'"}

    rendered = render(step.summary)
    table = tables(rendered)[1]
    assert table.column("#")[0] == "1 🏆" and len(table.rows) == 10 and table.header[3:] == ["depth"]
    assert f'href="{mlflow_server}/#/experiments/{experiment_id}/runs/{ranked[9]}"' in rendered
    chart = parse_xychart(mermaid_blocks(rendered)[0])
    assert chart.bars == [pytest.approx([c["value"] for c in document["candidates"]])]
    assert chart.lines == [[0.9] * 10]


def test_best_run_and_candidates_come_from_one_search(mlflow_server, experiment):
    ranked = seed(mlflow_server, experiment)
    calls = []

    class Counting(MlflowClient):
        def search_runs(self, *args, **kwargs):
            calls.append(kwargs)
            return super().search_runs(*args, **kwargs)

    values = {**params.raw_values({}, {}), "tracking-uri": mlflow_server, "experiment-name": experiment,
              "metric": "accuracy", "filter": "params.team = 'nlp'", "command": "best-run"}  # fmt: skip
    result = step.select_and_promote(params.parse(values), load_context({}), Counting(mlflow_server), None)
    assert [c.run_id for c in result.candidates] == ranked[:10] and result.run_id == ranked[0]
    assert len(calls) == 1 and calls[0]["max_results"] == 10


def test_report_never_registers_and_never_fails_on_the_gate(tmp_path, mlflow_server, experiment):
    log_run(mlflow_server, experiment, {"accuracy": 0.8}, params={"team": "nlp"})
    name = unique("Model")
    step = run_step(
        tmp_path,
        report_args(mlflow_server, experiment, "--threshold", "0.9", "--model-name", name, "--alias", "production",
                    "--register", "always"),
        env={"GITHUB_WORKSPACE": str(tmp_path / "ws")},
    )  # fmt: skip
    assert step.code == 0, step.log
    assert not [line for line in step.stdout.splitlines() if line.startswith(("::error", "::warning"))]
    assert step.outputs["passed"] == "false" and step.outputs["registered"] == "false"
    assert "accuracy 0.8 failed the gate" in step.summary
    assert "Not registered: the report command never registers." in step.summary
    assert MlflowClient(mlflow_server).search_registered_models(f"name='{name}'") == []


def test_report_outside_a_runner_writes_to_the_current_directory(tmp_path, mlflow_server, experiment, monkeypatch):
    log_run(mlflow_server, experiment, {"accuracy": 0.8}, params={"team": "nlp"})
    monkeypatch.chdir(tmp_path)
    step = run_step(tmp_path / "steps", report_args(mlflow_server, experiment))
    assert step.code == 0, step.log
    assert Path(step.outputs["report_path"]) == tmp_path / "mlflow-ci-report" / experiment
    assert (tmp_path / "mlflow-ci-report" / experiment / "metrics.json").is_file()


def test_ci_writes_report_files_only_on_a_runner(tmp_path, mlflow_server, experiment, monkeypatch):
    log_run(mlflow_server, experiment, {"accuracy": 0.8})
    monkeypatch.chdir(tmp_path)
    args = ["ci", "--tracking-uri", mlflow_server, "--experiment-name", experiment, "--metric", "accuracy",
            "--register", "never"]  # fmt: skip
    local = run_step(tmp_path / "steps", args)
    assert local.code == 0 and local.outputs["report_path"] == ""
    assert not (tmp_path / "mlflow-ci-report").exists()
    on_runner = run_step(tmp_path / "steps", args, env={"GITHUB_WORKSPACE": str(tmp_path / "ws")})
    assert on_runner.outputs["report_path"] == str(tmp_path / "ws" / "mlflow-ci-report" / experiment)


def test_an_unwritable_workspace(tmp_path, mlflow_server, experiment):
    log_run(mlflow_server, experiment, {"accuracy": 0.8}, params={"team": "nlp"})
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    env = {"GITHUB_WORKSPACE": str(blocked)}
    report = run_step(tmp_path, report_args(mlflow_server, experiment), env=env)
    assert report.code == 1
    errors = [line for line in report.stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and errors[0].startswith(f"::error title=report::cannot write the report to {blocked}")
    args = ["ci", "--tracking-uri", mlflow_server, "--experiment-name", experiment, "--metric", "accuracy",
            "--register", "never"]  # fmt: skip
    ci = run_step(tmp_path, args, env=env)
    assert ci.code == 0 and "::warning title=report::cannot write the report to" in ci.stdout
    assert "Traceback" not in report.log + ci.log


def test_ci_summary_links_production_and_the_registered_version(tmp_path, mlflow_server, experiment):
    name = unique("News Model")
    args = ["ci", "--tracking-uri", mlflow_server, "--experiment-name", experiment, "--metric", "accuracy",
            "--model-name", name, "--stage", "Production", "--min-improvement", "0.01"]  # fmt: skip
    log_run(mlflow_server, experiment, {"accuracy": 0.80})
    first = run_step(tmp_path, args)
    assert first.code == 0, first.log
    version_1 = f"{mlflow_server}/#/models/{quote(name, safe='')}/versions/1"
    assert f"Registered version **1** of `{name}`, alias `production`. [Open in MLflow]({version_1})" in first.summary
    assert first.summary.startswith("### ✅ mlflow-ci: accuracy 0.8 passed the gate (no model in production yet)")

    log_run(mlflow_server, experiment, {"accuracy": 0.86})
    pull = run_step(tmp_path, args, "pull_request", gh.pull_request_event())
    assert pull.code == 0, pull.log
    production = {row[0]: row for row in tables(render(pull.summary))[0].rows}["🚀 production"]
    assert production[1:] == ["version 1 (alias production)", "0.8", "+0.06 ✅ (needs +0.01)"]
    assert f"[version 1]({version_1})" in pull.summary
    assert "would be registered on a push to the default branch" in pull.summary.splitlines()[0]
