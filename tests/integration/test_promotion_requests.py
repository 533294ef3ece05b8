"""What a promotion costs over HTTP, counted in the server's own access log; and how soon a version that
stays PENDING for 2 s is promoted once it is READY."""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest

from tests.conftest import start_mlflow_server, stop
from tests.helpers.fault_proxy import Fault, FaultProxy
from tests.helpers.registry_state import snapshot
from tests.helpers.steps import run_step
from tests.integration.promotion import candidate, ci_args, new_model

ACCESS = re.compile(r'"(GET|POST|PATCH|DELETE) (/[^ ?]*)\S* HTTP/1\.1" (\d{3})')
LOCK = {("POST", "/api/2.0/mlflow/registered-models/create"), ("DELETE", "/api/2.0/mlflow/registered-models/delete")}
PROMOTION_PREFIXES = ("/api/2.0/mlflow/registered-models/", "/api/2.0/mlflow/model-versions/")
CHAMPION_RUN = ("GET", "/api/2.0/mlflow/runs/get")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("counted-server")
    process, url = start_mlflow_server(root)
    yield url, root / "server.log"
    stop(process)


def _requests(log_text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in ACCESS.finditer(log_text)]


def _classify(requests: list[tuple[str, str]]) -> Counter:
    kinds: Counter = Counter()
    released = False
    for request in requests:
        if released:  # after the lock's release: the gate's decision and the model card, recorded on the version
            kinds["record"] += 1
        elif request in LOCK:  # the model exists already, so every create or delete here is the lock's
            kinds["lock"] += 1
            released = request[0] == "DELETE"
        elif request[1].startswith(PROMOTION_PREFIXES) or request == CHAMPION_RUN:
            kinds["promotion"] += 1
        else:
            kinds["selection"] += 1  # experiment, best-run search, the model's files
    return kinds


def test_a_promotion_over_http_takes_at_most_ten_requests_besides_the_locks(tmp_path, server):
    url, log = server
    model = new_model(url)
    candidate(url, model.experiment, 0.80, "1")
    first = run_step(tmp_path, url, ci_args(url, model.experiment, model.name)[3:], extra_env={"GITHUB_RUN_ID": "1"})
    assert first.code == 0, first.log
    candidate(url, model.experiment, 0.90, "2")
    time.sleep(0.5)  # let the server flush its log lines for the set-up
    before = len(log.read_text())
    step = run_step(tmp_path, url, ci_args(url, model.experiment, model.name)[3:], extra_env={"GITHUB_RUN_ID": "2"})
    assert step.code == 0 and step.outputs["model_version"] == "2", step.log
    time.sleep(0.5)
    requests = _requests(log.read_text()[before:])
    kinds = _classify(requests)
    print("requests of one promotion:", dict(kinds), requests)
    assert kinds["lock"] == 2
    assert kinds["promotion"] <= 10, requests
    assert kinds["record"] <= 20, requests  # one request per version tag (MLflow has no batch), the card
    state = snapshot(url, model.name)
    assert state.alias("production") == "2" and state.in_stage("Production") == ["2"]


def test_a_version_pending_for_two_seconds_is_promoted_within_two_and_a_half(tmp_path, server):
    """A double: OSS MLflow makes versions READY at once, so the proxy rewrites the status the server sends
    to PENDING_REGISTRATION for the first 2 s after the create (what a registry copying files does)."""
    url, _ = server
    model = new_model(url)
    candidate(url, model.experiment, 0.9, "4242")  # run_step's workflow run
    created: list[float] = []

    def pending_for_two_seconds(body: dict) -> dict:
        if not created:
            created.append(time.monotonic())
        if time.monotonic() - created[0] < 2.0:
            body["model_version"]["status"] = "PENDING_REGISTRATION"
        return body

    with FaultProxy(url) as proxy:
        for path in ("/api/2.0/mlflow/model-versions/create", "/api/2.0/mlflow/model-versions/get"):
            proxy.add(Fault("*", path, "rewrite", times=0, rewrite=pending_for_two_seconds))
        step = run_step(tmp_path, proxy.url, ci_args(proxy.url, model.experiment, model.name)[3:])
        assert step.code == 0, step.log
        polls = proxy.requests("GET", "/api/2.0/mlflow/model-versions/get")
        promoted = proxy.requests("POST", "/api/2.0/mlflow/registered-models/alias")[0].at  # production moves
        finished = proxy.log[-1].at  # the ledger written and the lock released
    promoted_in, finished_in = promoted - created[0], finished - created[0]
    print(
        f"PENDING for 2 s: the alias moved {promoted_in:.2f} s after the create, the transaction ended at "
        f"{finished_in:.2f} s, {len(polls)} status polls"
    )
    assert 2.0 <= promoted_in < 2.5
    assert len(polls) <= 6
    assert snapshot(url, model.name).alias("production") == "1"
