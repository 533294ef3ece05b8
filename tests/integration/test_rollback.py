"""`command: rollback` against a real `mlflow server`: by the ledger, to a named version, refused when the
target's files are gone; every move in the ledger, in order."""

from __future__ import annotations

from tests.helpers import gh
from tests.helpers.model_files import delete_model_files
from tests.helpers.registry_state import snapshot
from tests.helpers.steps import run_step
from tests.integration.promotion import candidate, ci_args, new_model


def _rollback(tmp_path, model, *extra):
    args = ["rollback", "--model-name", model.name, "--stage", "Production", *extra]
    return run_step(tmp_path, model.server, args)


def test_promote_three_roll_back_twice_and_refuse_a_version_without_files(tmp_path, mlflow_server):
    model = new_model(mlflow_server)
    runs = []
    for n, accuracy in enumerate((0.80, 0.85, 0.90), start=1):
        runs.append(candidate(mlflow_server, model.experiment, accuracy, str(n)))
        args = ci_args(mlflow_server, model.experiment, model.name)[3:]
        step = run_step(tmp_path, mlflow_server, args, extra_env={"GITHUB_RUN_ID": str(n)})
        assert step.code == 0 and step.outputs["model_version"] == str(n), step.log
    assert snapshot(mlflow_server, model.name).alias("production") == "3"

    back = _rollback(tmp_path, model)
    assert back.code == 0, back.log
    assert (back.outputs["model_version"], back.outputs["previous_version"]) == ("2", "3")
    state = snapshot(mlflow_server, model.name)
    assert state.alias("production") == "2" and state.in_stage("Production") == ["2"]
    assert "Ledger" in back.summary and "rollback" in back.summary

    to_one = _rollback(tmp_path, model, "--to-version", "1")
    assert to_one.code == 0, to_one.log
    assert (to_one.outputs["model_version"], to_one.outputs["previous_version"]) == ("1", "2")

    delete_model_files(mlflow_server, runs[2])
    refused = _rollback(tmp_path, model, "--to-version", "3")
    assert refused.code != 0 and len(refused.errors) == 1, refused.log
    assert "MLmodel" in refused.errors[0] and "version 3" in refused.errors[0]

    missing = _rollback(tmp_path, model, "--to-version", "9")
    assert missing.code == 2 and "to-version" in missing.errors[0], missing.log

    state = snapshot(mlflow_server, model.name)
    assert state.alias("production") == "1" and state.in_stage("Production") == ["1"]
    assert [(e["what"], e["version"], e["previous"]) for e in state.ledger] == [
        ("promote", "1", ""),
        ("promote", "2", "1"),
        ("promote", "3", "2"),
        ("rollback", "2", "3"),
        ("rollback", "1", "2"),
    ]
    runs_of_moves = [e["run_url"].rsplit("/", 1)[-1] for e in state.ledger]
    assert runs_of_moves == ["1", "2", "3", "4242", "4242"]
    assert all(e["run_url"].startswith(f"https://github.com/{gh.REPO}/actions/runs/") for e in state.ledger)
    assert {e["commit"] for e in state.ledger} == {gh.HEAD_SHA}
    tags = {version: dict(pairs) for version, pairs in state.version_tags}
    assert '"what":"rollback"' in tags["1"]["mlflow_ci.entered.production"]
    assert '"by":"1"' in tags["2"]["mlflow_ci.left.production"]
    assert state.locks == ()


def test_rollback_with_nothing_before_the_first_promotion_asks_for_to_version(tmp_path, mlflow_server):
    model = new_model(mlflow_server)
    candidate(mlflow_server, model.experiment, 0.8, "4242")  # run_step's workflow run
    step = run_step(tmp_path, mlflow_server, ci_args(mlflow_server, model.experiment, model.name)[3:])
    assert step.code == 0, step.log
    refused = _rollback(tmp_path, model)
    assert refused.code == 2 and "to-version" in refused.errors[0], refused.log
