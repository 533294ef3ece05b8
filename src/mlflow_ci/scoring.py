"""The metrics a sweep can log: a name users type, the task it fits, and how scikit-learn computes it.

Nothing here imports scikit-learn at import time, so the config check can list the names cheaply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MetricSpec:
    task: str  # classification | regression
    uses: str  # "pred": predicted labels/values; "score": probabilities or decision scores
    compute: Callable[[Any, Any], float]


def _sk(name: str, **kwargs: Any) -> Callable[[Any, Any], float]:
    def compute(y_true: Any, y: Any) -> float:
        import sklearn.metrics

        return float(getattr(sklearn.metrics, name)(y_true, y, **kwargs))

    return compute


def _rmse(y_true: Any, y: Any) -> float:
    from sklearn.metrics import mean_squared_error

    return float(mean_squared_error(y_true, y) ** 0.5)


def _roc_auc(y_true: Any, scores: Any) -> float:
    """Binary AUC, or the macro one-vs-rest mean over classes. Computed per class by hand, so decision
    scores (which need not sum to 1, unlike what scikit-learn's multi_class="ovr" demands) work too."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    if getattr(scores, "ndim", 1) == 2 and scores.shape[1] == 2:
        scores = scores[:, 1]
    if getattr(scores, "ndim", 1) == 1:
        return float(roc_auc_score(y_true, scores))
    truth = np.asarray(y_true)
    classes = np.unique(truth)  # the model's classes_ order, when every class is in the held-out part
    return float(np.mean([roc_auc_score(truth == c, scores[:, i]) for i, c in enumerate(classes)]))


METRICS: dict[str, MetricSpec] = {
    "accuracy": MetricSpec("classification", "pred", _sk("accuracy_score")),
    "balanced_accuracy": MetricSpec("classification", "pred", _sk("balanced_accuracy_score")),
    "f1": MetricSpec("classification", "pred", _sk("f1_score", average="macro")),
    "precision": MetricSpec("classification", "pred", _sk("precision_score", average="macro", zero_division=0)),
    "recall": MetricSpec("classification", "pred", _sk("recall_score", average="macro", zero_division=0)),
    "roc_auc": MetricSpec("classification", "score", _roc_auc),
    "log_loss": MetricSpec("classification", "proba", _sk("log_loss")),
    "rmse": MetricSpec("regression", "pred", _rmse),
    "mse": MetricSpec("regression", "pred", _sk("mean_squared_error")),
    "mae": MetricSpec("regression", "pred", _sk("mean_absolute_error")),
    "r2": MetricSpec("regression", "pred", _sk("r2_score")),
    "mape": MetricSpec("regression", "pred", _sk("mean_absolute_percentage_error")),
}
