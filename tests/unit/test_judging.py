"""What the step records of a decision made on logged metrics: the decision record's fields (what the
version's tags say) and the model card, for Results from the real decision code on an embedded store."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.entities import Run

from mlflow_ci import judging
from mlflow_ci.github.context import Context
from mlflow_ci.select.decision import Result
from mlflow_ci.tracking.links import UiLinks
from tests.helpers import results

MODEL = "Judged Model"
RUN_URL = "https://github.com/o/r/actions/runs/7"
MAIN_PUSH = Context(event_name="push", ref="refs/heads/main", head_sha="c0ffee", repository="o/r", run_id="7")
PULL_REQUEST = Context(event_name="pull_request", ref="refs/pull/3/merge", pr_number=3)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return results.sqlite_store(tmp_path_factory.mktemp("store"))


@pytest.fixture
def make(store: tuple[str, Path]) -> results.MakeResult:
    return results.maker(*store, model=MODEL, links=UiLinks.for_server("http://mlflow:5000"), ctx=MAIN_PUSH)


def test_a_promotion_over_production_records_both_scores_and_the_margin(make):
    result = make([0.93, 0.80], champion=(0, 0.90), min_improvement=0.01)
    assert result.promotion is not None and result.promotion.version == "2"
    record = judging.decision_record(result, "promoted", MAIN_PUSH)
    assert (record.outcome, record.metric, record.scored_on) == ("promoted", "accuracy", "logged")
    assert (record.score, record.champion_version, record.champion_score) == (0.93, "1", 0.90)
    assert record.delta == pytest.approx(0.03)
    assert record.reason.endswith("margin 0.01: beats production") and record.workflow_run_url == RUN_URL
    assert (record.data_digest, record.interval) == ("", None)  # no eval-data: nothing re-scored


def test_the_card_names_the_version_the_decision_and_what_it_does_not_know(make, store):
    result = make([0.93], champion=(0, 0.90), min_improvement=0.01)
    card = judging.card(result, _best(store, result), MAIN_PUSH)
    assert card.startswith(f"## Model card: {MODEL} version 2\n")
    assert "| Decision | **promoted** |" in card
    assert "| Commit | `c0ffee` |" in card
    assert "no eval-data; the metrics are the runs' own" in card
    assert "the run records no data version" in card
    assert card == result.card  # the step renders it once, from the same facts


def test_a_rejected_run_is_recorded_as_rejected_with_the_gate_s_reasons(make, store):
    result = make([0.80], champion=(0, 0.90), min_improvement=0.0, ctx=PULL_REQUEST)
    assert result.gate_failed and result.promotion is None
    card = judging.card(result, _best(store, result), PULL_REQUEST)
    assert card.startswith(f"## Model card: {MODEL} (not registered)\n")
    assert "| Decision | **rejected**: " in card and "production" in card


def test_no_model_name_means_no_card(make, store):
    result = make([0.80])
    assert judging.card(replace(result, model_name=""), _best(store, result), MAIN_PUSH) == ""


def _best(store: tuple[str, Path], result: Result) -> Run:
    return MlflowClient(store[0]).get_run(result.run_id)
