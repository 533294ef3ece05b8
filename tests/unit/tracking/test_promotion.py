"""The promotion transaction on the embedded sqlite registry: the gate runs again on what it finds under the
lock, a re-run reuses its version, and rollback walks the ledger back."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient

from mlflow_ci.select import gate
from mlflow_ci.tracking import ledger
from mlflow_ci.tracking.deadline import Deadline
from mlflow_ci.tracking.promotion import Candidate, Mover, Target, promote, rollback
from mlflow_ci.tracking.registry import find_champion

TARGET = Target("news", "production", "Production")
MOVER = Mover("c" * 40, "https://github.com/o/r/actions/runs/9", "https://github.com/o/r/actions/runs/9")


@pytest.fixture
def client(tmp_path):
    made = MlflowClient(f"sqlite:///{tmp_path}/registry.db")
    made.create_experiment("e")
    return made


def _run(client: MlflowClient, accuracy: float) -> str:
    run = client.create_run(client.get_experiment_by_name("e").experiment_id)
    client.log_metric(run.info.run_id, "accuracy", accuracy)
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def _promote(client: MlflowClient, run_id: str, accuracy: float):
    def judge(champion):
        return gate.evaluate(
            metric="accuracy",
            value=accuracy,
            greater_is_better=True,
            threshold=None,
            min_improvement=0.0,
            champion=champion,
            run_id=run_id,
        )

    return promote(
        client,
        TARGET,
        Candidate(run_id, f"runs:/{run_id}/model", {}),
        metric="accuracy",
        judge=judge,
        deadline=Deadline(30, "sqlite"),
        mover=MOVER,
    )


def test_the_gate_that_decides_sees_production_as_it_is_under_the_lock(client):
    better, worse = _run(client, 0.9), _run(client, 0.8)
    # Both jobs started while nothing was in production; the better one got the lock first.
    assert find_champion(client, "news", alias="production", stage="Production", metric="accuracy") is None
    first, verdict = _promote(client, better, 0.9)
    assert verdict.passed and first.version == "1" and first.moved
    second, verdict = _promote(client, worse, 0.8)
    assert not verdict.passed and second.version == "" and not second.moved
    assert second.champion is not None and second.champion.version == "1"
    assert any("does not beat production" in reason for reason in verdict.reasons)
    assert [str(v.version) for v in client.search_model_versions("name='news'")] == ["1"]


def test_a_re_run_reuses_its_version_and_reports_the_same_previous_version(client):
    a, b = _run(client, 0.8), _run(client, 0.9)
    _promote(client, a, 0.8)
    done, _ = _promote(client, b, 0.9)
    again, _ = _promote(client, b, 0.9)
    assert (done.version, done.previous, done.moved) == ("2", "1", True)
    assert (again.version, again.previous, again.moved) == ("2", "1", False)
    assert len(client.search_model_versions("name='news'")) == 2
    model = client.get_registered_model("news")
    assert {k: str(v) for k, v in model.aliases.items()} == {"production": "2"}
    assert [(e.what, e.version, e.previous) for e in ledger.read(model.tags)] == [
        ("promote", "1", ""),
        ("promote", "2", "1"),
    ]
    assert client.get_model_version("news", "1").current_stage == "Archived"


def test_rollback_walks_back_along_promotions(client):
    runs = [_run(client, value) for value in (0.7, 0.8, 0.9)]
    for run_id, value in zip(runs, (0.7, 0.8, 0.9), strict=True):
        _promote(client, run_id, value)
    checked: list[str] = []

    def files_present(_client, uri, what):  # the files check itself is tested against a real server
        checked.append(uri)

    back = rollback(
        client, TARGET, to_version="", deadline=Deadline(30, "sqlite"), mover=MOVER, check_files=files_present
    )
    again = rollback(
        client, TARGET, to_version="", deadline=Deadline(30, "sqlite"), mover=MOVER, check_files=files_present
    )
    assert [(o.version, o.previous) for o in (back, again)] == [("2", "3"), ("1", "2")]
    assert checked == ["models:/news/2", "models:/news/1"]
    model = client.get_registered_model("news")
    assert {k: str(v) for k, v in model.aliases.items()} == {"production": "1"}
    assert [str(v.version) for v in client.search_model_versions("name='news'") if v.current_stage == "Production"] == [
        "1"
    ]
    assert [e.what for e in ledger.read(model.tags)] == ["promote", "promote", "promote", "rollback", "rollback"]
