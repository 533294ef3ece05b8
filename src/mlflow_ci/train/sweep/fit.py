"""Fitting a sweep's candidates, each scored on held-out rows or by cross-validation, in this process or in a
pool of workers (execution.py decides, after the first candidate). Workers only train; the parent logs
(log.py), so only it needs MLflow."""

from __future__ import annotations

import importlib
import io
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mlflow_ci.errors import CandidateFailed
from mlflow_ci.scoring import METRICS
from mlflow_ci.train.sweep import execution
from mlflow_ci.train.sweep.config import Candidate, Sweep


@dataclass(frozen=True)
class Job:
    """One candidate's training, without the data: a worker gets the data once, not with every job."""

    candidate: Candidate
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


def train_one(job: Job, data: tuple[Any, Any]) -> Outcome:
    """Fit and score one candidate on data = (x, y), in this process or a worker."""
    import numpy as np
    from sklearn.base import clone
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    x, y = data
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
        for train_index, test_index in splitter.split(np.zeros(len(y)), y):
            fold = clone(model).fit(_rows(x, train_index), _rows(y, train_index))
            truths.append(_rows(y, test_index))
            predictions.append(_predictions(fold, _rows(x, test_index), needs))
        y_true = np.concatenate([np.asarray(t) for t in truths])
        predicted = {k: np.concatenate([p[k] for p in predictions]) for k in predictions[0]}
        model.fit(x, y)
        sample = _example(_rows(x, np.arange(min(5, len(y)))))
    else:
        stratify = y if job.is_classifier else None
        x_train, x_test, y_train, y_true = train_test_split(
            x, y, test_size=job.test_size, random_state=job.seed, stratify=stratify
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


def jobs_of(sweep: Sweep, x: Any) -> list[Job]:
    text = False
    if hasattr(x, "columns") and len(x.columns) == 1:
        from pandas.api.types import is_numeric_dtype

        text = not is_numeric_dtype(x.iloc[:, 0])
    return [
        Job(c, sweep.metrics, sweep.test_size, sweep.cv, sweep.seed, sweep.is_classifier, text)
        for c in sweep.candidates
    ]


def preload(sweep: Sweep) -> list[str]:
    """What training this sweep imports: this module, the estimators' modules, pyplot for the confusion
    matrix. A pool's server imports them once (its workers are forks of it), and this process before its
    first candidate, so that candidate's time, which decides the execution, is its training alone."""
    modules = [__name__, "mlflow_ci.scoring", "sklearn.preprocessing"]
    modules += [path.rpartition(".")[0] for candidate in sweep.candidates for path in candidate.estimator]
    if sweep.is_classifier:
        modules.append("matplotlib.pyplot")
    return modules


def train_each(
    sweep: Sweep,
    x: Any,
    y: Any,
    *,
    workers: int | None = None,
    decided: Callable[[execution.Execution], None] = lambda _: None,
) -> Iterator[tuple[int, Outcome]]:
    """(index in the config, outcome) for every candidate, as each finishes. `workers`: at most this many
    processes (1: all in this process); None: as execution.py decides."""
    modules = preload(sweep)
    for module in modules:
        importlib.import_module(module)
    try:
        yield from execution.run(
            jobs_of(sweep, x), train_one, (x, y), requested=workers, preload=modules, decided=decided
        )
    except Exception as exc:  # whatever scikit-learn raises on this data: one error, no traceback
        raise CandidateFailed(
            f"a candidate of {sweep.path} failed to train: {type(exc).__name__}: {' '.join(str(exc).split())[:400]}"
            ": check its parameters against the data"
        ) from None
