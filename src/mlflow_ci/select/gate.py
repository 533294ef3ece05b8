"""The gate: an absolute threshold and a margin over the model in production, one record per check.

This is the one place pass/fail is decided; the report shows the records it is given.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    text = (
        f"{metric} {value:g} vs {champion.metric_value:g} of version {champion.version} "
        f"({champion.held_by}), margin {margin:g}: {'beats' if met else 'does not beat'} production"
    )
    return Check("min-improvement", met, text, ahead, margin)


def evaluate(
    *,
    metric: str,
    value: float,
    greater_is_better: bool,
    threshold: float | None,
    min_improvement: float | None,
    champion: Champion | None,
    run_id: str,
) -> GateResult:
    checks: list[Check] = []
    if threshold is not None:
        checks.append(_threshold(metric, value, threshold, greater_is_better))
    if min_improvement is not None:
        checks.append(_production(metric, value, min_improvement, champion, run_id, greater_is_better))
    if not checks:
        checks.append(Check("none", None, "no threshold or min-improvement set: the gate passes"))
    return GateResult(tuple(checks))
