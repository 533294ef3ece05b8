"""The CLI against a real `mlflow server`: search, gate and registration as a workflow step runs them."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from mlflow import MlflowClient

from tests.helpers import gh
from tests.helpers.mlflow_runs import log_run, unique
from tests.helpers.steps import flags, run_step


@pytest.fixture
def experiment(mlflow_server: str) -> str:
    return unique("exp")


@pytest.fixture
def model_name() -> str:
    return unique("Model")


def registry_versions(server: str, name: str) -> list:
    return MlflowClient(server).search_model_versions(f"name='{name}'")


def test_best_run_is_found_server_side_in_either_direction(tmp_path, mlflow_server, experiment):
    low = log_run(mlflow_server, experiment, {"accuracy": 0.70, "rmse": 3.0})
    high = log_run(mlflow_server, experiment, {"accuracy": 0.90, "rmse": 5.0})
    log_run(mlflow_server, experiment, {"f1": 0.99})  # without the metric: ignored
    log_run(mlflow_server, experiment, {"accuracy": 0.99}, status="FAILED")  # not finished: ignored
    best = run_step(tmp_path, mlflow_server, flags("best-run", experiment))
    assert best.code == 0, best.stdout
    assert best.outputs["run_id"] == high and best.outputs["metric_value"] == "0.9"
    assert best.outputs["model_uri"].startswith("models:/m-")
    assert best.outputs["run_url"] == f"{mlflow_server}/#/experiments/{best.outputs['experiment_id']}/runs/{high}"
    assert best.outputs["passed"] == "" and best.outputs["registered"] == "false"
    lowest = run_step(tmp_path, mlflow_server, flags("best-run", experiment, "rmse", greater_is_better="false"))
    assert lowest.outputs["run_id"] == low


def test_filter_is_anded_and_bad_filter_names_the_input(tmp_path, mlflow_server, experiment):
    log_run(mlflow_server, experiment, {"accuracy": 0.95}, params={"family": "tree"})
    linear = log_run(mlflow_server, experiment, {"accuracy": 0.80}, params={"family": "linear"})
    args = flags("best-run", experiment)
    assert (
        run_step(tmp_path, mlflow_server, [*args, "--filter", "params.family = 'linear'"]).outputs["run_id"] == linear
    )
    bad = run_step(tmp_path, mlflow_server, [*args, "--filter", "params.family = 'linear' or metrics.x > 1"])
    assert bad.code == 2
    assert bad.stdout.startswith("::error title=input filter::input 'filter' is not valid MLflow search syntax")


def test_scope_commit_and_workflow_run(tmp_path, mlflow_server, experiment):
    log_run(mlflow_server, experiment, {"accuracy": 0.99})  # better, but from another commit
    by_git_tag = log_run(mlflow_server, experiment, {"accuracy": 0.80}, tags={"mlflow.source.git.commit": gh.HEAD_SHA})
    args = flags("best-run", experiment)
    assert run_step(tmp_path, mlflow_server, [*args, "--scope", "commit"]).outputs["run_id"] == by_git_tag
    by_action_tag = log_run(mlflow_server, experiment, {"accuracy": 0.70}, tags={"mlflow_ci.commit": gh.HEAD_SHA})
    assert run_step(tmp_path, mlflow_server, [*args, "--scope", "commit"]).outputs["run_id"] == by_action_tag
    of_this_run = log_run(mlflow_server, experiment, {"accuracy": 0.60}, tags={"mlflow_ci.workflow_run_id": "4242"})
    assert run_step(tmp_path, mlflow_server, [*args, "--scope", "workflow-run"]).outputs["run_id"] == of_this_run


def test_classic_run_artifact_models_are_found(tmp_path, mlflow_server, experiment):
    run_id = log_run(mlflow_server, experiment, {"accuracy": 0.9}, model="classic")
    step = run_step(tmp_path, mlflow_server, flags("best-run", experiment))
    assert step.outputs["model_uri"] == f"runs:/{run_id}/model"


def test_a_best_run_without_a_model_is_an_error(tmp_path, mlflow_server, experiment):
    run_id = log_run(mlflow_server, experiment, {"accuracy": 0.9}, model="none")
    step = run_step(tmp_path, mlflow_server, flags("best-run", experiment))
    assert step.code == 1
    assert step.stdout == (
        f"::error title=no logged model::the best run {run_id} (accuracy=0.9) has no logged model: "
        'log one in the run, e.g. mlflow.sklearn.log_model(model, name="model")\n'
    )


def test_missing_experiment_and_no_matching_run(tmp_path, mlflow_server, experiment):
    missing = run_step(tmp_path, mlflow_server, flags("best-run", experiment, "acc"))
    assert missing.code == 2 and "input 'experiment-name'" in missing.stdout and "does not exist" in missing.stdout
    assert missing.summary.startswith("### ❌ mlflow-ci: input experiment-name\n\ninput 'experiment-name' '")
    log_run(mlflow_server, experiment, {"f1": 0.5})
    none = run_step(tmp_path, mlflow_server, flags("best-run", experiment))
    assert none.code == 1 and "has the metric 'accuracy'" in none.stdout


def ci_args(experiment: str, model_name: str, *extra: str) -> list[str]:
    return [*flags("ci", experiment, model_name=model_name, stage="Production"), *extra]


def test_push_to_main_registers_once_with_alias_stage_and_tags(tmp_path, mlflow_server, experiment, model_name):
    run_id = log_run(mlflow_server, experiment, {"accuracy": 0.91})
    first = run_step(tmp_path, mlflow_server, ci_args(experiment, model_name, "--threshold", "0.85"))
    assert first.code == 0, first.stdout
    assert first.outputs == {
        "run_id": run_id,
        "experiment_id": first.outputs["experiment_id"],
        "metric_value": "0.91",
        "model_uri": f"models:/{model_name}/1",
        "passed": "true",
        "registered": "true",
        "model_version": "1",
        "previous_version": "",
        "run_url": first.outputs["run_url"],
        "report_path": "",  # written on a runner, where GITHUB_WORKSPACE is set
        "comment_url": "",  # a push has no pull request to comment on
        "trained_run_ids": "",
        "model_version_url": f"{mlflow_server}/#/models/{quote(model_name, safe='')}/versions/1",
        # Nothing was in production: no champion, so no comparison, and no evaluation data.
        "champion_metric_value": "",
        "metric_delta": "",
        "metric_delta_low": "",
        "metric_delta_high": "",
        "eval_data_digest": "",
        "comparable": "",
    }
    client = MlflowClient(mlflow_server)
    version = client.get_model_version_by_alias(model_name, "production")
    assert (version.version, version.run_id, version.current_stage) == ("1", run_id, "Production")
    assert version.tags["mlflow_ci.commit"] == gh.HEAD_SHA and version.tags["mlflow_ci.ref"] == "refs/heads/main"
    assert version.tags["mlflow_ci.workflow_run_url"] == f"https://github.com/{gh.REPO}/actions/runs/4242"
    assert "Registered version **1**" in first.summary

    again = run_step(
        tmp_path, mlflow_server, ci_args(experiment, model_name, "--threshold", "0.85", "--min-improvement", "0.01")
    )
    assert again.code == 0, again.stdout
    assert again.outputs["model_version"] == "1" and again.outputs["previous_version"] == ""
    assert len(registry_versions(mlflow_server, model_name)) == 1


def test_a_better_run_replaces_production_and_archives_the_old_version(tmp_path, mlflow_server, experiment, model_name):
    log_run(mlflow_server, experiment, {"accuracy": 0.80})
    assert run_step(tmp_path, mlflow_server, ci_args(experiment, model_name)).outputs["model_version"] == "1"
    better = log_run(mlflow_server, experiment, {"accuracy": 0.86})
    second = run_step(tmp_path, mlflow_server, ci_args(experiment, model_name, "--min-improvement", "0.05"))
    assert second.code == 0, second.stdout
    assert (second.outputs["model_version"], second.outputs["previous_version"]) == ("2", "1")
    client = MlflowClient(mlflow_server)
    assert client.get_model_version_by_alias(model_name, "production").run_id == better
    assert client.get_model_version(model_name, "1").current_stage == "Archived"
    assert client.get_model_version(model_name, "2").current_stage == "Production"
    rerun = run_step(tmp_path, mlflow_server, ci_args(experiment, model_name, "--min-improvement", "0.05"))
    assert (rerun.outputs["model_version"], rerun.outputs["previous_version"]) == ("2", "1")


def test_not_beating_production_fails_and_leaves_the_registry_alone(tmp_path, mlflow_server, experiment, model_name):
    log_run(mlflow_server, experiment, {"accuracy": 0.80})
    run_step(tmp_path, mlflow_server, ci_args(experiment, model_name))
    log_run(mlflow_server, experiment, {"accuracy": 0.82})
    step = run_step(tmp_path, mlflow_server, ci_args(experiment, model_name, "--min-improvement", "0.05"))
    assert step.code == 1
    assert step.outputs["passed"] == "false" and step.outputs["registered"] == "false"
    errors = [line for line in step.stdout.splitlines() if line.startswith("::error")]
    assert errors == [
        "::error title=gate failed::accuracy 0.82 vs 0.8 of version 1 (alias production), margin 0.05: "
        "does not beat production"
    ]
    assert len(registry_versions(mlflow_server, model_name)) == 1


def test_threshold_above_the_best_fails_the_step_and_registers_nothing(tmp_path, mlflow_server, experiment, model_name):
    log_run(mlflow_server, experiment, {"accuracy": 0.91})
    step = run_step(tmp_path, mlflow_server, ci_args(experiment, model_name, "--threshold", "0.95"))
    assert step.code == 1 and step.outputs["passed"] == "false"
    assert "misses the threshold 0.95" in step.stdout and "Not registered: the gate failed." in step.summary
    assert registry_versions(mlflow_server, model_name) == []
    assert MlflowClient(mlflow_server).search_registered_models(f"name='{model_name}'") == []


def test_fail_on_gate_false_reports_and_goes_on(tmp_path, mlflow_server, experiment, model_name):
    log_run(mlflow_server, experiment, {"accuracy": 0.91})
    step = run_step(
        tmp_path, mlflow_server, ci_args(experiment, model_name, "--threshold", "0.95", "--fail-on-gate", "false")
    )
    assert step.code == 0 and step.outputs["passed"] == "false" and step.outputs["registered"] == "false"
    assert "::warning title=gate failed::" in step.stdout
    assert registry_versions(mlflow_server, model_name) == []


@pytest.mark.parametrize(
    "event_name,event,reason",
    [
        ("pull_request", gh.pull_request_event(), "pull_request: registration runs only on pushes to main"),
        ("push", gh.push_event("feature/x"), "push to refs/heads/feature/x: registration runs only on pushes to main"),
    ],
)
def test_no_registration_off_main(tmp_path, mlflow_server, experiment, model_name, event_name, event, reason):
    run_id = log_run(mlflow_server, experiment, {"accuracy": 0.91})
    step = run_step(tmp_path, mlflow_server, ci_args(experiment, model_name), event_name, event)
    assert step.code == 0 and step.outputs["run_id"] == run_id and step.outputs["passed"] == "true"
    assert step.outputs["registered"] == "false" and step.outputs["model_version"] == ""
    assert f"::notice::not registered: {reason}" in step.stdout
    assert f"Not registered: {reason}." in step.summary and "would be registered" in step.summary
    assert MlflowClient(mlflow_server).search_registered_models(f"name='{model_name}'") == []


def test_register_always_and_never(tmp_path, mlflow_server, experiment, model_name):
    log_run(mlflow_server, experiment, {"accuracy": 0.91})
    pull = gh.pull_request_event()
    never = run_step(tmp_path, mlflow_server, ci_args(experiment, model_name, "--register", "never"))
    assert never.outputs["registered"] == "false"
    always = run_step(
        tmp_path, mlflow_server, ci_args(experiment, model_name, "--register", "always"), "pull_request", pull
    )
    assert always.outputs["model_version"] == "1"


def test_register_command_registers_without_a_gate(tmp_path, mlflow_server, experiment, model_name):
    log_run(mlflow_server, experiment, {"accuracy": 0.5})
    step = run_step(tmp_path, mlflow_server, flags("register", experiment, model_name=model_name, alias="champion"))
    assert step.code == 0 and step.outputs["passed"] == "" and step.outputs["model_version"] == "1"
    assert MlflowClient(mlflow_server).get_model_version_by_alias(model_name, "champion").version == "1"


def test_stage_holder_counts_as_production_for_registries_promoted_by_stage(
    tmp_path, mlflow_server, experiment, model_name
):
    # A registry the seed workflow promoted: Production by stage, no alias yet.
    old = log_run(mlflow_server, experiment, {"accuracy": 0.90})
    client = MlflowClient(mlflow_server)
    client.create_registered_model(model_name)
    client.create_model_version(model_name, f"runs:/{old}/model", run_id=old)
    client.transition_model_version_stage(model_name, "1", "Production")
    log_run(mlflow_server, experiment, {"accuracy": 0.85})
    worse = run_step(
        tmp_path,
        mlflow_server,
        flags("gate", experiment, model_name=model_name, stage="Production", min_improvement="0"),
    )
    # The best run is the stage holder itself, so it passes without a second version.
    assert worse.code == 0 and "this run is already version 1 (stage Production)" in worse.stdout
