"""The paired bootstrap: every fast per-row form equals scikit-learn's metric on the same resample, the
interval is the same on a rerun, includes zero for models equal up to noise, and follows the metric's
direction."""

from __future__ import annotations

import numpy as np
import pytest

from mlflow_ci.scoring import METRICS
from mlflow_ci.select.bootstrap import BootstrapError, paired_bootstrap, statistic

RNG = np.random.default_rng(7)
N = 300
Y_BINARY = RNG.integers(0, 2, N)
Y_MULTI = RNG.integers(0, 3, N)
Y_REAL = RNG.normal(3.0, 1.0, N)


def _proba(y: np.ndarray, classes: int, noise: float) -> np.ndarray:
    logits = np.eye(classes)[y] * 2 + RNG.normal(0, noise, (len(y), classes))
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


CASES = {
    "accuracy": (Y_MULTI, np.where(RNG.random(N) < 0.3, RNG.integers(0, 3, N), Y_MULTI)),
    "balanced_accuracy": (Y_MULTI, np.where(RNG.random(N) < 0.3, RNG.integers(0, 4, N), Y_MULTI)),
    "f1": (Y_MULTI, np.where(RNG.random(N) < 0.3, RNG.integers(0, 4, N), Y_MULTI)),
    "precision": (Y_MULTI, np.where(RNG.random(N) < 0.3, RNG.integers(0, 3, N), Y_MULTI)),
    "recall": (Y_BINARY, np.where(RNG.random(N) < 0.3, 1 - Y_BINARY, Y_BINARY)),
    "roc_auc": (Y_BINARY, np.round(_proba(Y_BINARY, 2, 2.0), 1)),  # rounded: ties must count half
    "log_loss": (Y_MULTI, _proba(Y_MULTI, 3, 1.0)),
    "rmse": (Y_REAL, Y_REAL + RNG.normal(0, 0.5, N)),
    "mse": (Y_REAL, Y_REAL + RNG.normal(0, 0.5, N)),
    "mae": (Y_REAL, Y_REAL + RNG.normal(0, 0.5, N)),
    "r2": (Y_REAL, Y_REAL + RNG.normal(0, 0.5, N)),
    "mape": (Y_REAL, Y_REAL + RNG.normal(0, 0.5, N)),
}


def test_every_metric_has_a_case() -> None:
    assert set(CASES) == set(METRICS)


@pytest.mark.parametrize("metric", sorted(CASES))
def test_fast_form_equals_scikit_learn_on_resamples(metric: str) -> None:
    y, predicted = CASES[metric]
    fast = statistic(metric, y, predicted)
    draw = np.random.default_rng(1)
    for _ in range(20):
        rows = draw.integers(0, N, N)
        assert fast(rows) == pytest.approx(METRICS[metric].compute(y[rows], predicted[rows]), rel=1e-9, abs=1e-12)


def test_same_seed_same_interval_and_another_seed_differs() -> None:
    y, better = CASES["accuracy"]
    worse = np.where(RNG.random(N) < 0.5, 1 - y, y)
    first = paired_bootstrap("accuracy", y, better, worse, greater_is_better=True, confidence=0.95)
    again = paired_bootstrap("accuracy", y, better, worse, greater_is_better=True, confidence=0.95)
    other = paired_bootstrap("accuracy", y, better, worse, greater_is_better=True, confidence=0.95, seed=1)
    assert first == again
    assert (other.low, other.high) != (first.low, first.high)


def test_models_equal_up_to_noise_give_an_interval_around_zero() -> None:
    y = Y_BINARY
    # two models with the same error rate on different rows: neither is better
    a = np.where(RNG.random(N) < 0.2, 1 - y, y)
    b = np.where(RNG.random(N) < 0.2, 1 - y, y)
    interval = paired_bootstrap("accuracy", y, a, b, greater_is_better=True, confidence=0.95)
    assert interval.includes_zero()
    assert interval.low < 0 < interval.high


def test_a_clearly_better_model_has_the_whole_interval_above_zero() -> None:
    y = Y_BINARY
    good = np.where(RNG.random(N) < 0.05, 1 - y, y)
    bad = np.where(RNG.random(N) < 0.4, 1 - y, y)
    interval = paired_bootstrap("accuracy", y, good, bad, greater_is_better=True, confidence=0.95)
    assert interval.low > 0.2
    assert not interval.includes_zero()


def test_lower_is_better_metrics_count_a_smaller_error_as_positive() -> None:
    y = Y_REAL
    close, far = y + RNG.normal(0, 0.1, N), y + RNG.normal(0, 1.0, N)
    interval = paired_bootstrap("rmse", y, close, far, greater_is_better=False, confidence=0.9)
    assert interval.low > 0
    flipped = paired_bootstrap("rmse", y, far, close, greater_is_better=False, confidence=0.9)
    assert flipped.high < 0


def test_a_metric_undefined_on_most_resamples_is_one_error() -> None:
    y = np.zeros(50, dtype=int)  # eval rows of one class only: AUC needs both
    scores = np.linspace(0, 1, 50)
    with pytest.raises(BootstrapError, match="undefined on most resamples of the 50 eval-data rows"):
        paired_bootstrap("roc_auc", y, scores, scores[::-1], greater_is_better=True, confidence=0.95)
