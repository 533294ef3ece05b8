"""A job for the sweep's execution tests, importable by name in a worker process: it reports where it ran,
what was imported before it started, its native thread limits and the data it was given."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Report:
    pid: int
    sklearn_preloaded: bool
    threads: tuple[int, ...]  # num_threads of every BLAS/OpenMP pool threadpoolctl sees
    data: object
    started: float  # time.monotonic(): one clock for every process on the machine
    finished: float


def sleep_then_report(seconds: float, data: object) -> Report:
    started = time.monotonic()
    preloaded = "sklearn.base" in sys.modules  # before this job imports anything
    import numpy  # noqa: F401 - loads the BLAS pool, if the server had not
    from threadpoolctl import threadpool_info

    time.sleep(seconds)
    threads = tuple(pool["num_threads"] for pool in threadpool_info())
    return Report(os.getpid(), preloaded, threads, data, started, time.monotonic())


def fail_on_negative(seconds: float, data: object) -> Report:
    if seconds < 0:
        raise ValueError(f"job {seconds} failed")
    return sleep_then_report(seconds, data)
