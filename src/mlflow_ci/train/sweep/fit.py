"""Fitting a sweep's candidates: in parallel (one process each, up to the cores), each scored on held-out
rows or by cross-validation. Workers only train; the parent logs (log.py), so only it needs MLflow."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from mlflow_ci.errors import CandidateFailed
from mlflow_ci.scoring import METRICS
from mlflow_ci.train.sweep.config import Candidate, Sweep


@dataclass(frozen=True)
class Job:
    candidate: Candidate
    x: Any
    y: Any
    metrics: tuple[str, ...]
    test_size: float
    cv: int
    seed: int
    is_classifier: bool
    text: bool  # one text column: the model gets it 1-D, as vectorizers want


@dataclass
class Outcome:
    candidate: Candidate
    metrics: dict[str, float]
    model: Any
    sample: Any  # a few rows of held-out input: the input example and the signature's source
    confusion_png: bytes | None
    seconds: float


def _with_seed(model: Any, seed: int, explicit: Mapping[str, Any]) -> Any:
    """Every random_state the user left unset gets the sweep's seed, so a rerun gives the same numbers."""
    seeded = {
        key: seed
        for key in model.get_params()
        if (key == "random_state" or key.endswith("__random_state")) and key not in explicit
    }
    return model.set_params(**seeded)


def _rows(data: Any, index: Any) -> Any:
    if hasattr(data, "iloc"):
        return data.iloc[index]
    if isinstance(data, list):  # e.g. the texts of fetch_20newsgroups
        return [data[i] for i in index]
    return data[index]


def _example(rows: Any) -> Any:
    """MLflow takes a DataFrame, an array or a list as input example, not a Series (a text column)."""
    return rows.tolist() if getattr(rows, "ndim", 2) == 1 and hasattr(rows, "tolist") else rows


def _predictions(model: Any, x: Any, needs: set[str]) -> dict[str, Any]:
    out = {"pred": model.predict(x)}
    if "proba" in needs or ("score" in needs and hasattr(model, "predict_proba")):
        out["proba"] = out["score"] = model.predict_proba(x)
    elif "score" in needs:
        out["score"] = model.decision_function(x)
    return out


def train_one(job: Job) -> Outcome:
    """Fit and score one candidate (runs in a worker process)."""
    import numpy as np
    from sklearn.base import clone
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    started = time.perf_counter()
    model = _with_seed(job.candidate.build(), job.seed, job.candidate.params)
    if job.text:
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer

        # numpy.ravel turns the one-column frame (what a model server sends) into the 1-D texts a vectorizer
        # takes, and is pickled by reference to numpy: the model needs no code of ours to load.
        model = make_pipeline(FunctionTransformer(np.ravel), model)
    needs = {METRICS[m].uses for m in job.metrics}
    if job.cv:
        splitter = (StratifiedKFold if job.is_classifier else KFold)(job.cv, shuffle=True, random_state=job.seed)
        truths, predictions = [], []
        for train_index, test_index in splitter.split(np.zeros(len(job.y)), job.y):
            fold = clone(model).fit(_rows(job.x, train_index), _rows(job.y, train_index))
            truths.append(_rows(job.y, test_index))
            predictions.append(_predictions(fold, _rows(job.x, test_index), needs))
        y_true = np.concatenate([np.asarray(t) for t in truths])
        predicted = {k: np.concatenate([p[k] for p in predictions]) for k in predictions[0]}
        model.fit(job.x, job.y)
        sample = _example(_rows(job.x, np.arange(min(5, len(job.y)))))
    else:
        stratify = job.y if job.is_classifier else None
        x_train, x_test, y_train, y_true = train_test_split(
            job.x, job.y, test_size=job.test_size, random_state=job.seed, stratify=stratify
        )
        model.fit(x_train, y_train)
        predicted = _predictions(model, x_test, needs)
        sample = _example(_rows(x_test, np.arange(min(5, len(y_true)))))
    metrics = {name: METRICS[name].compute(y_true, predicted[METRICS[name].uses]) for name in job.metrics}
    png = _confusion_png(y_true, predicted["pred"], job.candidate.name) if job.is_classifier else None
    return Outcome(job.candidate, metrics, model, sample, png, time.perf_counter() - started)


def _confusion_png(y_true: Any, y_pred: Any, title: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    display = ConfusionMatrixDisplay.from_predictions(y_true, y_pred, colorbar=False)
    display.ax_.set_title(title)
    buffer = io.BytesIO()
    display.figure_.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(display.figure_)
    return buffer.getvalue()


def train_all(sweep: Sweep, x: Any, y: Any, workers: int | None = None) -> list[Outcome]:
    """Every candidate, in parallel across the cores; results keep the config's order."""
    text = False
    if hasattr(x, "columns") and len(x.columns) == 1:
        from pandas.api.types import is_numeric_dtype

        text = not is_numeric_dtype(x.iloc[:, 0])
    jobs = [
        Job(c, x, y, sweep.metrics, sweep.test_size, sweep.cv, sweep.seed, sweep.is_classifier, text)
        for c in sweep.candidates
    ]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    try:
        if workers == 1:
            return [train_one(job) for job in jobs]
        # spawn, not fork: the parent holds MLflow's HTTP sessions and threads, which fork would copy.
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            return list(pool.map(train_one, jobs))
    except Exception as exc:  # whatever scikit-learn raises on this data: one error, no traceback
        raise CandidateFailed(
            f"a candidate of {sweep.path} failed to train: {type(exc).__name__}: {' '.join(str(exc).split())[:400]}"
            ": check its parameters against the data (no run was logged)"
        ) from None
