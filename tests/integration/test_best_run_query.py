"""The best-run query stays linear in the number of runs on sqlite.

`best-run` ranks runs with one server-side query, ordered by the metric, whose filter starts with
`metrics.`<metric>` > -1e308`. That clause selects nothing away (every finite value passes; runs without
the metric drop out, as they must), but it is what keeps sqlite off a quadratic plan: MLflow's ranked
query without it took 3.4 s at 10k runs and over 9 minutes at 100k (docs/benchmarks.md). This test runs
the real CLI against the embedded sqlite store at two sizes and counts sqlite's virtual-machine steps
(deterministic, unlike seconds on a shared machine): four times the runs must cost about four times the
work, not sixteen. The same count over MLflow's own ranked query without the clause shows the measure
sees the quadratic plan.
"""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlRun
from sqlalchemy import event
from sqlalchemy.engine import Engine

from mlflow_ci.cli import main

SMALL, LARGE = 500, 2000
STEP = 1000  # sqlite calls the progress handler every STEP virtual-machine instructions


class StepCounter:
    def __init__(self) -> None:
        self.ticks = 0
        self.counting = False

    def tick(self) -> int:
        if self.counting:
            self.ticks += 1
        return 0  # 0: go on

    @contextmanager
    def measuring(self) -> Iterator[None]:
        self.ticks, self.counting = 0, True
        try:
            yield
        finally:
            self.counting = False


@pytest.fixture(scope="module")
def counter() -> Iterator[StepCounter]:
    """Counts the VM steps of every sqlite connection SQLAlchemy opens (MLflow's store opens its own)."""
    counting = StepCounter()

    def on_connect(dbapi_connection: object, _record: object) -> None:
        if hasattr(dbapi_connection, "set_progress_handler"):
            dbapi_connection.set_progress_handler(counting.tick, STEP)

    event.listen(Engine, "connect", on_connect)
    yield counting
    event.remove(Engine, "connect", on_connect)


def _store(tmp_path: Path, runs: int) -> tuple[str, str, str]:
    """An embedded sqlite store with `runs` finished runs in one experiment, written in one transaction
    through MLflow's own table models (the API would take minutes). Returns (uri, experiment, best run)."""
    uri = f"sqlite:///{tmp_path}/mlflow-{runs}.db"
    client = MlflowClient(uri)
    name = f"ranked-{runs}"
    experiment_id = client.create_experiment(name)
    store = client._tracking_client.store
    now = int(time.time() * 1000)
    best = ""
    with store.ManagedSessionMaker(read_only=False) as session:
        for index in range(runs):
            run_id = uuid.uuid4().hex
            value = ((index * 7919) % runs) / runs  # a permutation: the best run is not the last written
            if value == (runs - 1) / runs:
                best = run_id
            session.add(
                SqlRun(
                    run_uuid=run_id,
                    name=f"run-{index}",
                    source_type="LOCAL",
                    source_name="",
                    entry_point_name="",
                    user_id="ci",
                    status="FINISHED",
                    start_time=now + index,
                    end_time=now + index + 1,
                    source_version="",
                    lifecycle_stage="active",
                    artifact_uri=f"{tmp_path}/artifacts/{run_id}",
                    experiment_id=int(experiment_id),
                )
            )
            for key, metric in (("accuracy", value), ("loss", 1 - value)):
                session.add(
                    SqlLatestMetric(key=key, value=metric, timestamp=now, step=0, is_nan=False, run_uuid=run_id)
                )
    # The best run's model, as a classic model directory in its artifacts (best-run reports its URI).
    model = tmp_path / "artifacts" / best / "model"
    model.mkdir(parents=True)
    (model / "MLmodel").write_text("flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n")
    return uri, name, best


def _best_run(uri: str, experiment: str) -> dict[str, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(
            ["best-run", "--tracking-uri", uri, "--experiment-name", experiment, "--metric", "accuracy", "--json"],
            {"PATH": "/usr/bin:/bin"},
        )
    assert code == 0, out.getvalue()
    printed = out.getvalue()
    return json.loads(printed[printed.index("{") :])


def test_best_run_stays_linear_in_the_number_of_runs(tmp_path: Path, counter: StepCounter) -> None:
    steps = {}
    for runs in (SMALL, LARGE):
        uri, experiment, best = _store(tmp_path, runs)
        _best_run(uri, experiment)  # warm: the store's schema checks, imports
        with counter.measuring():
            outputs = _best_run(uri, experiment)
        assert outputs["run_id"] == best
        steps[runs] = counter.ticks
    growth = steps[LARGE] / max(steps[SMALL], 1)
    # Linear work grows about 4x for 4x the runs (fixed costs make it less); a quadratic plan about 16x.
    assert growth < 8, f"best-run's sqlite work grew {growth:.1f}x for {LARGE // SMALL}x the runs: {steps}"


def test_the_measure_sees_mlflows_quadratic_plan_without_the_clause(tmp_path: Path, counter: StepCounter) -> None:
    steps = {}
    for runs in (SMALL, LARGE):
        uri, experiment, best = _store(tmp_path, runs)
        client = MlflowClient(uri)
        experiment_id = client.get_experiment_by_name(experiment).experiment_id
        with counter.measuring():
            top = client.search_runs([experiment_id], order_by=["metrics.`accuracy` DESC"], max_results=10)
        assert top[0].info.run_id == best
        steps[runs] = counter.ticks
    assert steps[LARGE] / max(steps[SMALL], 1) > 10, steps
