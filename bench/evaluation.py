"""Benchmark: what same-data evaluation costs, beside the promotion's own time, against a real `mlflow server`
on 127.0.0.1.

    .venv/bin/python bench/evaluation.py [--rows 10000] [--repeat 5]

Two scikit-learn models from the sweep's usual candidates (a logistic regression and a 100-tree random
forest), logged as the sweep logs them, one registered as production. Per repeat, in one process:
1. evaluation as mlflow-ci runs it: read and hash the eval CSV, load both models with mlflow.pyfunc, predict,
   score, a 1000-resample paired bootstrap (95%), and log the scores tied to the dataset;
2. the bootstrap alone, with the per-row forms the action uses and with scikit-learn's metric per resample;
3. the promotion: register the challenger (new version, READY wait, alias and stage moved) and record the
   decision and model card on it;
4. MLflow's own `mlflow.models.evaluate` on both models (the default evaluator, explainability off), the
   API the research notes measured, for scale.

Prints Markdown to paste into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import logging
import os
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
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

import mlflow  # noqa: E402
import numpy as np  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from bench.common import machine_line  # noqa: E402
from mlflow_ci.report.card import CardFacts, render  # noqa: E402
from mlflow_ci.scoring import METRICS  # noqa: E402
from mlflow_ci.select.bootstrap import SEED, paired_bootstrap  # noqa: E402
from mlflow_ci.select.evaluation import EvalData, EvalRows, content_digest, evaluate, predictions, read_rows  # noqa: E402
from mlflow_ci.select.record import DecisionRecord, log_scores, record_decision  # noqa: E402
from mlflow_ci.tracking import registry  # noqa: E402
from tests.conftest import start_mlflow_server, stop  # noqa: E402
from tests.helpers.eval_models import log_model, task_rows, write_csv  # noqa: E402


def median_of(repeat: int, call: Callable[[], object]) -> tuple[float, float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times), max(times)


def sklearn_bootstrap(metric: str, y: np.ndarray, ours: np.ndarray, theirs: np.ndarray) -> None:
    """The plain way: scikit-learn's metric on every resample, for both models."""
    compute = METRICS[metric].compute
    rng = np.random.default_rng(SEED)
    for _ in range(1000):
        rows = rng.integers(0, len(y), len(y))
        compute(y[rows], ours[rows]) - compute(y[rows], theirs[rows])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    print(machine_line())
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        process, uri = start_mlflow_server(root)
        try:
            run(uri, root, args.rows, args.repeat)
        finally:
            stop(process)


