"""Benchmark: tracking overhead per trained run over HTTP, against a real `mlflow server` on 127.0.0.1.

    .venv/bin/python bench/train_logging.py [--runs 20] [--model-repeat 3]

1. Recording one run's tags, params and metrics:
   - mlflow-ci (sweep_log.record): create_run with the tags, then one log_batch for params and metrics;
   - the seed's way: start_run, then one mlflow.log_param / log_metric / set_tag call per value.
   Both write the same values; the time is the median per run, end_run/set_terminated included.
2. Logging the model: explicit pip_requirements (what the sweep does) vs MLflow's dependency inference.

Prints Markdown to paste into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from mlflow_ci.github.context import Context  # noqa: E402
from mlflow_ci.tracking.tags import run_tags  # noqa: E402
from mlflow_ci.train.sweep import log as sweep_log  # noqa: E402
from tests.conftest import start_mlflow_server  # noqa: E402

CONTEXT = Context(
    event_name="push",
    ref="refs/heads/main",
    sha="1" * 40,
    head_sha="1" * 40,
    repository="example-org/ml-project",
    run_id="4242",
    run_attempt="1",
    job="train",
    actor="octocat",
)


def payload(params: int, metrics: int) -> tuple[dict[str, str], dict[str, str], dict[str, float]]:
    tags = run_tags(CONTEXT)
    return (
        tags,
        {f"param_{i}": str(i * 0.5) for i in range(params)},
        {f"metric_{i}": i / (metrics + 1) for i in range(metrics)},
    )


def ours(client: MlflowClient, experiment_id: str, size: tuple[int, int]) -> None:
    tags, params, metrics = payload(*size)
    run_id = sweep_log.record(client, experiment_id, "bench", tags, params, metrics)
    client.set_terminated(run_id)


def seed(client: MlflowClient, experiment_id: str, size: tuple[int, int]) -> None:
    """The seed workflow's loop body: fluent calls, one request per value."""
    tags, params, metrics = payload(*size)
    with mlflow.start_run(experiment_id=experiment_id, run_name="bench"):
        for key, value in tags.items():
            mlflow.set_tag(key, value)
        for key, value in params.items():
            mlflow.log_param(key, value)
        for key, value in metrics.items():
            mlflow.log_metric(key, value)


def median_ms(calls: list[Callable[[], None]], repeat: int) -> list[float]:
    """Median time of each call; the calls alternate, so a busy moment on the machine hits both alike."""
    for call in calls:
        call()  # warm up: connections, imports
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(repeat):
        for call, spent in zip(calls, times, strict=True):
            started = time.perf_counter()
            call()
            spent.append((time.perf_counter() - started) * 1000)
    return [statistics.median(spent) for spent in times]


def model_seconds(experiment_id: str, explicit: bool, repeat: int) -> float:
    x, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=300).fit(x, y)
    extra = {"pip_requirements": sweep_log.pip_requirements()} if explicit else {}
    times = []
    for _ in range(repeat):
        with mlflow.start_run(experiment_id=experiment_id):
            started = time.perf_counter()
            mlflow.sklearn.log_model(
                model, name="model", input_example=x.head(2), serialization_format="cloudpickle", **extra
            )
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs timed per approach and size")
    parser.add_argument("--model-repeat", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=UserWarning)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"MLflow {mlflow.__version__}, {time.strftime('%Y-%m-%d')}; a local `mlflow server` (HTTP, sqlite, "
        f"1 worker); median of {args.runs} runs\n"
    )
    with tempfile.TemporaryDirectory() as scratch:
        server, url = start_mlflow_server(Path(scratch))
        try:
            mlflow.set_tracking_uri(url)
            client = MlflowClient(url)
            experiment_id = client.create_experiment(f"bench-{time.time_ns()}")
            tag_count = len(run_tags(CONTEXT))
            print("| per run | mlflow-ci: create_run + one log_batch (ms) | seed: one call per value (ms) | ratio |")
            print("|---|---:|---:|---:|")
            for size in ((8, 4), (50, 20)):
                label = f"{tag_count} tags, {size[0]} params, {size[1]} metrics"
                fast, slow = median_ms(
                    [lambda s=size: ours(client, experiment_id, s), lambda s=size: seed(client, experiment_id, s)],
                    args.runs,
                )
                print(f"| {label} | {fast:.0f} | {slow:.0f} | {slow / fast:.1f}x |")
            explicit = model_seconds(experiment_id, True, args.model_repeat)
            inferred = model_seconds(experiment_id, False, args.model_repeat)
            print("\n| `mlflow.sklearn.log_model` (LogisticRegression, iris) | seconds |")
            print("|---|---:|")
            print(f"| explicit `pip_requirements` (the sweep) | {explicit:.2f} |")
            print(f"| MLflow's dependency inference (the default) | {inferred:.2f} |")
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
