"""The report's Markdown for the cases a reviewer meets, rendered the way GitHub renders it (cmark-gfm).

Every Result here comes from the real decision code (step.select_and_promote: search, production lookup,
gate, registration plan and registration) on the embedded sqlite store, so the report is tested on what
the step really decides.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlflow_ci.github.context import Context
from mlflow_ci.report import markdown as report
from mlflow_ci.tracking.links import UiLinks
from tests.helpers import results
from tests.helpers.markdown import markdown_table_widths, mermaid_blocks, parse_xychart, render, tables

UI = "http://mlflow.example.com:5000"
MODEL = "News Model"
PULL_REQUEST = Context(event_name="pull_request", ref="refs/pull/3/merge", pr_number=3)
MAIN_PUSH = Context(event_name="push", ref="refs/heads/main")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return results.sqlite_store(tmp_path_factory.mktemp("store"))


@pytest.fixture
def make(store: tuple[str, Path]) -> results.MakeResult:
    return results.maker(*store, model=MODEL, links=UiLinks.for_server(UI), ctx=PULL_REQUEST)


def check_well_formed(markdown: str) -> str:
    """Render as GitHub does; every table line has the header's cell count; every chart parses. The HTML."""
    rendered = render(markdown)
    for widths in markdown_table_widths(markdown):
        assert len(set(widths)) == 1, widths
    assert len(tables(rendered)) == len(markdown_table_widths(markdown))
    for block in mermaid_blocks(rendered):
        parse_xychart(block)
    assert "<script" not in rendered
    return rendered


def comparison(markdown: str) -> dict[str, list[str]]:
    """The first table (best run vs production vs threshold) by row label."""
    table = tables(render(markdown))[0]
    return {row[0]: row for row in table.rows}


def heading(markdown: str) -> str:
    return markdown.splitlines()[0]


def test_first_model_ever(make):
    md = report.summary_markdown(make([0.91, 0.88], threshold=0.85, min_improvement=0.0, ctx=MAIN_PUSH))
    check_well_formed(md)
    assert heading(md) == (
        "### ✅ mlflow-ci: accuracy 0.91 passed the gate (no model in production yet); registered as version 1"
    )
    rows = comparison(md)
    assert (
        rows["🚀 production"][1]
        == "none: no version of News Model holds alias production yet (this would be the first)"
    )
    assert rows["🎯 threshold"][2:] == ["0.85", "+0.06 ✅"]
    assert "Registered version **1** of `News Model`, alias `production`." in md
    assert f"[Open in MLflow]({UI}/#/models/News%20Model/versions/1)" in md
    assert "no model in production yet: the comparison with production was skipped" in md


def test_better_than_production_on_a_pull_request(make):
    md = report.summary_markdown(make([0.91, 0.9, 0.86], champion=(0, 0.88), threshold=0.85, min_improvement=0.01))
    rendered = check_well_formed(md)
    assert heading(md) == (
        "### ✅ mlflow-ci: accuracy 0.91 passed the gate (+0.03 vs production version 1); "
        "would be registered on a push to the default branch"
    )
    rows = comparison(md)
    assert rows["🏆 best run"][1:3] == ["run-1", "0.91"]
    assert rows["🚀 production"][1:] == ["version 1 (alias production)", "0.88", "+0.03 ✅ (needs +0.01)"]
    assert f'<a href="{UI}/#/models/News%20Model/versions/1">version 1</a>' in rendered
    assert "Not registered: pull_request: registration runs only on pushes to main." in md
    assert "On a push to the default branch, run `run-1` would be registered as a version of `News Model`" in md
    candidates = tables(rendered)[1]
    assert candidates.column("vs production") == ["+0.03", "+0.02", "-0.02"]
    assert candidates.column("#") == ["1 🏆", "2", "3"]


def test_worse_than_production_fails_the_gate(make):
    md = report.summary_markdown(make([0.85, 0.84], champion=(0, 0.88), min_improvement=0.0, ctx=MAIN_PUSH))
    check_well_formed(md)
    assert (
        heading(md) == "### ❌ mlflow-ci: accuracy 0.85 failed the gate (-0.03 vs production version 1); not registered"
    )
    assert comparison(md)["🚀 production"][1:] == ["version 1 (alias production)", "0.88", "-0.03 ❌ (needs ±0)"]
    assert "- ❌ accuracy 0.85 vs 0.88 of version 1 (alias production), margin 0: does not beat production" in md
    assert "Not registered: the gate failed." in md


def test_gate_failed_on_the_threshold_says_a_push_would_not_register_either(make):
    md = report.summary_markdown(make([0.8, 0.7], threshold=0.85))
    check_well_formed(md)
    assert heading(md).startswith("### ❌ mlflow-ci: accuracy 0.8 failed the gate")
    assert comparison(md)["🎯 threshold"][2:] == ["0.85", "-0.05 ❌"]
    assert "- ❌ accuracy 0.8 misses the threshold 0.85 (higher is better)" in md
    assert "A push to the default branch would not register it either: the gate failed." in md
    assert "would be registered" not in md


