"""A seeded paired bootstrap of challenger minus champion: the same resampled rows for both models.

A resample's metric is computed from per-row parts prepared once (correct or not, errors, a confusion
matrix from two small integer codes) instead of calling scikit-learn 2 x 1000 times, which costs seconds of
input checking on 10k rows. Metrics without such a form (roc_auc for many classes) call the metric itself.
tests/unit/select/test_bootstrap.py holds every fast form equal to scikit-learn's on random resamples.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlflow_ci.errors import CIError
from mlflow_ci.scoring import METRICS

RESAMPLES = 1000
SEED = 20240607  # fixed: a rerun on the same rows gives the same interval

Statistic = Callable[[Any], float]  # resampled row indices -> the metric on those rows


class BootstrapError(CIError):
    title = "evaluation"


@dataclass(frozen=True)
class Interval:
    """A percentile interval for challenger minus champion, from `resamples` paired resamples of the rows."""

    confidence: float
    low: float
    high: float
    resamples: int
    seed: int

    def includes_zero(self) -> bool:
        return self.low <= 0 <= self.high


def _mean_of(parts: Any) -> Statistic:
    return lambda rows: float(parts[rows].mean())


def _confusion(y: Any, pred: Any, summary: str) -> Statistic:
    import numpy as np

    classes, codes = np.unique(np.concatenate([np.asarray(y), np.asarray(pred)]), return_inverse=True)
    k = len(classes)
    pairs = codes[: len(y)] * k + codes[len(y) :]

    def statistic(rows: Any) -> float:
        matrix = np.bincount(pairs[rows], minlength=k * k).reshape(k, k)
        true_count, predicted_count, hits = matrix.sum(axis=1), matrix.sum(axis=0), np.diag(matrix)
        present = (true_count + predicted_count) > 0  # scikit-learn averages over labels seen in either
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = np.where(predicted_count > 0, hits / predicted_count, 0.0)
            recall = np.where(true_count > 0, hits / true_count, 0.0)
            f1 = np.where(true_count + predicted_count > 0, 2 * hits / (true_count + predicted_count), 0.0)
        if summary == "precision":
            return float(precision[present].mean())
        if summary == "recall":
            return float(recall[present].mean())
        if summary == "f1":
            return float(f1[present].mean())
        return float(recall[true_count > 0].mean())  # balanced accuracy: recall over the true classes

    return statistic


def _log_loss_parts(y: Any, proba: Any) -> Any:
    import numpy as np

    classes = np.unique(y)
    proba = np.asarray(proba, dtype=float)
    if proba.ndim == 1:
        proba = np.column_stack([1 - proba, proba])
    proba = proba / proba.sum(axis=1, keepdims=True)
    eps = np.finfo(proba.dtype).eps
    picked = proba[np.arange(len(y)), np.searchsorted(classes, y)]
    return -np.log(np.clip(picked, eps, 1 - eps))


def _binary_auc(y: Any, scores: Any) -> Statistic:
    """AUC as the Mann-Whitney statistic over groups of equal scores, each row weighted by how often the
    resample drew it: linear in the rows, no sort per resample."""
    import numpy as np

    positive = (np.asarray(y) == np.unique(y)[-1]).astype(float)
    groups = np.unique(np.asarray(scores), return_inverse=True)[1].ravel()
    size = int(groups.max()) + 1
    n = len(positive)

    def statistic(rows: Any) -> float:
        drawn = np.bincount(rows, minlength=n).astype(float)
        pos = np.bincount(groups, weights=drawn * positive, minlength=size)
        neg = np.bincount(groups, weights=drawn * (1 - positive), minlength=size)
        total_pos, total_neg = pos.sum(), neg.sum()
        if total_pos == 0 or total_neg == 0:
            raise ValueError("one class only")
        below = np.cumsum(neg) - neg
        return float((pos * (below + 0.5 * neg)).sum() / (total_pos * total_neg))

    return statistic


def _classification(metric: str, truth: Any, values: Any) -> Statistic | None:
    import numpy as np

    if metric == "accuracy":
        return _mean_of((truth == values).astype(float))
    if metric in ("f1", "precision", "recall", "balanced_accuracy"):
        return _confusion(truth, values, metric)
    classes = len(np.unique(truth))
    if metric == "log_loss" and classes == (values.shape[1] if values.ndim == 2 else 2):
        return _mean_of(_log_loss_parts(truth, values))
    if metric == "roc_auc" and classes == 2 and (values.ndim == 1 or values.shape[1] == 2):
        return _binary_auc(truth, values[:, 1] if values.ndim == 2 else values)
    return None


def _regression(metric: str, truth: Any, values: Any) -> Statistic | None:
    import numpy as np

    truth = truth.astype(float)
    errors = values.astype(float) - truth
    squared = errors**2
    forms: dict[str, Statistic] = {
        "mae": _mean_of(np.abs(errors)),
        "mse": _mean_of(squared),
        "rmse": lambda rows: float(np.sqrt(squared[rows].mean())),
        "mape": _mean_of(np.abs(errors) / np.maximum(np.abs(truth), np.finfo(np.float64).eps)),
        "r2": lambda rows: float(1 - squared[rows].sum() / ((truth[rows] - truth[rows].mean()) ** 2).sum()),
    }
    return forms.get(metric)


def statistic(metric: str, y: Any, predicted: Any) -> Statistic:
    """The metric as a function of resampled row indices, computed fast where a per-row form exists."""
    import numpy as np

    truth, values = np.asarray(y), np.asarray(predicted)
    spec = METRICS[metric]
    fast = (_regression if spec.task == "regression" else _classification)(metric, truth, values)
    if fast is not None:
        return fast
    return lambda rows: spec.compute(truth[rows], values[rows])


def paired_bootstrap(
    metric: str,
    y: Any,
    challenger: Any,
    champion: Any,
    *,
    greater_is_better: bool,
    confidence: float,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Interval:
    """Resample the rows with replacement, the same rows for both models, and take the percentile interval
    of the difference in the metric's direction. A resample where the metric is undefined (one class only,
    for roc_auc) is drawn again, up to as many extra times as there are resamples."""
    import numpy as np

    ours, theirs = statistic(metric, y, challenger), statistic(metric, y, champion)
    rng = np.random.default_rng(seed)
    n = len(y)
    sign = 1.0 if greater_is_better else -1.0
    deltas: list[float] = []
    attempts = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while len(deltas) < resamples and attempts < 2 * resamples:
            attempts += 1
            rows = rng.integers(0, n, n)
            try:
                delta = ours(rows) - theirs(rows)
            except ValueError:
                continue
            if np.isfinite(delta):
                deltas.append(sign * delta)
    if len(deltas) < resamples:
        raise BootstrapError(
            f"{metric} is undefined on most resamples of the {n} eval-data rows: give more rows "
            "(every class several times)"
        )
    tail = (1 - confidence) / 2
    low, high = np.quantile(np.asarray(deltas), [tail, 1 - tail])
    return Interval(confidence, float(low), float(high), resamples, seed)
