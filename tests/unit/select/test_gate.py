"""The gate: each check's verdict, in both directions, with float tolerance."""

from mlflow_ci.select.gate import evaluate, lead
from mlflow_ci.tracking.registry import Champion


def gate(value, greater=True, threshold=None, margin=None, champion=None, run_id="r1"):
    return evaluate(
        metric="m",
        value=value,
        greater_is_better=greater,
        threshold=threshold,
        min_improvement=margin,
        champion=champion,
        run_id=run_id,
    )


def test_threshold_in_both_directions():
    assert gate(0.9, threshold=0.85).passed
    assert gate(0.85, threshold=0.85).passed
    assert not gate(0.84, threshold=0.85).passed
    assert gate(0.3, greater=False, threshold=0.5).passed
    assert not gate(0.6, greater=False, threshold=0.5).passed


def test_failure_reasons_say_what_missed():
    result = gate(0.84, threshold=0.85)
    assert result.reasons == ("m 0.84 misses the threshold 0.85 (higher is better)",)


def test_margin_over_production():
    champion = Champion("2", "old", 0.80, "alias production")
    assert gate(0.86, margin=0.05, champion=champion).passed
    assert not gate(0.84, margin=0.05, champion=champion).passed
    assert gate(0.80, margin=0.0, champion=champion).passed
    assert not gate(0.79, margin=0.0, champion=champion).passed


def test_margin_for_a_minimised_metric():
    champion = Champion("2", "old", 10.0, "alias production")
    assert gate(8.0, greater=False, margin=1.0, champion=champion).passed
    assert not gate(9.5, greater=False, margin=1.0, champion=champion).passed


def test_float_rounding_does_not_fail_an_exact_margin():
    assert 0.30 - 0.25 < 0.05  # the arithmetic that would wrongly fail it
    assert gate(0.30, margin=0.05, champion=Champion("1", "old", 0.25, "alias production")).passed


def test_comparison_skipped_without_production_or_when_the_run_is_production():
    first = gate(0.5, margin=0.1)
    assert first.passed and "no model in production yet" in first.notes[0]
    same = gate(0.5, margin=0.1, champion=Champion("3", "r1", 0.5, "alias production"))
    assert same.passed and "already version 3" in same.notes[0]
    no_metric = gate(0.5, margin=0.1, champion=Champion("3", "old", None, "stage Production"))
    assert no_metric.passed and "has no m" in no_metric.notes[0]


def test_both_checks_report_every_failure():
    result = gate(0.5, threshold=0.9, margin=0.1, champion=Champion("1", "old", 0.6, "alias production"))
    assert not result.passed and len(result.reasons) == 2


def test_each_check_is_one_record_with_its_lead():
    champion = Champion("2", "old", 0.80, "alias production")
    result = gate(0.86, threshold=0.9, margin=0.05, champion=champion)
    threshold, production = result.checks
    assert (threshold.name, threshold.passed, round(threshold.ahead, 9)) == ("threshold", False, -0.04)
    assert (production.name, production.passed, round(production.ahead, 9), production.needs) == (
        "min-improvement",
        True,
        0.06,
        0.05,
    )
    assert not result.passed and result.reasons == (threshold.message,) and result.notes == (production.message,)


def test_a_skipped_check_neither_passes_nor_fails_the_gate():
    result = gate(0.5, margin=0.1)
    assert result.checks[0].passed is None and result.passed
    assert result.notes == ("no model in production yet: the comparison with production was skipped",)


def test_lead_is_signed_in_the_metric_direction_and_snaps_float_noise_to_zero():
    assert lead(0.3 + 1e-17, 0.3, greater_is_better=True) == 0.0
    assert lead(0.1 + 0.2, 0.3, greater_is_better=True) == 0.0  # 5.5e-17 apart
    assert lead(0.9, 0.8, greater_is_better=False) < 0 < lead(0.9, 0.8, greater_is_better=True)
