"""How a sweep's candidates run: in this process, or in a pool of workers forked from a server that has
already imported scikit-learn, each with its native threads capped. Outcomes come back as each
candidate finishes, so the caller can log it and say so while the others train.

Why not a plain process pool: a spawned worker spends more than a second importing scikit-learn, often
more than a candidate's training, so a pool made the shipped examples slower than training them one
after another. Here the pool's server starts (and imports) while the parent is still loading the data,
its workers are forks of it that start in milliseconds, and each gets the data once.

The choice is measured, not guessed: the first candidate trains in this process with every core; if the
rest would take about that long each and together less than a pool costs to start (POOL_PAYS_OFF), they
train here too, otherwise in the pool.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from queue import Queue
from typing import Any, TypeVar

Job = TypeVar("Job")
Outcome = TypeVar("Outcome")

# Seconds of remaining training below which a pool cannot win: forking the workers, sending them the data
# and the fitted models back. Measured by bench/sweep_parallel.py (docs/benchmarks.md).
POOL_PAYS_OFF = 1.0
# Imported by the pool's server before any worker forks; what every candidate needs whatever its estimator.
_SETTING = "MLFLOW_CI_SWEEP_WORKERS"  # read by inputs.sweep_workers
BASE_PRELOAD = ("numpy", "pandas", "sklearn.base", "sklearn.metrics", "sklearn.model_selection", "sklearn.pipeline")


@dataclass(frozen=True)
class Execution:
    """The decision, made once after the first candidate: how the remaining ones train."""

    workers: int  # 0: in this process
    threads: int  # native (BLAS/OpenMP) threads per worker
    reason: str

    @property
    def in_process(self) -> bool:
        return self.workers == 0


def cpu_count() -> int:
    """The cores this process may run on (a container's or taskset's limit, not the machine's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def may_use_pool(*, candidates: int, cpus: int, requested: int | None) -> bool:
    """Whether a pool is possible at all: known before the data loads, so its server can start early."""
    return candidates > 1 and cpus > 1 and requested != 1 and "forkserver" in multiprocessing.get_all_start_methods()


def choose(
    *, remaining: int, first_seconds: float, cpus: int, requested: int | None, server_wait: float = 0.0
) -> Execution:
    """`server_wait`: about how long the pool's server may still take to be ready (0 when it is)."""

    def here(why: str) -> Execution:
        return Execution(0, cpus, f"{why}: training the other {remaining} in this process")

    if requested == 1:
        return here(f"{_SETTING}=1")
    if cpus == 1:
        return here("one core")
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return here("no forkserver on this platform")
    expected = remaining * first_seconds
    if expected < POOL_PAYS_OFF + server_wait:
        return here(f"the other {remaining} should take about {expected:.1f} s, less than starting workers costs")
    workers = min(cpus, remaining, requested or cpus)
    # One core is left to this process, which logs each finished candidate meanwhile. Too many OpenMP
    # threads for the cores is not a small loss: their spin-waits made one HistGradientBoosting fit on
    # 442 rows take 11-55 s instead of 0.2 s on a loaded 2-core machine (docs/benchmarks.md).
    threads = max(1, (cpus - 1) // workers)
    return Execution(
        workers, threads, f"training the other {remaining} in {workers} worker processes, {threads} thread(s) each"
    )


@dataclass
class _Server:
    started: float
    ready: threading.Event

    def wait_estimate(self) -> float:
        """0 once ready; before, as long again as it has been importing (a guess that errs towards waiting
        only for sweeps long enough to repay it)."""
        return 0.0 if self.ready.is_set() else time.monotonic() - self.started


_server: _Server | None = None


def _noop() -> None:
    pass


def start_server(modules: Iterable[str]) -> None:
    """Start the pool's server now, importing these modules once (workers are forks of it). Called before
    the data loads, so the import runs on another core meanwhile; cheap to waste if no pool is used. A
    probe process, forked as soon as the server is ready, tells when that is."""
    global _server
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(dict.fromkeys([*BASE_PRELOAD, __name__, *modules])))
    multiprocessing.forkserver.ensure_running()
    server = _Server(time.monotonic(), threading.Event())

    def probe() -> None:
        process = context.Process(target=_noop, daemon=True)
        process.start()
        process.join()
        server.ready.set()

    threading.Thread(target=probe, name="mlflow-ci-forkserver-probe", daemon=True).start()
    _server = server


# What each worker keeps from its initializer: the data, sent once per worker instead of once per job.
_worker_data: Any = None


def _init_worker(data: Any, threads: int) -> None:
    global _worker_data
    _worker_data = data
    from threadpoolctl import threadpool_limits

    # Kept for the worker's life: two workers with a BLAS or OpenMP pool of every core each would fight.
    threadpool_limits(limits=threads)


def _in_worker(train: Callable[[Any, Any], Any], job: Any) -> Any:
    return train(job, _worker_data)


def run(
    jobs: Sequence[Job],
    train: Callable[[Job, Any], Outcome],
    data: Any,
    *,
    requested: int | None = None,
    cpus: int | None = None,
    decided: Callable[[Execution], None] = lambda _: None,
) -> Iterator[tuple[int, Outcome]]:
    """(index in jobs, outcome) for every job, in the order they finish; `decided` hears how the jobs after
    the first run (when there are any). `train` must be a module-level
    function (workers import it by name). The first job's exception, if any, ends the iteration; jobs
    not yet started are cancelled."""
    if not jobs:
        return
    cpus = cpus or cpu_count()
    started = time.perf_counter()
    first = train(jobs[0], data)
    execution = choose(
        remaining=len(jobs) - 1,
        first_seconds=time.perf_counter() - started,
        cpus=cpus,
        requested=requested,
        server_wait=_server.wait_estimate() if _server else 0.0,
    )
    if len(jobs) > 1:
        decided(execution)
    if execution.in_process:
        yield 0, first
        for index in range(1, len(jobs)):
            yield index, train(jobs[index], data)
        return
    pool = ProcessPoolExecutor(
        execution.workers,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=_init_worker,
        initargs=(data, execution.threads),
    )
    try:
        # Submitted before the first outcome is handed out: the workers train while the caller logs it.
        finished: Queue[tuple[int, Future[Outcome]]] = Queue()
        for index in range(1, len(jobs)):
            future = pool.submit(_in_worker, train, jobs[index])
            future.add_done_callback(lambda done, index=index: finished.put((index, done)))
        yield 0, first
        for _ in range(1, len(jobs)):
            index, future = finished.get()  # in the order they finished, even when several did meanwhile
            yield index, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
