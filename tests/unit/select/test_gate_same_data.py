"""The gate with same-data evidence: eval-data's scores replace the logged ones, the interval's lower bound
decides min-improvement, a stale evaluation fails closed, and require-same-data fails on other data."""

from __future__ import annotations

import pytest

from mlflow_ci.select.bootstrap import Interval
from mlflow_ci.select.comparability import Comparability
from mlflow_ci.select.evaluation import EvalData, Evaluation, StaleEvaluation
from mlflow_ci.select.gate import SameData, evaluate
from mlflow_ci.tracking.registry import Champion

CHAMPION = Champion("3", "champion-run", 0.83, "alias production")


def _evaluation(low: float | None, high: float | None, *, version: str = "3") -> SameData:
    interval = Interval(0.95, low, high, 1000, 1) if low is not None and high is not None else None
    data = EvalData("eval.csv", "d" * 32, "sha256 of the file", 200, "label")
    return SameData(Evaluation("accuracy", True, data, "models:/m-1", 0.86, version, "models:/x/3", 0.84, interval))


def _gate(same: SameData, *, threshold: float | None = None, margin: float | None = 0.0, champion=CHAMPION):
    return evaluate(
        metric="accuracy",
        value=0.99,  # the logged value: never used once the models were scored
        greater_is_better=True,
        threshold=threshold,
        min_improvement=margin,
        champion=champion,
        run_id="challenger-run",
        same_data=same,
    )


def test_the_interval_including_zero_keeps_production() -> None:
    result = _gate(_evaluation(-0.01, 0.05))
    assert not result.passed
    [reason] = result.reasons
    assert "accuracy 0.86 vs 0.84 of version 3 (alias production), both scored on eval.csv" in reason
    assert "95% interval of the lead -0.01 to +0.05: the interval includes zero" in reason


def test_the_lower_bound_must_reach_the_margin() -> None:
    assert _gate(_evaluation(0.001, 0.05)).passed
    missed = _gate(_evaluation(0.001, 0.05), margin=0.01)
    assert not missed.passed and "its lower bound misses the margin" in missed.reasons[0]
    assert missed.check("min-improvement").ahead == pytest.approx(0.02)


def test_without_an_interval_the_point_difference_decides() -> None:
    assert _gate(_evaluation(None, None), margin=0.02).passed
    assert not _gate(_evaluation(None, None), margin=0.03).passed


def test_the_threshold_uses_the_score_on_eval_data() -> None:
    result = _gate(_evaluation(0.01, 0.05), threshold=0.9, margin=None)
    assert result.reasons == ("accuracy 0.86 misses the threshold 0.9 (higher is better)",)


def test_a_champion_other_than_the_one_scored_is_stale() -> None:
    moved = Champion("4", "another-run", 0.9, "alias production")
    with pytest.raises(StaleEvaluation, match="version 3 was scored, version 4 holds it now"):
        _gate(_evaluation(0.01, 0.05), champion=moved)


def test_require_same_data_fails_on_other_or_unknown_data_and_passes_on_the_same() -> None:
    other = Comparability(False, "bbbb", "aaaa", "the DVC data version")
    result = _gate(SameData(comparability=other, required=True))
    assert not result.passed
    assert "not comparable: logged on different data (bbbb vs aaaa), and require-same-data is true" in result.reasons
    assert "(not comparable: logged on different data (bbbb vs aaaa))" in result.check("min-improvement").message

    said = _gate(SameData(comparability=other))
    assert said.passed and said.check("same-data") is None

    unknown = _gate(SameData(comparability=Comparability(None, "", "", ""), required=True))
    assert "do not record which data" in unknown.reasons[0]

    same = _gate(SameData(comparability=Comparability(True, "aaaa", "aaaa", "x"), required=True))
    assert same.passed and same.check("same-data").passed


def test_nothing_in_production_skips_the_data_check() -> None:
    result = _gate(SameData(comparability=None, required=True), champion=None)
    assert result.passed and result.check("same-data") is None
