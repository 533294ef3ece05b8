"""Benchmark: what the promotion lock adds to a promotion over HTTP on loopback.

    .venv/bin/python bench/promotion.py [--repeat 9]

Against a real `mlflow server` on 127.0.0.1 (sqlite backend, 1 worker), behind a counting proxy. Each round
logs a new, better candidate and runs the `ci` step's own code on it (step.select_and_promote: best-run
search, the model files check, then the transaction: lock, production read, gate, find-or-create, READY,
alias + stage, ledger, release). In the same round, on the same model, it times the lock alone (create and
delete of the lock model), and the selection alone (the search and the files check), so the registry part
is the step minus the selection. Production is read once, under the lock, so the re-check itself costs no
request: what serialization adds is the lock.

Prints a Markdown table to paste into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

from mlflow import MlflowClient  # noqa: E402

from bench.common import machine_line  # noqa: E402
from mlflow_ci import inputs, step  # noqa: E402
from mlflow_ci.github.context import Context  # noqa: E402
from mlflow_ci.tracking import registry, search  # noqa: E402
from mlflow_ci.tracking.deadline import Deadline  # noqa: E402
from mlflow_ci.tracking.lock import RegistryLock  # noqa: E402
from mlflow_ci.tracking.model_files import check_model_files  # noqa: E402
from tests.conftest import start_mlflow_server, stop  # noqa: E402
from tests.helpers.fault_proxy import FaultProxy  # noqa: E402
from tests.helpers.mlflow_runs import log_run  # noqa: E402

MODEL = "bench-promotion"
EXPERIMENT = "bench-promotion"


def settings(uri: str) -> inputs.Settings:
    flags = {
        "command": "ci",
        "tracking_uri": uri,
        "experiment_name": EXPERIMENT,
        "metric": "accuracy",
        "model_name": MODEL,
        "stage": "Production",
        "min_improvement": "0",
        "register": "always",
    }
    return inputs.parse(inputs.raw_values(flags, {}))


def one_round(client: MlflowClient, proxy: FaultProxy, s: inputs.Settings) -> dict[str, float]:
    seen = len(proxy.log)
    started = time.perf_counter()
    result = step.select_and_promote(s, Context(), client, None)
    step_ms = (time.perf_counter() - started) * 1000
    assert result.promotion is not None, result
    requests = len(proxy.log) - seen

    started = time.perf_counter()
    best = search.top_runs(
        client,
        result.experiment_id,
        metric="accuracy",
        greater_is_better=True,
        user_filter="",
        scope=search.scope_clauses("experiment", head_sha="", checkout_sha="", workflow_run_id=""),
    )[0]
    check_model_files(client, search.model_uri_of(client, best) or "", "bench")
    select_ms = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with RegistryLock(registry.registry_client(client), MODEL, "bench", Deadline(60, "bench")):
        pass
    lock_ms = (time.perf_counter() - started) * 1000
    return {"step": step_ms, "select": select_ms, "lock": lock_ms, "requests": requests}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    print(machine_line())
    root = Path(tempfile.mkdtemp(prefix="bench-promotion-"))
    server, url = start_mlflow_server(root)
    try:
        with FaultProxy(url) as proxy:
            client = MlflowClient(proxy.url)
            s = settings(proxy.url)
            rounds = []
            for index in range(args.repeat + 1):  # the first round warms up (and creates the model)
                log_run(proxy.url, EXPERIMENT, {"accuracy": 0.5 + index / 100})
                result = one_round(client, proxy, s)
                if index:
                    rounds.append(result)
    finally:
        stop(server)

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    step_ms, select_ms, lock_ms = median("step"), median("select"), median("lock")
    registry_ms = step_ms - select_ms
    print()
    print(f"median of {len(rounds)} rounds after one warm-up; {median('requests'):.0f} requests per step")
    print()
    print("| what | median (ms) | the lock's share |")
    print("|---|---:|---:|")
    print(f"| the `ci` step's server work: search, files check, promotion | {step_ms:.1f} | {lock_ms / step_ms:.0%} |")
    print(f"| its registry part (the step minus the selection) | {registry_ms:.1f} | {lock_ms / registry_ms:.0%} |")
    print(f"| the lock alone: create and delete | {lock_ms:.1f} | |")


if __name__ == "__main__":
    main()
