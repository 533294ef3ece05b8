"""Benchmark: finding the best run, and failing on a dead server, side by side in one process.

    .venv/bin/python bench/best_run_search.py [--runs 300 1000] [--repeat 7]

1. Best run among N finished runs, on the embedded sqlite store and on a real `mlflow server` on 127.0.0.1:
   - mlflow-ci: one server-side query (order_by the metric, the top 10 for the report, the first is the best);
   - the seed workflow's way: page through search_runs and take the max in Python.
2. Time to fail against a closed port on 127.0.0.1: mlflow-ci's client defaults vs MLflow's own (capped).

Prints a Markdown table to paste into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric, Param  # noqa: E402

from bench.common import machine_line  # noqa: E402
from mlflow_ci.tracking import search  # noqa: E402
from mlflow_ci.tracking.client import CLIENT_DEFAULTS  # noqa: E402
from tests.conftest import free_port, start_mlflow_server  # noqa: E402


def populate(client: MlflowClient, runs: int) -> str:
    experiment_id = client.create_experiment(f"bench-{time.time_ns()}")
    now = int(time.time() * 1000)
    for index in range(runs):
        run = client.create_run(experiment_id)
        value = ((index * 7919) % runs) / runs  # a permutation: one best run, not the last logged
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("accuracy", value, now, 0), Metric("loss", 1 - value, now, 0)],
            params=[Param("index", str(index))],
        )
        client.set_terminated(run.info.run_id)
    return experiment_id


def ours(client: MlflowClient, experiment_id: str) -> str:
    """The pipeline's own call: one ranked query for the best run and the report's candidates."""
    scope = search.scope_clauses("experiment", head_sha="", checkout_sha="", workflow_run_id="")
    runs = search.top_runs(
        client, experiment_id, metric="accuracy", greater_is_better=True, user_filter="", scope=scope
    )
    return runs[0].info.run_id


def seed_loop(client: MlflowClient, experiment_id: str) -> str:
    """What teams paste today: fetch every run page by page, keep the best in Python."""
    best_id, best_value, token = "", float("-inf"), None
    while True:
        page = client.search_runs([experiment_id], max_results=1000, page_token=token)
        for run in page:
            value = run.data.metrics.get("accuracy")
            if value is not None and run.info.status == "FINISHED" and value > best_value:
                best_id, best_value = run.info.run_id, value
        token = page.token
        if not token:
            return best_id


def median_ms(call: Callable[[], str], repeat: int) -> tuple[float, str]:
    answer, times = call(), []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), answer


def time_to_fail(extra_env: dict[str, str], cap: float) -> str:
    script = (
        "from mlflow import MlflowClient; import sys\n"
        "try:\n    MlflowClient(sys.argv[1]).get_experiment_by_name('x')\nexcept Exception:\n    pass\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_HTTP")} | extra_env
    started = time.perf_counter()
    try:
        subprocess.run(
            [sys.executable, "-c", script, f"http://127.0.0.1:{free_port()}"], env=env, timeout=cap, capture_output=True
        )
    except subprocess.TimeoutExpired:
        return f"> {cap:.0f} s (stopped)"
    return f"{time.perf_counter() - started:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(machine_line() + "\n")
    print("| store | runs | mlflow-ci: one query (ms) | seed: page all + max (ms) | ratio |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        server, url = start_mlflow_server(Path(scratch))
        try:
            stores = {
                "sqlite (embedded)": MlflowClient(f"sqlite:///{scratch}/bench.db"),
                "HTTP server": MlflowClient(url),
            }
            for label, client in stores.items():
                for runs in args.runs:
                    experiment_id = populate(client, runs)
                    fast, fast_id = median_ms(lambda c=client, e=experiment_id: ours(c, e), args.repeat)
                    slow, slow_id = median_ms(lambda c=client, e=experiment_id: seed_loop(c, e), args.repeat)
                    assert fast_id == slow_id, "both ways must find the same run"
                    print(f"| {label} | {runs} | {fast:.1f} | {slow:.1f} | {slow / fast:.1f}x |")
        finally:
            server.terminate()
            server.wait(timeout=20)
    print("\n| client settings | time to fail on a closed port |")
    print("|---|---:|")
    print(
        f"| mlflow-ci defaults ({', '.join(f'{k}={v}' for k, v in CLIENT_DEFAULTS.items() if 'HTTP' in k)}) "
        f"| {time_to_fail(CLIENT_DEFAULTS, 120)} |"
    )
    print(f"| MLflow's defaults | {time_to_fail({}, 120)} |")


if __name__ == "__main__":
    main()
