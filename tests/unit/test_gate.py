from mlflow_ci.gate import Champion, evaluate


def gate(value, greater=True, threshold=None, margin=None, champion=None, run_id="r1"):
    return evaluate("m", value, greater, threshold, margin, champion, run_id)


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
