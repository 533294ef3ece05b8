"""The sweep's execution: the decision (in this process or a pool), and a real forkserver pool whose
workers start with scikit-learn imported, get the data once, cap their native threads and hand back
outcomes as they finish."""

from __future__ import annotations

import os

import pytest

from mlflow_ci.train.sweep import execution
from mlflow_ci.train.sweep.execution import POOL_PAYS_OFF, Execution, choose
from tests.helpers.sweep_jobs import fail_on_negative, sleep_then_report

needs_forkserver = pytest.mark.skipif(
    not execution.may_use_pool(candidates=2, cpus=2, requested=None), reason="no forkserver on this platform"
)


@pytest.mark.parametrize(
    ("remaining", "first", "cpus", "requested", "workers"),
    [
        (0, 5.0, 8, None, 0),  # one candidate
        (5, 5.0, 8, 1, 0),  # asked to train serially
        (5, 5.0, 1, None, 0),  # one core
        (3, POOL_PAYS_OFF / 4, 8, None, 0),  # fast candidates: the rest ~0.75 s, less than a pool costs
        (1, POOL_PAYS_OFF / 2, 2, None, 0),  # a couple of fast ones
        (5, 2.0, 2, None, 2),
        (5, 2.0, 8, None, 5),  # no more workers than candidates left
        (5, 2.0, 8, 3, 3),  # nor than asked for
        (1, 2.0, 2, None, 1),  # a couple of slow ones: the second trains while the first is logged
    ],
)
def test_choose(remaining: int, first: float, cpus: int, requested: int | None, workers: int) -> None:
    decided = choose(remaining=remaining, first_seconds=first, cpus=cpus, requested=requested)
    assert decided.workers == workers, decided
    if workers:
        assert decided.threads == max(1, (cpus - 1) // workers)  # a core left for logging
        assert decided.threads * decided.workers <= max(cpus - 1, workers)
    assert decided.reason


def test_a_server_still_importing_counts_against_the_pool() -> None:
    ready = choose(remaining=3, first_seconds=0.5, cpus=2, requested=None)
    importing = choose(remaining=3, first_seconds=0.5, cpus=2, requested=None, server_wait=2.0)
    assert (ready.workers, importing.workers) == (2, 0)
    assert choose(remaining=10, first_seconds=1.0, cpus=2, requested=None, server_wait=2.0).workers == 2


def test_in_process_keeps_the_order_and_the_process() -> None:
    seen: list[Execution] = []
    outcomes = list(execution.run([0.0, 0.0, 0.0], sleep_then_report, "data", cpus=2, decided=seen.append))
    assert [index for index, _ in outcomes] == [0, 1, 2]
    assert {report.pid for _, report in outcomes} == {os.getpid()}
    assert seen and seen[0].in_process


@needs_forkserver
def test_pool_workers_start_with_sklearn_imported_and_capped_threads() -> None:
    execution.start_server(["sklearn.ensemble"])
    seen: list[Execution] = []
    # The first job (in this process) takes long enough that the pool pays off; then one slow job and
    # two quick ones on two workers: the quick ones come back first.
    jobs = [POOL_PAYS_OFF, 3.0, 0.1, 0.1]
    outcomes = list(execution.run(jobs, sleep_then_report, {"rows": 3}, cpus=2, decided=seen.append))

    assert seen == [Execution(2, 1, "training the other 3 in 2 worker processes, 1 thread(s) each")]
    order = [index for index, _ in outcomes]
    assert order[0] == 0 and sorted(order) == [0, 1, 2, 3]
    assert order.index(1) == 3, order  # the slow one finished last
    first, *pooled = (report for _, report in sorted(outcomes))
    assert first.pid == os.getpid()
    for report in pooled:
        assert report.pid != os.getpid()
        assert report.sklearn_preloaded  # forked from the server, which imported it
        assert report.threads and set(report.threads) == {1}
        assert report.data == {"rows": 3}
    assert len({report.pid for report in pooled}) <= 2


@needs_forkserver
def test_a_failing_job_ends_the_run_with_its_error() -> None:
    execution.start_server([])
    with pytest.raises(ValueError, match=r"job -1\.0 failed"):
        list(execution.run([POOL_PAYS_OFF, -1.0, 0.1], fail_on_negative, None, cpus=2))
    with pytest.raises(ValueError, match=r"job -1\.0 failed"):
        list(execution.run([-1.0, 0.1], fail_on_negative, None, cpus=2))
