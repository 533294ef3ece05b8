"""How a sweep's candidates run: in this process, or in a pool of workers forked from a server that has
imported scikit-learn, each with its native threads capped. Outcomes come back as each candidate
finishes, so the caller can log it and say so while the others train.

Why not a plain process pool: a spawned worker spends more than a second importing scikit-learn, often
more than a candidate's training, so a pool made the shipped examples slower than training them one
after another. Here the workers are forks of one server that imported it once, start in milliseconds
and get the data once.

The choice is measured, not guessed, and costs a quick sweep nothing: the first candidate trains in this
process while a timer runs. If it is still training once the rest, at its pace, would outlast what a
pool costs to start (POOL_PAYS_OFF), the pool starts right then and takes the other candidates on the
cores the first leaves idle. A sweep whose first candidate finishes sooner never starts a server.
"""

from __future__ import annotations

import multiprocessing
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

# Seconds of remaining training below which a pool cannot win: starting its server, forking the workers,
# sending them the data and the fitted models back. Measured by bench/sweep_parallel.py (docs/benchmarks.md).
POOL_PAYS_OFF = 1.0
# Two candidates gain nothing from a pool: the second could only overlap the first one's logging.
FEWEST_FOR_A_POOL = 3
_SETTING = "MLFLOW_CI_SWEEP_WORKERS"  # read by inputs.sweep_workers
# Imported by the pool's server before any worker forks; what every candidate needs whatever its estimator.
BASE_PRELOAD = ("numpy", "pandas", "sklearn.base", "sklearn.metrics", "sklearn.model_selection", "sklearn.pipeline")


@dataclass(frozen=True)
class Execution:
    """How the candidates after the first train."""

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


def pool_shape(*, candidates: int, cpus: int, requested: int | None) -> Execution:
    """The pool these candidates would get, or why they train in this process whatever their pace. Known
    before anything trains."""
    remaining = candidates - 1

    def here(why: str) -> Execution:
        return Execution(0, cpus, f"{why}: training the other {remaining} in this process")

    if requested == 1:
        return here(f"{_SETTING}=1")
    if cpus == 1:
        return here("one core")
    if candidates < FEWEST_FOR_A_POOL:
        return here("a pool cannot pay off for two candidates")
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return here("no forkserver on this platform")
    workers = min(cpus, remaining, requested or cpus)
    # One core is left to this process, which logs each finished candidate meanwhile. Too many OpenMP
    # threads for the cores is not a small loss: their spin-waits made one HistGradientBoosting fit on
    # 442 rows take 11-55 s instead of 0.2 s on a loaded 2-core machine (docs/benchmarks.md).
    threads = max(1, (cpus - 1) // workers)
    return Execution(
        workers, threads, f"training the other {remaining} in {workers} worker processes, {threads} thread(s) each"
    )


def pool_start_delay(remaining: int) -> float:
    """How long the first candidate may train before the rest, at its pace, would outlast a pool's cost."""
    return POOL_PAYS_OFF / remaining


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


class _Pool:
    """The pool for every job after the first, started from a timer thread while the first trains here."""

    def __init__(self, shape: Execution, jobs: Sequence[Any], train: Callable[[Any, Any], Any], data: Any) -> None:
        self.shape, self.jobs, self.train, self.data = shape, jobs, train, data
        self.executor: ProcessPoolExecutor | None = None
        self.failed = ""  # why the pool could not start (e.g. data that cannot be pickled): train here instead
        self.finished: Queue[tuple[int, Future[Any]]] = Queue()

    def start(self, preload: Iterable[str]) -> None:
        context = multiprocessing.get_context("forkserver")
        # Only heeded by a server not yet running: in the action, the one this sweep starts.
        context.set_forkserver_preload(list(dict.fromkeys([*BASE_PRELOAD, __name__, *preload])))
        executor = ProcessPoolExecutor(
            self.shape.workers, mp_context=context, initializer=_init_worker, initargs=(self.data, self.shape.threads)
        )
        try:
            for index in range(1, len(self.jobs)):
                future = executor.submit(_in_worker, self.train, self.jobs[index])
                future.add_done_callback(lambda done, index=index: self.finished.put((index, done)))
        except Exception as exc:  # in a timer thread: reported as the reason, not a traceback
            executor.shutdown(wait=True, cancel_futures=True)
            self.failed = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
            return
        self.executor = executor

    def outcomes(self) -> Iterator[tuple[int, Any]]:
        for _ in range(1, len(self.jobs)):
            index, future = self.finished.get()  # in the order they finished, even when several did meanwhile
            yield index, future.result()

    def shutdown(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)


def _here(jobs: Sequence[Any], train: Callable[[Any, Any], Any], data: Any, start: int) -> Iterator[tuple[int, Any]]:
    for index in range(start, len(jobs)):
        yield index, train(jobs[index], data)


def run(
    jobs: Sequence[Job],
    train: Callable[[Job, Any], Outcome],
    data: Any,
    *,
    requested: int | None = None,
    cpus: int | None = None,
    preload: Iterable[str] = (),
    decided: Callable[[Execution], None] = lambda _: None,
) -> Iterator[tuple[int, Outcome]]:
    """(index in jobs, outcome) for every job, in the order they finish, the first one first; `decided`
    hears how the jobs after the first ran (when there are any). `train` must be a module-level function
    (workers import it by name); `preload`: the modules a worker's server imports before it forks. The
    first exception, if any, ends the iteration; jobs not yet started are cancelled."""
    from threadpoolctl import threadpool_limits

    cpus = cpus or cpu_count()
    shape = pool_shape(candidates=len(jobs), cpus=cpus, requested=requested)
    if shape.in_process:
        if len(jobs) > 1:
            decided(shape)
        yield from _here(jobs, train, data, 0)
        return
    remaining = len(jobs) - 1
    pool = _Pool(shape, jobs, train, data)
    timer = threading.Timer(pool_start_delay(remaining), pool.start, args=(tuple(preload),))
    try:
        started = time.perf_counter()
        timer.start()
        try:
            # Capped like a worker: the pool may start while this trains, and OpenMP threads that outnumber
            # the free cores spin-wait for each other.
            with threadpool_limits(limits=shape.threads):
                first = train(jobs[0], data)
        finally:
            timer.cancel()
            timer.join()  # a pool that began to start is used (or shut down), never left half-made
        if pool.executor is None:
            expected = remaining * (time.perf_counter() - started)
            why = pool.failed and f"workers could not start ({pool.failed})"
            why = why or f"the other {remaining} should take about {expected:.1f} s, less than starting workers costs"
            decided(Execution(0, cpus, f"{why}: training them in this process"))
            yield 0, first
            yield from _here(jobs, train, data, 1)
            return
        decided(shape)
        yield 0, first
        yield from pool.outcomes()
    finally:
        pool.shutdown()
