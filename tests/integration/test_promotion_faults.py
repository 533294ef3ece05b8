"""Promotion under faults, through a fault-injecting proxy in front of a real `mlflow server`: production is
read fail-closed, a lost answer never duplicates a version, a hang ends within the deadline, and a job killed
while it holds the promotion lock is taken over after the lock's expiry."""

from __future__ import annotations

import time

import pytest

from tests.helpers import jobs
from tests.helpers.fault_proxy import Fault, FaultProxy
from tests.helpers.mlflow_runs import unique
from tests.helpers.registry_state import snapshot
from tests.integration.promotion import candidate, ci_args, new_model, promote

REGISTERED_MODEL_GET = "/api/2.0/mlflow/registered-models/get"
RUN_GET = "/api/2.0/mlflow/runs/get"
VERSION_CREATE = "/api/2.0/mlflow/model-versions/create"


@pytest.fixture
def proxy(mlflow_server):
    with FaultProxy(mlflow_server) as running:
        yield running


@pytest.fixture(scope="module")
def champion(mlflow_server, tmp_path_factory):
    """A model whose production version (v1, accuracy 0.87) was promoted by the action."""
    model = new_model(mlflow_server)
    job = promote(tmp_path_factory.mktemp("champion"), model, 0.87, "100")
    assert job.code == 0, job.log
    model.champion_run = job.run_id  # type: ignore[attr-defined]
    return model


def _job(tmp_path, model, uri, workflow_run, *extra, env=None, timeout=120):
    root = tmp_path / unique("job")
    root.mkdir()
    return jobs.run_one(
        root, ci_args(uri, model.experiment, model.name, *extra), run_id=workflow_run, env=env, timeout=timeout
    )


def _assert_server_error(job, proxy_url):
    assert job.code == 3, job.log
    assert len(job.errors) == 1, job.stdout
    assert proxy_url in job.errors[0]
    assert "Traceback" not in job.log


@pytest.mark.parametrize("action", ["drop", "status"])
@pytest.mark.parametrize("path", [REGISTERED_MODEL_GET, RUN_GET])
def test_a_blip_while_reading_production_for_the_gate_is_a_server_error(
    tmp_path, mlflow_server, proxy, champion, action, path
):
    """The seed's failure: a blip during the lookup read as "no production model" let 0.71 replace 0.87."""
    workflow_run = unique("run")
    candidate(mlflow_server, champion.experiment, 0.71, workflow_run)
    before = snapshot(mlflow_server, champion.name)
    proxy.add(Fault("GET", path, action, times=0))  # for every attempt MLflow's client makes: a real outage
    job = _job(tmp_path, champion, proxy.url, workflow_run)
    _assert_server_error(job, proxy.url)
    assert proxy.requests("GET", path), "the fault never fired: the test would prove nothing"
    assert snapshot(mlflow_server, champion.name) == before


@pytest.mark.parametrize("action", ["drop", "status"])
def test_a_registry_that_refuses_every_version_create_promotes_nothing(
    tmp_path, mlflow_server, proxy, champion, action
):
    """A better candidate passes the gate under the lock; every create fails (MLflow's retries would repeat a
    POST, the action never does): the run is looked up between attempts, nothing moves, the lock is gone."""
    workflow_run = unique("run")
    run_id = candidate(mlflow_server, champion.experiment, 0.95, workflow_run)
    before = snapshot(mlflow_server, champion.name)
    proxy.add(Fault("POST", VERSION_CREATE, action, times=0))
    job = _job(tmp_path, champion, proxy.url, workflow_run)
    _assert_server_error(job, proxy.url)
    assert len(proxy.requests("POST", VERSION_CREATE)) == 2  # one create, a look-up, one more: never blind
    assert snapshot(mlflow_server, champion.name) == before
    assert not snapshot(mlflow_server, champion.name).versions_of(run_id)


def test_a_three_second_stall_is_judged_on_the_real_answer_or_fails_closed(tmp_path, mlflow_server, proxy, champion):
    workflow_run = unique("run")
    candidate(mlflow_server, champion.experiment, 0.71, workflow_run)
    before = snapshot(mlflow_server, champion.name)
    proxy.add(Fault("GET", REGISTERED_MODEL_GET, "stall", times=0, seconds=3))
    waited = _job(tmp_path, champion, proxy.url, workflow_run)
    assert waited.code == 1, waited.log  # the answer came (within the per-request timeout): the gate used it
    assert "does not beat production" in waited.errors[0]
    impatient = _job(tmp_path, champion, proxy.url, workflow_run, env={"MLFLOW_HTTP_REQUEST_TIMEOUT": "2"})
    _assert_server_error(impatient, proxy.url)  # the answer never came in time: a server error, not "none"
    assert snapshot(mlflow_server, champion.name) == before


