"""Benchmark: what the promotion lock and the re-check add to a promotion over HTTP on loopback.

    .venv/bin/python bench/promotion.py [--repeat 9]

Against a real `mlflow server` on 127.0.0.1 (sqlite backend, 1 worker), behind a counting proxy. Each round
promotes a new, better candidate of one registered model with the action's own transaction
(tracking/promotion.py: lock, re-read of production, re-run gate, find-or-create, READY, alias + stage,
ledger), and, in the same round and on the same model, times just the parts the serialization adds: taking
and releasing the lock, and re-reading production. Requests are counted per promotion (lock included).

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
from mlflow_ci.select import gate  # noqa: E402
from mlflow_ci.tracking import promotion, registry  # noqa: E402
from mlflow_ci.tracking.deadline import Deadline  # noqa: E402
from mlflow_ci.tracking.lock import RegistryLock  # noqa: E402
from tests.conftest import start_mlflow_server, stop  # noqa: E402
from tests.helpers.fault_proxy import FaultProxy  # noqa: E402
from tests.helpers.mlflow_runs import log_run  # noqa: E402

MODEL = "bench-promotion"
TARGET = promotion.Target(MODEL, "production", "Production")
MOVER = promotion.Mover("0" * 40, "https://github.com/org/repo/actions/runs/1", "bench")


def one_round(client: MlflowClient, proxy: FaultProxy, run_id: str, model_uri: str, accuracy: float) -> dict:
    """One promotion, then the lock and the re-read alone; times in ms, and the promotion's requests."""
    known = registry.find_champion(client, MODEL, alias="production", stage="Production", metric="accuracy")

    def judge(champion: registry.Champion | None) -> gate.GateResult:
        return gate.evaluate(
            metric="accuracy",
            value=accuracy,
            greater_is_better=True,
            threshold=None,
            min_improvement=0.0,
            champion=champion,
            run_id=run_id,
        )

    seen = len(proxy.log)
    started = time.perf_counter()
    outcome, verdict = promotion.promote(
        client,
        TARGET,
        promotion.Candidate(run_id, model_uri, {}),
        metric="accuracy",
        known=known,
        judge=judge,
        deadline=Deadline(60, "bench"),
        mover=MOVER,
    )
    promote_ms = (time.perf_counter() - started) * 1000
    assert verdict.passed and outcome.moved, outcome
    requests = len(proxy.log) - seen

    store = registry.registry_client(client)
    known = registry.find_champion(client, MODEL, alias="production", stage="Production", metric="accuracy")
    started = time.perf_counter()
    with RegistryLock(store, MODEL, "bench", Deadline(60, "bench")):
        production = registry.read_production(store, MODEL, alias="production", stage="Production")
        registry.champion_of(
            client, store, MODEL, production, alias="production", stage="Production", metric="accuracy", known=known
        )
    added_ms = (time.perf_counter() - started) * 1000
    return {"promote": promote_ms, "added": added_ms, "requests": requests}


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
            rounds = []
            for index in range(args.repeat + 1):  # the first round warms up (and creates the model)
                accuracy = 0.5 + index / 100
                run_id = log_run(proxy.url, "bench-promotion", {"accuracy": accuracy})
                model_id = client.get_run(run_id).outputs.model_outputs[0].model_id
                result = one_round(client, proxy, run_id, f"models:/{model_id}", accuracy)
                if index:
                    rounds.append(result)
    finally:
        stop(server)
    promote = statistics.median(r["promote"] for r in rounds)
    added = statistics.median(r["added"] for r in rounds)
    requests = statistics.median(r["requests"] for r in rounds)
    print()
    print("| what | median (ms) | share of a promotion |")
    print("|---|---:|---:|")
    print(f"| a promotion (lock and re-check included), {requests:.0f} requests | {promote:.1f} | 100 % |")
    print(f"| the lock (create + delete) and the re-read of production | {added:.1f} | {added / promote:.0%} |")


if __name__ == "__main__":
    main()