def run(uri: str, root: Path, rows: int, repeat: int) -> None:
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    experiment, name = "bench-eval", "bench-model"
    train = task_rows(5000, seed=1)
    champion = log_model(uri, experiment, LogisticRegression(), train)
    challenger = log_model(uri, experiment, RandomForestClassifier(n_estimators=100, random_state=0), train)
    registry.register(
        client, name, run_id=champion.run_id, model_uri=champion.model_uri, tags={}, alias="production", stage=""
    )
    path = write_csv(task_rows(rows, seed=2), root / "eval.csv")
    size_mb = path.stat().st_size / 1e6

    def evaluation(metric: str) -> Callable[[], object]:
        def call() -> object:
            x, y = read_rows(path, "eval.csv", "label")
            rows = EvalRows(EvalData("eval.csv", content_digest(path), "sha256 of the file", len(y), "label"), x, y)
            result = evaluate(
                metric=metric,
                greater_is_better=True,
                rows=rows,
                challenger_uri=challenger.model_uri,
                champion_uri=f"models:/{name}@production",
                champion_version="1",
                confidence=0.95,
            )
            log_scores(
                client,
                result,
                run_id=challenger.run_id,
                challenger_model_id=challenger.model_id,
                champion_model_id=champion.model_id,
                rows=rows,
                source=str(path),
            )
            return result

        return call

    print(f"\nEval data: {rows} rows x 6 features ({size_mb:.1f} MB CSV); median of {repeat} (min to max), seconds.\n")
    print("| step | accuracy | roc_auc |")
    print("|---|---:|---:|")
    shown = lambda t: f"{t[0]:.2f} ({t[1]:.2f} to {t[2]:.2f})"  # noqa: E731
    full = {m: median_of(repeat, evaluation(m)) for m in ("accuracy", "roc_auc")}
    print(
        f"| evaluation, all of it (read, hash, load 2 models, predict, score, bootstrap, log) | "
        f"{shown(full['accuracy'])} | {shown(full['roc_auc'])} |"
    )

    x, y = read_rows(path, "eval.csv", "label")
    truth = np.asarray(y)
    models = {
        role: mlflow.pyfunc.load_model(uri_)
        for role, uri_ in (("challenger", challenger.model_uri), ("champion", champion.model_uri))
    }
    parts: dict[str, tuple[float, float, float]] = {}
    for metric in ("accuracy", "roc_auc"):
        uses = METRICS[metric].uses
        preds = {r: predictions(m, x, {uses}, r, "")[uses] for r, m in models.items()}
        parts[f"fast {metric}"] = median_of(
            repeat,
            lambda preds=preds, metric=metric: paired_bootstrap(
                metric, truth, preds["challenger"], preds["champion"], greater_is_better=True, confidence=0.95
            ),
        )
        parts[f"sklearn {metric}"] = median_of(
            max(1, repeat // 2),
            lambda preds=preds, metric=metric: sklearn_bootstrap(metric, truth, preds["challenger"], preds["champion"]),
        )
    print(
        f"| bootstrap alone, per-row forms (mlflow-ci) | {shown(parts['fast accuracy'])} | "
        f"{shown(parts['fast roc_auc'])} |"
    )
    print(
        f"| bootstrap alone, scikit-learn per resample | {shown(parts['sklearn accuracy'])} | "
        f"{shown(parts['sklearn roc_auc'])} |"
    )

    decision_result = evaluation("accuracy")()
    counter = iter(range(10_000))

    def promotion() -> None:
        # A fresh run each time, so every repeat creates a version rather than reusing one.
        fresh = log_model(uri, experiment, LogisticRegression(C=0.5 + next(counter)), train)
        started = time.perf_counter()
        done = registry.register(
            client,
            name,
            run_id=fresh.run_id,
            model_uri=fresh.model_uri,
            tags={},
            alias="production",
            stage="Production",
        )
        registered = time.perf_counter() - started
        card = render(
            CardFacts(
                name, done.version, "promoted", "bench", "accuracy", True, fresh.run_id, evaluation=decision_result
            )
        )
        record_decision(
            client, name, done.version, DecisionRecord.from_evaluation("promoted", "bench", decision_result, ""), card
        )
        promotion_times.append((registered, time.perf_counter() - started - registered))

    promotion_times: list[tuple[float, float]] = []
    for _ in range(repeat):
        promotion()
    reg = sorted(t[0] for t in promotion_times)
    rec = sorted(t[1] for t in promotion_times)
    print(
        f"| promotion: register, READY wait, alias + stage | {statistics.median(reg):.2f} "
        f"({reg[0]:.2f} to {reg[-1]:.2f}) | |"
    )
    print(
        f"| recording the decision: version tags, description, model_card.md | {statistics.median(rec):.2f} "
        f"({rec[0]:.2f} to {rec[-1]:.2f}) | |"
    )

    def mlflow_evaluate() -> None:
        frame = x.assign(label=truth)
        with mlflow.start_run(experiment_id=client.get_experiment_by_name(experiment).experiment_id):
            for model_uri in (challenger.model_uri, champion.model_uri):
                mlflow.models.evaluate(
                    model_uri,
                    frame,
                    targets="label",
                    model_type="classifier",
                    evaluator_config={"log_model_explainability": False},
                )

    try:
        timed = median_of(max(1, repeat // 2), mlflow_evaluate)
        print(f"| for scale: `mlflow.models.evaluate` on both models (no interval) | {shown(timed)} | |")
    except Exception as exc:  # the full mlflow package is needed; the action ships mlflow-skinny
        print(f"| for scale: `mlflow.models.evaluate` | failed: {type(exc).__name__}: {str(exc)[:80]} | |")


if __name__ == "__main__":
    main()