def test_a_server_that_never_answers_fails_the_step_within_30_seconds(tmp_path, mlflow_server, proxy):
    model = new_model(mlflow_server)
    candidate(mlflow_server, model.experiment, 0.9, "1")
    proxy.add(Fault("GET", REGISTERED_MODEL_GET, "hang", times=0, seconds=90))
    root = tmp_path / "hung"
    root.mkdir()
    job = jobs.start(root, ci_args(proxy.url, model.experiment, model.name), run_id="1")
    failed_at = job.seen_at("::error", timeout=90)
    job.wait(30)
    # From the step's first request (Python and MLflow's imports come before it, and take a while on a
    # loaded machine) to its error line.
    talking = proxy.log[0].at - job.started
    print(f"first request at {talking:.1f} s, the error at {failed_at} s, exit at {job.elapsed:.1f} s: {job.errors}")
    assert failed_at is not None and failed_at - talking < 30.0, job.log
    _assert_server_error(job, proxy.url)
    assert not snapshot(mlflow_server, model.name).exists


def test_a_hang_half_way_through_the_promotion_ends_within_the_deadline(tmp_path, mlflow_server, proxy):
    model = new_model(mlflow_server)
    candidate(mlflow_server, model.experiment, 0.9, "1")
    proxy.add(Fault("POST", VERSION_CREATE, "hang", times=0, seconds=60))
    root = tmp_path / "hung"
    root.mkdir()
    job = jobs.start(root, ci_args(proxy.url, model.experiment, model.name, "--server-timeout", "10"), run_id="1")
    failed_at = job.seen_at("::error", timeout=60)
    job.wait(30)
    talking = proxy.log[0].at - job.started  # the deadline counts from the step's start, after the imports
    assert failed_at is not None and failed_at - talking < 10.5, (failed_at, talking, job.log)
    assert "within 10 s" in job.errors[0]  # the deadline, not MLflow's own per-request timeout, ended it
    _assert_server_error(job, proxy.url)
    state = snapshot(mlflow_server, model.name)
    assert state.versions == () and state.aliases == ()


def test_a_lost_answer_to_create_model_version_leaves_one_version(tmp_path, mlflow_server, proxy):
    """The server creates the version, the answer is lost: the job looks the run up before creating again,
    and a re-run reuses the version."""
    model = new_model(mlflow_server)
    run_id = candidate(mlflow_server, model.experiment, 0.9, "1")
    proxy.add(Fault("POST", VERSION_CREATE, "drop_response", times=1))
    first = _job(tmp_path, model, proxy.url, "1")
    assert first.code == 0, first.log
    assert len(proxy.requests("POST", VERSION_CREATE)) == 1  # never retried blindly
    again = _job(tmp_path, model, proxy.url, "1")
    assert again.code == 0, again.log
    state = snapshot(mlflow_server, model.name)
    assert state.versions_of(run_id) == ["1"]
    assert state.alias("production") == "1" and state.in_stage("Production") == ["1"]
    assert first.outputs["model_version"] == again.outputs["model_version"] == "1"


def test_a_job_killed_while_holding_the_lock_is_taken_over_after_the_expiry(tmp_path, mlflow_server, proxy):
    model = new_model(mlflow_server)
    candidate(mlflow_server, model.experiment, 0.8, "1")
    proxy.add(Fault("POST", VERSION_CREATE, "hang", times=1, seconds=60))
    root = tmp_path / "killed"
    root.mkdir()
    killed = jobs.start(root, ci_args(proxy.url, model.experiment, model.name, "--server-timeout", "8"), run_id="1")
    limit = time.monotonic() + 60
    while not proxy.requests("POST", VERSION_CREATE) and time.monotonic() < limit:
        time.sleep(0.1)
    assert proxy.requests("POST", VERSION_CREATE), killed.wait(1).log
    killed.kill()  # SIGKILL: no finally, no release
    killed.wait(10)
    assert snapshot(mlflow_server, model.name).locks  # it died holding the lock
    best = candidate(mlflow_server, model.experiment, 0.9, "2")
    successor = _job(tmp_path, model, proxy.url, "2")
    assert successor.code == 0, successor.log
    assert "took over the promotion lock" in successor.log
    state = snapshot(mlflow_server, model.name)
    assert state.alias("production") == state.versions_of(best)[0]
    assert state.locks == ()  # the lock and the takeover marker are gone
