"""The sweep's execution: the pool a sweep may get, the timer that starts it only while a slow first
candidate trains, and a real forkserver pool whose workers start with scikit-learn imported, get the
data once, cap their native threads and hand back outcomes as they finish."""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mlflow_ci.train.sweep import execution
from mlflow_ci.train.sweep.execution import POOL_PAYS_OFF, Execution, pool_shape, pool_start_delay
from tests.helpers.sweep_jobs import fail_on_negative, sleep_then_report

ROOT = Path(__file__).resolve().parents[4]
needs_forkserver = pytest.mark.skipif(
    "forkserver" not in multiprocessing.get_all_start_methods(), reason="no forkserver on this platform"
)


@pytest.mark.parametrize(
    ("candidates", "cpus", "requested", "workers"),
    [
        (1, 8, None, 0),  # one candidate
        (2, 8, None, 0),  # a couple: the second could only overlap the first one's logging
        (6, 8, 1, 0),  # asked to train serially
        (6, 1, None, 0),  # one core
        (6, 2, None, 2),
        (6, 8, None, 5),  # no more workers than candidates left
        (6, 8, 3, 3),  # nor than asked for
    ],
)
def test_pool_shape(candidates: int, cpus: int, requested: int | None, workers: int) -> None:
    shape = pool_shape(candidates=candidates, cpus=cpus, requested=requested)
    assert shape.workers == workers, shape
    if workers:
        assert shape.threads == max(1, (cpus - 1) // workers)  # a core left for logging
        assert shape.threads * shape.workers <= max(cpus - 1, workers)
    assert shape.reason


def test_the_pool_starts_once_the_rest_at_the_first_ones_pace_outlasts_its_cost() -> None:
    assert pool_start_delay(5) * 5 == pytest.approx(POOL_PAYS_OFF)
    assert pool_start_delay(2) > pool_start_delay(5)


def test_in_process_keeps_the_order_and_the_process() -> None:
    seen: list[Execution] = []
    outcomes = list(execution.run([0.0, 0.0, 0.0], sleep_then_report, "data", cpus=2, decided=seen.append))
    assert [index for index, _ in outcomes] == [0, 1, 2]
    assert {report.pid for _, report in outcomes} == {os.getpid()}
    assert len(seen) == 1 and seen[0].in_process
    assert "less than starting workers costs" in seen[0].reason


QUICK_SWEEP = """
import os, sys
from pathlib import Path
from mlflow_ci.train.sweep import execution
from tests.helpers.sweep_jobs import sleep_then_report

outcomes = list(execution.run([0.0] * 6, sleep_then_report, None, cpus=2, preload=["sklearn.ensemble"]))
children = [p for task in Path("/proc/self/task").iterdir() for p in (task / "children").read_text().split()]
print(len(outcomes), len(children))
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads child processes from Linux's /proc")
def test_a_quick_sweep_starts_no_server() -> None:
    """In a fresh interpreter: this one may already run a forkserver from another test."""
    shown = subprocess.run(
        [sys.executable, "-c", QUICK_SWEEP],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert shown.stdout.split() == ["6", "0"], shown


def _server_running() -> None:
    """Starts this interpreter's forkserver as the pool would, and waits until it forks, so a timed test
    does not wait for its imports."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([*execution.BASE_PRELOAD, execution.__name__])
    multiprocessing.forkserver.ensure_running()
    probe = context.Process(target=os.getpid)
    probe.start()
    probe.join()


@needs_forkserver
def test_a_slow_first_candidate_starts_the_pool_while_it_trains() -> None:
    _server_running()
    seen: list[Execution] = []
    # Two cores: a pool of two workers, started while the first job still runs; one slow job and two quick
    # ones on them: the quick ones come back first.
    jobs = [1.5, 3.0, 0.1, 0.1]
    outcomes = list(execution.run(jobs, sleep_then_report, {"rows": 3}, cpus=2, decided=seen.append))

    assert seen == [Execution(2, 1, "training the other 3 in 2 worker processes, 1 thread(s) each")]
    order = [index for index, _ in outcomes]
    assert order[0] == 0 and sorted(order) == [0, 1, 2, 3]
    assert order.index(1) == 3, order  # the slow one finished last
    first, *pooled = (report for _, report in sorted(outcomes))
    assert first.pid == os.getpid()
    assert first.threads and set(first.threads) == {1}  # capped while the pool may run beside it
    assert pooled[0].started < first.finished  # the pool did not wait for the first to end
    for report in pooled:
        assert report.pid != os.getpid()
        assert report.sklearn_preloaded  # forked from the server, which imported it
        assert report.threads and set(report.threads) == {1}
        assert report.data == {"rows": 3}
    assert len({report.pid for report in pooled}) <= 2


@needs_forkserver
def test_data_a_worker_cannot_take_trains_here_and_says_why() -> None:
    seen: list[Execution] = []
    unpicklable = threading.Lock()
    outcomes = list(execution.run([1.0, 0.0, 0.0], sleep_then_report, unpicklable, cpus=2, decided=seen.append))
    assert {report.pid for _, report in outcomes} == {os.getpid()}
    assert seen[0].in_process and seen[0].reason.startswith("workers could not start (TypeError: "), seen


@needs_forkserver
def test_a_failing_job_ends_the_run_with_its_error() -> None:
    with pytest.raises(ValueError, match=r"job -1\.0 failed"):
        list(execution.run([POOL_PAYS_OFF, -1.0, 0.1], fail_on_negative, None, cpus=2))  # in a worker
    with pytest.raises(ValueError, match=r"job -1\.0 failed"):
        list(execution.run([-1.0, 0.1, 0.1], fail_on_negative, None, cpus=2))  # the first, in this process
    with pytest.raises(ValueError, match=r"job -1\.0 failed"):
        list(execution.run([-1.0, 0.1], fail_on_negative, None, cpus=2))
