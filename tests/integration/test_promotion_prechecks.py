"""Everything that can fail without the registry fails before the first registry write: unwritable outputs
or summary, an unreadable event payload, a model whose files are gone, a fork asking to register."""

from __future__ import annotations

import pytest

from tests.helpers import gh
from tests.helpers.model_files import delete_model_files
from tests.helpers.registry_state import snapshot
from tests.helpers.steps import run_step
from tests.integration.promotion import candidate, ci_args, new_model


@pytest.fixture
def model(mlflow_server):
    made = new_model(mlflow_server)
    made.champion_run = candidate(mlflow_server, made.experiment, 0.9, "4242")
    return made


def _args(model, *extra):
    return ci_args(model.server, model.experiment, model.name, *extra)[3:]  # run_step adds --tracking-uri


def _assert_refused(step, model, code, *words):
    assert step.code == code, step.log
    assert len(step.errors) == 1, step.stdout
    for word in words:
        assert word in step.errors[0]
    assert "Traceback" not in step.log
    state = snapshot(model.server, model.name)
    assert not state.exists and state.locks == ()


def _ci(tmp_path, model, *extra, **options):
    return run_step(tmp_path, model.server, ["ci", *_args(model, *extra)], **options)


@pytest.mark.parametrize("variable", ["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"])
def test_an_unwritable_output_or_summary_file_stops_the_step_before_the_registry(tmp_path, model, variable):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    step = _ci(tmp_path, model, extra_env={variable: str(blocker / "cannot-exist.txt")})
    _assert_refused(step, model, 2, variable)


@pytest.mark.parametrize("payload", ["{not json", "[1, 2]", ""])
def test_a_malformed_event_payload_on_a_runner_is_an_error_not_a_guess(tmp_path, model, payload):
    event = tmp_path / "event.json"
    event.write_text(payload)
    step = _ci(tmp_path, model, extra_env={"GITHUB_EVENT_PATH": str(event)})
    _assert_refused(step, model, 2, "GITHUB_EVENT_PATH")


def test_a_missing_event_payload_on_a_runner_is_an_error(tmp_path, model):
    step = _ci(tmp_path, model, extra_env={"GITHUB_EVENT_PATH": str(tmp_path / "nowhere.json")})
    _assert_refused(step, model, 2, "GITHUB_EVENT_PATH")


def test_a_best_run_whose_model_files_are_gone_is_not_registered(tmp_path, model):
    delete_model_files(model.server, model.champion_run)
    step = _ci(tmp_path, model)
    _assert_refused(step, model, 1, model.champion_run, "MLmodel")


@pytest.mark.parametrize("event_name", ["pull_request", "pull_request_target"])
def test_a_fork_never_registers_even_with_register_always(tmp_path, model, event_name):
    fork = gh.pull_request_event(fork=True)
    step = _ci(tmp_path, model, "--register", "always", event_name=event_name, event=fork)
    _assert_refused(step, model, 2, "register", "fork")


@pytest.mark.parametrize("event_name", ["pull_request", "pull_request_target"])
def test_a_fork_with_register_auto_reports_and_does_not_register(tmp_path, model, event_name):
    step = _ci(tmp_path, model, event_name=event_name, event=gh.pull_request_event(fork=True))
    assert step.code == 0, step.log
    assert step.outputs["registered"] == "false"
    assert "fork" in step.log
    assert not snapshot(model.server, model.name).exists


def test_a_pull_request_from_the_same_repository_may_register_when_asked(tmp_path, model):
    step = _ci(tmp_path, model, "--register", "always", event_name="pull_request", event=gh.pull_request_event())
    assert step.code == 0, step.log
    assert step.outputs["registered"] == "true"