def test_minimised_metric_signs_margins_in_its_direction(make):
    md = report.summary_markdown(
        make(
            [3.0, 3.2, 3.9],
            metric="rmse",
            greater_is_better=False,
            champion=(0, 3.5),
            threshold=4.0,
            min_improvement=0.2,
        )
    )
    rendered = check_well_formed(md)
    assert heading(md) == (
        "### ✅ mlflow-ci: rmse 3 passed the gate (+0.5 vs production version 1); "
        "would be registered on a push to the default branch"
    )
    rows = comparison(md)
    assert tables(rendered)[0].header[2] == "rmse (lower is better)"
    assert rows["🚀 production"][2:] == ["3.5", "+0.5 ✅ (needs +0.2)"]
    assert rows["🎯 threshold"][2:] == ["4", "+1 ✅"]
    assert tables(rendered)[1].column("vs production") == ["+0.5", "+0.3", "-0.4"]
    chart = parse_xychart(mermaid_blocks(rendered)[0])
    assert chart.title == "rmse of the top 3 runs (lower is better)"
    assert chart.bars == [[3.0, 3.2, 3.9]] and chart.lines == [[4.0] * 3, [3.5] * 3]


def test_chart_has_a_bar_per_candidate_and_the_threshold_and_production_lines(make):
    values = [0.95 - i * 0.01 for i in range(10)]
    md = report.summary_markdown(make(values, champion=(0, 0.9), threshold=0.88))
    chart = parse_xychart(mermaid_blocks(check_well_formed(md))[0])
    assert chart.x_labels == [f"#{i}" for i in range(1, 11)]
    assert chart.bars == [[round(v, 6) for v in values]]
    assert chart.lines == [[0.88] * 10, [0.9] * 10]
    xy = chart.config["config"]["xyChart"]
    assert xy["width"] <= 600 and xy["height"] <= 300
    palette = chart.config["config"]["themeVariables"]["xyChart"]["plotColorPalette"].split(", ")
    assert palette == ["#4e79a7", "#e15759", "#59a14f"]  # bar, threshold (red), production (green)
    assert "Lines: red: threshold 0.88; green: production version 1, 0.9." in md


def test_chart_numbers_never_use_exponents(make):
    md = report.summary_markdown(make([1.5e-05, 2e-05], greater_is_better=False, metric="loss", threshold=3e-05))
    block = mermaid_blocks(check_well_formed(md))[0]
    assert "e-" not in block.split("xychart-beta")[1]
    assert parse_xychart(block).bars == [[0.000015, 0.00002]]


def test_candidates_show_the_params_that_differ(make):
    params = [
        {"model": "lr", "C": "1.0", "seed": "0"},
        {"model": "lr", "C": "0.1", "seed": "0"},
        {"model": "svm", "seed": "0"},
    ]
    md = report.summary_markdown(make([0.9, 0.8, 0.7], params=params))
    table = tables(check_well_formed(md))[1]
    # seed is the same everywhere; each row has the run's short id and start time
    assert table.header == ["#", "run", "run id", "started (UTC)", "accuracy", "C", "model"]
    assert table.rows[2][5:] == ["", "svm"]
    assert all(len(row[2]) == 8 and re.fullmatch(r"\d\d-\d\d \d\d:\d\d", row[3]) for row in table.rows)


def test_text_from_mlflow_cannot_break_the_markdown(make):
    params = [{"note": "a | b `c` <script>alert(1)</script>", "x": "1"}, {"note": "**bold**", "x": "2"}]
    md = report.summary_markdown(make([0.9, 0.8], params=params, names=["pipe|star*`tick`<b>", "run-2"]))
    rendered = check_well_formed(md)
    table = tables(rendered)[1]
    assert table.rows[0][1] == "pipe|star*'tick'<b>"
    assert table.column("note") == ["a | b 'c' <script>alert(1)</script>", "**bold**"]
    assert "<b>" not in rendered and "<strong>bold</strong>" not in rendered
    assert heading(md).startswith(r"### ✅ mlflow-ci: accuracy 0.9 passed the gate")


def test_best_run_command_has_no_gate_and_names_the_run(make):
    md = report.summary_markdown(make([0.9], command="best-run"))
    check_well_formed(md)
    assert heading(md) == "### 🔎 mlflow-ci: best run run-1: accuracy 0.9 (no model in production yet)"
    assert "**Gate**" not in md and "**Registry**" not in md


def test_best_run_already_in_production(make):
    md = report.summary_markdown(make([0.9, 0.8], champion=(1, 0.9), min_improvement=0.0))
    check_well_formed(md)
    assert heading(md) == "### ✅ mlflow-ci: accuracy 0.9 passed the gate (already production: version 1)"
    assert "A push to the default branch would change nothing: this run is already version 1 (alias production)." in md
    assert "would be registered" not in md
    assert comparison(md)["🚀 production"][3] == "same run"
    assert tables(render(md))[1].column("#")[0] == "1 🏆 🚀"


@pytest.mark.parametrize("value,expected", [(0.030000000000000027, "+0.03"), (-0.5, "-0.5"), (0.0, "±0")])
def test_signed_margins(value, expected):
    assert report.signed(value) == expected


def test_verdict_is_one_line(make):
    result = make([0.91], champion=(0, 0.88), threshold=0.95)
    assert "\n" not in report.verdict(result)
    assert re.fullmatch(r"accuracy 0\.91 failed the gate \(\+0\.03 vs production version 1\)", report.verdict(result))


def test_a_column_shows_what_differs_between_its_values():
    pipeline = "sklearn.feature_extraction.text.TfidfVectorizer+sklearn."
    values = [pipeline + "naive_bayes.MultinomialNB", pipeline + "svm.LinearSVC"]
    assert list(report.distinguishing(values).values()) == ["…MultinomialNB", "…LinearSVC"]
    assert report.distinguishing(["0.1", "0.5"]) == {"0.1": "0.1", "0.5": "0.5"}  # a short shared start stays
    long = ["x" * 50 + "-first", "x" * 50 + "-second"]
    assert list(report.distinguishing(long).values()) == ["…first", "…second"]
    assert report.distinguishing(["y" * 60])["y" * 60] == "…" + "y" * 39
