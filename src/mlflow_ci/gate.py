"""The gate: an absolute threshold and a margin over the model in production."""

from __future__ import annotations

from dataclasses import dataclass

# Metric values arrive as floats: 0.30 - 0.25 is 0.04999999999999999, which must still meet a 0.05 margin.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Champion:
    """The model currently in production: the version holding the alias (or, failing that, the stage)."""

    version: str
    run_id: str
    metric_value: float | None
    held_by: str  # "alias production" or "stage Production"


@dataclass(frozen=True)
class GateResult:
    passed: bool
    reasons: tuple[str, ...]  # why it failed; empty when it passed
    notes: tuple[str, ...]  # what was checked or skipped


def _at_least(value: float, bar: float, greater_is_better: bool) -> bool:
    return value >= bar - TOLERANCE if greater_is_better else value <= bar + TOLERANCE


def evaluate(
    metric: str,
    value: float,
    greater_is_better: bool,
    threshold: float | None,
    min_improvement: float | None,
    champion: Champion | None,
    run_id: str,
) -> GateResult:
    reasons: list[str] = []
    notes: list[str] = []
    better = "higher" if greater_is_better else "lower"
    if threshold is not None:
        if _at_least(value, threshold, greater_is_better):
            notes.append(f"{metric} {value:g} meets the threshold {threshold:g} ({better} is better)")
        else:
            reasons.append(f"{metric} {value:g} misses the threshold {threshold:g} ({better} is better)")
    if min_improvement is not None:
        if champion is None:
            notes.append("no model in production yet: the comparison with production was skipped")
        elif champion.run_id == run_id:
            notes.append(f"this run is already version {champion.version} ({champion.held_by})")
        elif champion.metric_value is None:
            notes.append(
                f"version {champion.version} ({champion.held_by}) has no {metric}: "
                "the comparison with production was skipped"
            )
        else:
            sign = 1 if greater_is_better else -1
            bar = champion.metric_value + sign * min_improvement
            text = (
                f"{metric} {value:g} vs {champion.metric_value:g} of version {champion.version} "
                f"({champion.held_by}), margin {min_improvement:g}"
            )
            if _at_least(value, bar, greater_is_better):
                notes.append(f"{text}: beats production")
            else:
                reasons.append(f"{text}: does not beat production")
    if threshold is None and min_improvement is None:
        notes.append("no threshold or min-improvement set: the gate passes")
    return GateResult(not reasons, tuple(reasons), tuple(notes))
