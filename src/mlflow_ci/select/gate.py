"""The gate: an absolute threshold and a margin over the model in production, one record per check.

This is the one place pass/fail is decided; the report shows the records it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mlflow_ci.select.comparability import Comparability
from mlflow_ci.select.evaluation import Evaluation, ensure_current
from mlflow_ci.tracking.registry import Champion

# Metric values arrive as floats: 0.30 - 0.25 is 0.04999999999999999, which must still meet a 0.05 margin.
TOLERANCE = 1e-9


def lead(value: float, other: float, *, greater_is_better: bool) -> float:
    """How far `value` is ahead of `other` in the metric's direction (positive: better), 0 within TOLERANCE."""
    ahead = value - other if greater_is_better else other - value
    return 0.0 if abs(ahead) <= TOLERANCE else ahead


@dataclass(frozen=True)
class Check:
    """One check of the gate. `passed` is None when it was skipped (e.g. nothing in production yet)."""

    name: str  # "threshold" or "min-improvement"
    passed: bool | None
    message: str
    ahead: float | None = None  # the best run's lead over the bar's reference (threshold or production)
    needs: float = 0.0  # the lead it needs: 0 for the threshold, min-improvement against production


@dataclass(frozen=True)
class GateResult:
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(check.passed is not False for check in self.checks)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why it failed; empty when it passed."""
        return tuple(check.message for check in self.checks if check.passed is False)

    @property
    def notes(self) -> tuple[str, ...]:
        """What was checked and met, or skipped."""
        return tuple(check.message for check in self.checks if check.passed is not False)

    def check(self, name: str) -> Check | None:
        return next((check for check in self.checks if check.name == name), None)


@dataclass(frozen=True)
class SameData:
    """What the gate knows about the data behind the comparison with production: both models scored here
    on eval-data, or, without it, whether the logged metrics come from the same data."""

    evaluation: Evaluation | None = None
    comparability: Comparability | None = None
    required: bool = False  # require-same-data


def _threshold(metric: str, value: float, threshold: float, greater_is_better: bool) -> Check:
    ahead = lead(value, threshold, greater_is_better=greater_is_better)
    better = "higher" if greater_is_better else "lower"
    met = ahead >= 0
    verb = "meets" if met else "misses"
    return Check("threshold", met, f"{metric} {value:g} {verb} the threshold {threshold:g} ({better} is better)", ahead)


def _production(
    metric: str, value: float, margin: float, champion: Champion | None, run_id: str, greater_is_better: bool
) -> Check:
    if champion is None:
        return Check("min-improvement", None, "no model in production yet: the comparison with production was skipped")
    if champion.run_id == run_id:
        return Check("min-improvement", None, f"this run is already version {champion.version} ({champion.held_by})")
    if champion.metric_value is None:
        return Check(
            "min-improvement",
            None,
            f"version {champion.version} ({champion.held_by}) has no {metric}: "
            "the comparison with production was skipped",
        )
    ahead = lead(value, champion.metric_value, greater_is_better=greater_is_better)
    met = ahead >= margin - TOLERANCE
    # A tie (lead 0 within TOLERANCE) meets a margin of 0, and is called what it is.
    verdict = ("ties" if ahead == 0 else "beats") if met else "does not beat"
    text = (
        f"{metric} {value:g} vs {champion.metric_value:g} of version {champion.version} "
        f"({champion.held_by}), margin {margin:g}: {verdict} production"
    )
    return Check("min-improvement", met, text, ahead, margin)


def _scored(metric: str, evaluation: Evaluation, champion: Champion, margin: float) -> Check:
    """min-improvement on the scores both models got here; with an interval, its lower bound decides. The
    evaluation must have scored the champion the gate is given (under the promotion lock, production may have
    moved since): else StaleEvaluation, and nothing is promoted."""
    ensure_current(evaluation, champion.version)
    ahead = evaluation.delta if evaluation.delta is not None else 0.0
    ahead = 0.0 if abs(ahead) <= TOLERANCE else ahead
    text = (
        f"{metric} {evaluation.challenger_score:g} vs {evaluation.champion_score:g} of version {champion.version} "
        f"({champion.held_by}), both scored on {evaluation.data.path}, margin {margin:g}"
    )
    interval = evaluation.interval
    if interval is None:
        met = ahead >= margin - TOLERANCE
        return Check("min-improvement", met, f"{text}: {'beats' if met else 'does not beat'} production", ahead, margin)
    met = interval.low >= margin - TOLERANCE
    bounds = f"{interval.confidence:.0%} interval of the lead {interval.low:+.4g} to {interval.high:+.4g}"
    if met:
        verdict = f"{bounds}, its lower bound reaches the margin: beats production"
    elif interval.includes_zero():
        verdict = f"{bounds}: the interval includes zero, so it is not clearly better: production stays"
    else:
        verdict = f"{bounds}, its lower bound misses the margin: does not beat production"
    return Check("min-improvement", met, f"{text}: {verdict}", ahead, margin)


def _same_data(same: SameData, champion: Champion | None, run_id: str) -> Check | None:
    """require-same-data, when the logged numbers are compared (eval-data makes them the same data)."""
    if not same.required or same.evaluation is not None or champion is None or champion.run_id == run_id:
        return None
    comparability = same.comparability
    if comparability is None or comparability.comparable is None:
        return Check(
            "same-data",
            False,
            "require-same-data is true, but the runs do not record which data their metric comes from: log a "
            "dataset input (mlflow.log_input) or track the data with DVC, or set eval-data",
        )
    if comparability.comparable:
        return Check("same-data", True, comparability.message())
    return Check("same-data", False, f"{comparability.message()}, and require-same-data is true")


def evaluate(
    *,
    metric: str,
    value: float,
    greater_is_better: bool,
    threshold: float | None,
    min_improvement: float | None,
    champion: Champion | None,
    run_id: str,
    same_data: SameData | None = None,
) -> GateResult:
    """The checks. With an evaluation, both the threshold and the margin use the scores it computed."""
    same = same_data or SameData()
    evaluation = same.evaluation
    if evaluation is not None:
        value = evaluation.challenger_score
    checks: list[Check] = []
    if threshold is not None:
        checks.append(_threshold(metric, value, threshold, greater_is_better))
    if min_improvement is not None:
        if evaluation is not None and champion is not None and champion.run_id != run_id:
            checks.append(_scored(metric, evaluation, champion, min_improvement))
        else:
            check = _production(metric, value, min_improvement, champion, run_id, greater_is_better)
            if check.passed is not None and same.comparability is not None and same.comparability.comparable is False:
                check = replace(check, message=f"{check.message} ({same.comparability.message()})")
            checks.append(check)
    required = _same_data(same, champion, run_id)
    if required is not None:
        checks.append(required)
    if not checks:
        checks.append(Check("none", None, "no threshold or min-improvement set: the gate passes"))
    return GateResult(tuple(checks))
