"""The fair gate through the CLI, in process, against a real `mlflow server` with real scikit-learn models:
eval-data re-scores both models and the gate uses those numbers; an interval that includes zero keeps
production; logged metrics from different data versions are "not comparable" (a failed gate with
require-same-data); run-id promotes exactly that run; a DVC-tracked eval-data's digest is its md5."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from mlflow_ci.tracking.tags import TAG_DVC_LOCK
from tests.helpers.eval_models import log_model, register, task_rows, write_csv
from tests.helpers.markdown import render, tables
from tests.helpers.mlflow_runs import log_run, unique
from tests.helpers.steps import flags, run_step

BIN = Path(sys.executable).parent


def gate_step(tmp_path: Path, server: str, workspace: Path, experiment: str, **options: str):
    args = flags("ci", experiment, **options)
    return run_step(tmp_path, server, args, extra_env={"GITHUB_WORKSPACE": str(workspace)})


def test_champion_logged_on_other_data_is_rescored_on_eval_data(tmp_path: Path, mlflow_server: str) -> None:
    experiment, name = unique("fair"), unique("Model")
    workspace = tmp_path / "repo"
    # Production: trained and logged on data B (noisy labels), where it logged accuracy 0.83.
    champion = log_model(
        mlflow_server,
        unique("older"),
        DecisionTreeClassifier(max_depth=2),
        task_rows(1500, 2, 0.25),
        {"accuracy": 0.83},
    )
    register(mlflow_server, name, champion)
    # The challenger logged a lower number on data A: compared as logged, it would lose.
    challenger = log_model(mlflow_server, experiment, LogisticRegression(), task_rows(1500, 1), {"accuracy": 0.8})
    path = write_csv(task_rows(600, 3), workspace / "data" / "holdout.csv")

    step = gate_step(
        tmp_path,
        mlflow_server,
        workspace,
        experiment,
        model_name=name,
        stage="Production",
        min_improvement="0",
        eval_data="data/holdout.csv",
        eval_target="label",
        confidence="0.95",
    )

    assert step.code == 0, step.log
    out = step.outputs
    assert out["run_id"] == challenger.run_id
    assert out["passed"] == "true" and out["model_version"] == "2"
    assert out["eval_data_digest"] == hashlib.sha256(path.read_bytes()).hexdigest()[:36]
    assert out["comparable"] == "true"
    champion_score, delta = float(out["champion_metric_value"]), float(out["metric_delta"])
    low, high = float(out["metric_delta_low"]), float(out["metric_delta_high"])
    assert champion_score != pytest.approx(0.83)  # re-scored, not the logged number
    assert 0 < low <= delta <= high
    run = MlflowClient(mlflow_server).get_run(challenger.run_id)
    assert run.data.metrics["eval/champion/accuracy"] == pytest.approx(champion_score)
    assert run.data.metrics["eval/accuracy"] - champion_score == pytest.approx(delta)
    # The summary shows both scores, the digest and the interval.
    summary = step.summary
    assert f"digest `{out['eval_data_digest']}`" in summary
    assert f"Production version 1: **{champion_score:g}** (logged: 0.83)" in summary
    assert f"95% interval {low:+.6g} to {high:+.6g}" in summary
    assert "<summary>Model card</summary>" in summary
    # The decision and the card are on the version.
    version = MlflowClient(mlflow_server).get_model_version(name, "2")
    assert version.tags["mlflow_ci.decision"] == "promoted"
    assert version.tags["mlflow_ci.decision.eval_data_digest"] == out["eval_data_digest"]
    assert version.tags["mlflow_ci.decision.champion_version"] == "1"
    assert version.tags["mlflow_ci.decision.workflow_run_url"].endswith("/actions/runs/4242")
    assert f"## Model card: {name} version 2" in version.description


def test_noise_keeps_production_and_a_clear_winner_passes(tmp_path: Path, mlflow_server: str) -> None:
    workspace = tmp_path / "repo"
    write_csv(task_rows(120, 5), workspace / "small.csv")
    train = task_rows(2000, 4)
    options = {
        "stage": "Production",
        "min_improvement": "0",
        "eval_data": "small.csv",
        "eval_target": "label",
        "confidence": "0.95",
    }

    close_name, close_experiment = unique("Close"), unique("close")
    register(mlflow_server, close_name, log_model(mlflow_server, close_experiment, LogisticRegression(), train[:1000]))
    # A different model family, as good up to the noise of 120 rows: it disagrees with production on a few rows.
    log_model(mlflow_server, close_experiment, KNeighborsClassifier(15), train, {"accuracy": 0.99})
    kept = gate_step(tmp_path, mlflow_server, workspace, close_experiment, model_name=close_name, **options)
    assert kept.code == 1, kept.log
    assert kept.errors and "the interval includes zero" in kept.errors[0]
    assert kept.outputs["passed"] == "false" and kept.outputs["registered"] == "false"
    assert float(kept.outputs["metric_delta_low"]) < 0 < float(kept.outputs["metric_delta_high"])
    assert len(MlflowClient(mlflow_server).search_model_versions(f"name='{close_name}'")) == 1

    clear_name, clear_experiment = unique("Clear"), unique("clear")
    stump = log_model(mlflow_server, clear_experiment, DummyClassifier(strategy="most_frequent"), train)
    register(mlflow_server, clear_name, stump)
    log_model(mlflow_server, clear_experiment, LogisticRegression(), train, {"accuracy": 0.99})
    passed = gate_step(tmp_path, mlflow_server, workspace, clear_experiment, model_name=clear_name, **options)
    assert passed.code == 0, passed.log
    assert passed.outputs["passed"] == "true" and passed.outputs["model_version"] == "2"
    assert float(passed.outputs["metric_delta_low"]) > 0


def test_different_dvc_data_versions_are_not_comparable(tmp_path: Path, mlflow_server: str) -> None:
    experiment, name = unique("dvcdata"), unique("Model")
    old = log_run(mlflow_server, experiment, {"accuracy": 0.8}, tags={TAG_DVC_LOCK: "a" * 64})
    client = MlflowClient(mlflow_server)
    client.create_registered_model(name)
    model_id = client.get_run(old).outputs.model_outputs[0].model_id
    client.create_model_version(name, f"models:/{model_id}", run_id=old, model_id=model_id)
    client.set_registered_model_alias(name, "production", "1")
    new = log_run(mlflow_server, experiment, {"accuracy": 0.9}, tags={TAG_DVC_LOCK: "b" * 64})
    options = {"model_name": name, "stage": "Production", "min_improvement": "0"}

    said = gate_step(tmp_path, mlflow_server, tmp_path, experiment, register="never", **options)
    assert said.code == 0, said.log
    assert said.outputs["run_id"] == new and said.outputs["comparable"] == "false"
    assert "not comparable: logged on different data (bbbbbbbbbbbb vs aaaaaaaaaaaa)" in said.summary

    refused = gate_step(tmp_path, mlflow_server, tmp_path, experiment, require_same_data="true", **options)
    assert refused.code == 1, refused.log
    assert len(refused.errors) == 1
    assert "not comparable: logged on different data (bbbbbbbbbbbb vs aaaaaaaaaaaa)" in refused.errors[0]
    assert "require-same-data is true" in refused.errors[0]
    assert [v.version for v in client.search_model_versions(f"name='{name}'")] == ["1"]  # registry untouched
    assert client.get_model_version_by_alias(name, "production").version == "1"


def test_run_id_promotes_exactly_that_run(tmp_path: Path, mlflow_server: str) -> None:
    experiment, name = unique("runid"), unique("Model")
    gated = log_run(mlflow_server, experiment, {"accuracy": 0.85})
    log_run(mlflow_server, experiment, {"accuracy": 0.99})  # a better run appears after the gate job
    step = gate_step(tmp_path, mlflow_server, tmp_path, experiment, model_name=name, stage="Production", run_id=gated)
    assert step.code == 0, step.log
    assert step.outputs["run_id"] == gated and step.outputs["model_version"] == "1"
    assert MlflowClient(mlflow_server).get_model_version_by_alias(name, "production").run_id == gated

    other = log_run(mlflow_server, unique("elsewhere"), {"accuracy": 0.5})
    wrong = gate_step(tmp_path, mlflow_server, tmp_path, experiment, model_name=name, run_id=other)
    assert wrong.code == 2 and len(wrong.errors) == 1
    assert "input 'run-id'" in wrong.errors[0] and "belongs to another experiment" in wrong.errors[0]


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"eval_data": "e.csv"}, "input 'eval-target' is empty but eval-data is set"),
        ({"confidence": "0.95"}, "input 'confidence' needs eval-data"),
        ({"eval_data": "e.csv", "eval_target": "label", "confidence": "95"}, "95 is not a confidence level"),
        ({"eval_data": "missing.csv", "eval_target": "label"}, "'missing.csv' does not exist in the workspace"),
    ],
)
def test_bad_evaluation_input_is_one_error_and_touches_nothing(
    tmp_path: Path, mlflow_server: str, options: dict[str, str], says: str
) -> None:
    experiment, name = unique("bad"), unique("Model")
    log_run(mlflow_server, experiment, {"accuracy": 0.9})
    step = gate_step(tmp_path, mlflow_server, tmp_path, experiment, model_name=name, **options)
    assert step.code == 2, step.log
    assert len(step.errors) == 1 and says in step.errors[0], step.errors
    assert "Traceback" not in step.log
    assert MlflowClient(mlflow_server).search_registered_models(f"name='{name}'") == []


@pytest.mark.skipif(not (BIN / "dvc").exists(), reason="dvc is not installed (scripts/dev-env.sh)")
def test_a_dvc_tracked_eval_data_digest_is_its_md5(tmp_path: Path, mlflow_server: str) -> None:
    workspace = tmp_path / "repo"
    write_csv(task_rows(200, 6), workspace / "data" / "holdout.csv")
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "DVC_NO_ANALYTICS": "1"}
    for argv in (
        ["git", "init", "-q"],
        [str(BIN / "dvc"), "init", "-q"],
        [str(BIN / "dvc"), "add", "data/holdout.csv"],
    ):
        subprocess.run(argv, cwd=workspace, env=env, check=True, capture_output=True, timeout=300)
    md5 = yaml.safe_load((workspace / "data" / "holdout.csv.dvc").read_text())["outs"][0]["md5"]
    experiment = unique("dvc-eval")
    log_model(mlflow_server, experiment, LogisticRegression(), task_rows(400, 7), {"accuracy": 0.9})

    step = run_step(
        tmp_path,
        mlflow_server,
        flags(
            "gate",
            experiment,
            model_name=unique("Model"),
            eval_data="data/holdout.csv",
            eval_target="label",
            dvc="false",
        ),
        extra_env={"GITHUB_WORKSPACE": str(workspace)},
    )

    assert step.code == 0, step.log
    assert step.outputs["eval_data_digest"] == md5
    assert "DVC md5 from data/holdout.csv.dvc" in step.summary
    [card_table] = [t for t in tables(render(step.summary)) if t.header == ["data", "version"]]
    assert card_table.rows[0][1] == f"{md5} (DVC md5 from data/holdout.csv.dvc)"
