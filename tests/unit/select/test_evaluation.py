"""The parts of same-data evaluation that need no server: reading the rows, the content digest, which
metrics it can compute, the delta's direction and the stale-evaluation check."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from mlflow_ci.errors import InputError
from mlflow_ci.select.bootstrap import Interval
from mlflow_ci.select.evaluation import (
    MAX_DIGEST,
    EvalData,
    Evaluation,
    StaleEvaluation,
    content_digest,
    ensure_current,
    read_rows,
    supported_metric,
)


def _evaluation(champion_version: str = "3", champion_score: float | None = 0.8, gib: bool = True) -> Evaluation:
    data = EvalData("eval.csv", "abc", "sha256 of the file", 10, "label")
    interval = Interval(0.95, -0.01, 0.05, 1000, 1)
    return Evaluation(
        "accuracy", gib, data, "models:/m-1", 0.82, champion_version, "models:/m-0", champion_score, interval
    )


def test_content_digest_is_sha256_cut_to_mlflows_limit(tmp_path: Path) -> None:
    from mlflow.utils.validation import MAX_DATASET_DIGEST_SIZE

    path = tmp_path / "eval.csv"
    path.write_bytes(b"a,b\n1,2\n" * 1000)
    assert MAX_DIGEST == MAX_DATASET_DIGEST_SIZE
    assert content_digest(path) == hashlib.sha256(path.read_bytes()).hexdigest()[:MAX_DATASET_DIGEST_SIZE]
    path.write_bytes(b"a,b\n1,3\n" * 1000)
    assert content_digest(path) != hashlib.sha256(b"a,b\n1,2\n" * 1000).hexdigest()[:MAX_DIGEST]


def test_reads_csv_and_parquet_into_features_and_labels(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x1": [1.0, 2.0, 3.0], "x2": [0, 1, 0], "label": ["a", "b", "a"]})
    frame.to_csv(tmp_path / "eval.csv", index=False)
    frame.to_parquet(tmp_path / "eval.parquet")
    for name in ("eval.csv", "eval.parquet"):
        x, y = read_rows(tmp_path / name, name, "label")
        assert list(x.columns) == ["x1", "x2"]
        assert list(y) == ["a", "b", "a"]


@pytest.mark.parametrize(
    ("name", "content", "target", "input_name", "says"),
    [
        ("eval.txt", "a\n1\n", "a", "eval-data", "is not a .csv or .parquet file"),
        ("missing.csv", None, "a", "eval-data", "does not exist in the workspace"),
        (
            "eval.csv",
            "x,y\n1,2\n3,4\n",
            "label",
            "eval-target",
            "'label' is not a column of 'eval.csv' (columns: x, y)",
        ),
        ("eval.csv", "x,y\n1,2\n3,4\n", "", "eval-target", "is empty but eval-data is set"),
        ("eval.csv", "x,label\n1,2\n", "label", "eval-data", "has 1 rows"),
        ("eval.parquet", "not parquet", "label", "eval-data", "cannot be read"),
    ],
)
def test_bad_eval_data_is_one_input_error(
    tmp_path: Path, name: str, content: str | None, target: str, input_name: str, says: str
) -> None:
    if content is not None:
        (tmp_path / name).write_text(content)
    with pytest.raises(InputError) as caught:
        read_rows(tmp_path / name, name, target)
    assert caught.value.input_name == input_name
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_metric_the_action_cannot_compute_names_the_ones_it_can() -> None:
    assert supported_metric("roc_auc").uses == "score"
    with pytest.raises(InputError, match=r"metric is 'acc'.*accuracy, balanced_accuracy"):
        supported_metric("acc")


def test_delta_is_in_the_metrics_direction() -> None:
    assert _evaluation().delta == pytest.approx(0.02)
    assert _evaluation(gib=False).delta == pytest.approx(-0.02)
    assert _evaluation(champion_version="", champion_score=None).delta is None


def test_stale_when_production_moved_since_it_was_scored() -> None:
    ensure_current(_evaluation("3"), "3")
    with pytest.raises(StaleEvaluation, match=r"version 3 was scored, version 4 holds it now\): nothing was promoted"):
        ensure_current(_evaluation("3"), "4")
    with pytest.raises(StaleEvaluation, match=r"no model was scored, version 1 holds it now"):
        ensure_current(_evaluation("", None), "1")
    with pytest.raises(StaleEvaluation, match=r"version 3 was scored, no model holds it now"):
        ensure_current(_evaluation("3"), "")


def test_missing_libraries_are_one_error_naming_them(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from mlflow_ci.select.evaluation import EvaluationError, require_libraries

    require_libraries()  # the test venv has them
    real = importlib.util.find_spec
    # A double for an image without scikit-learn: find_spec answers as it would there.
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "sklearn" else real(name))
    with pytest.raises(EvaluationError, match="eval-data needs scikit-learn in the Python the action runs with"):
        require_libraries()
