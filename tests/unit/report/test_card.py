"""The model card renders on GitHub as tables with the decision, data versions, scores against production,
params and metrics; what is not known reads "unknown"; text from runs cannot break the Markdown."""

from __future__ import annotations

from mlflow_ci.report.card import CardFacts, render
from mlflow_ci.select.bootstrap import Interval
from mlflow_ci.select.comparability import Comparability
from mlflow_ci.select.evaluation import EvalData, Evaluation
from tests.helpers.markdown import markdown_table_widths, tables
from tests.helpers.markdown import render as github

EVALUATION = Evaluation(
    "accuracy",
    True,
    EvalData("data/eval.csv", "0123456789abcdef0123456789abcdef", "DVC md5 from data/eval.csv.dvc", 500, "label"),
    "models:/m-1",
    0.9,
    "4",
    "models:/m-0",
    0.85,
    Interval(0.95, 0.01, 0.09, 1000, 7),
    {"accuracy": 0.9, "f1": 0.88},
    {"accuracy": 0.85, "f1": 0.8},
)


def _facts(**changes: object) -> CardFacts:
    base = {
        "model_name": "News | Classifier",
        "version": "5",
        "outcome": "promoted",
        "reason": "the interval's lower bound +0.01 reaches the margin 0",
        "metric": "accuracy",
        "greater_is_better": True,
        "run_id": "r123",
        "run_name": "lr <b>|</b>",
        "run_url": "http://mlflow/#/experiments/1/runs/r123",
        "value": 0.91,
        "params": {"C": "1.0", "penalty": "l2"},
        "metrics": {"accuracy": 0.91},
        "champion_version": "4",
        "champion_value": 0.83,
        "evaluation": EVALUATION,
        "data_versions": {"DVC data version (dvc.lock sha256)": "f" * 64},
        "commit": "abc123",
        "workflow_run_url": "https://github.com/o/r/actions/runs/9",
    }
    return CardFacts(**{**base, **changes})  # type: ignore[arg-type]


def test_card_tables_render_with_every_section() -> None:
    markdown = render(_facts())
    for widths in markdown_table_widths(markdown):
        assert len(set(widths)) == 1, markdown
    found = tables(github(markdown))
    about, data, production, params, metrics = found
    assert about.rows[0] == ["Decision", "promoted: the interval's lower bound +0.01 reaches the margin 0"]
    assert about.rows[1][1] == "lr <b>|</b> (r123)"
    assert about.rows[2] == ["Commit", "abc123"]
    assert data.rows[0] == [
        "evaluation: data/eval.csv (500 rows, labels label)",
        "0123456789abcdef0123456789abcdef (DVC md5 from data/eval.csv.dvc)",
    ]
    assert production.header == ["metric", "this model", "production (version 4)", "difference"]
    assert production.rows[0] == [
        "accuracy",
        "0.9",
        "0.85",
        "+0.05 (95% interval +0.01 to +0.09, 1000 paired resamples)",
    ]
    assert production.rows[1] == ["f1", "0.88", "0.8", "+0.08"]
    assert params.rows == [["C", "1.0"], ["penalty", "l2"]]
    assert metrics.rows == [["accuracy", "0.91"]]
    assert "## Model card: News | Classifier version 5" in markdown.replace("\\|", "|")


def test_unknowns_are_marked_unknown() -> None:
    markdown = render(
        _facts(
            evaluation=None,
            data_versions={},
            commit="",
            workflow_run_url="",
            params={},
            champion_value=None,
            comparability=Comparability(False, "aaa", "bbb", "the runs' MLflow dataset inputs"),
        )
    )
    about, data, production, _metrics = tables(github(markdown))
    assert about.rows[2] == ["Commit", "unknown"]
    assert about.rows[3] == ["Workflow run", "unknown"]
    assert data.rows == [
        ["evaluation", "unknown: no eval-data; the metrics are the runs' own"],
        ["training", "unknown: the run records no data version"],
    ]
    assert production.rows == [["accuracy", "0.91", "unknown"]]
    assert "not comparable: logged on different data (aaa vs bbb)" in markdown
    assert "unknown: the run logged no parameters" in markdown


def test_without_production_says_so() -> None:
    markdown = render(_facts(champion_version="", evaluation=None))
    assert "No model was in production." in markdown
