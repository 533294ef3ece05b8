"""Comparability of logged metrics: the first kind of digest both runs carry decides."""

from __future__ import annotations

from mlflow_ci.select.comparability import DataDigests, compare


def test_same_metric_dataset_is_comparable() -> None:
    result = compare(DataDigests(metric=frozenset({"aaa"})), DataDigests(metric=frozenset({"aaa", "bbb"})))
    assert result.comparable is True
    assert result.output == "true"
    assert result.basis == "the metric's MLflow dataset"


def test_different_dvc_versions_are_not_comparable_and_say_both_digests() -> None:
    ours, theirs = "1" * 64, "2" * 64
    result = compare(DataDigests(dvc=frozenset({ours})), DataDigests(dvc=frozenset({theirs})))
    assert result.comparable is False
    assert result.output == "false"
    assert result.message() == "not comparable: logged on different data (111111111111 vs 222222222222)"


def test_the_more_precise_kind_wins_over_the_dvc_version() -> None:
    ours = DataDigests(inputs=frozenset({"d1"}), dvc=frozenset({"lock-a"}))
    theirs = DataDigests(inputs=frozenset({"d1"}), dvc=frozenset({"lock-b"}))
    assert compare(ours, theirs).comparable is True


def test_a_kind_only_one_run_has_does_not_decide() -> None:
    ours = DataDigests(metric=frozenset({"m1"}), dvc=frozenset({"lock-a"}))
    theirs = DataDigests(dvc=frozenset({"lock-b"}))
    assert compare(ours, theirs).comparable is False
    assert compare(DataDigests(metric=frozenset({"m1"})), DataDigests(inputs=frozenset({"i1"}))).comparable is None


def test_unknown_when_neither_run_records_its_data() -> None:
    result = compare(DataDigests(), DataDigests())
    assert result.comparable is None
    assert result.output == ""
    assert "unknown" in result.message()
