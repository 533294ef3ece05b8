"""Same-data evaluation against a real `mlflow server` with real scikit-learn models: both models re-scored
on the eval rows, the scores logged tied to the eval dataset, the decision and model card on a registered
version, comparability read from real runs, and a stale evaluation refused."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from mlflow.entities import DatasetInput, InputTag
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from mlflow_ci.report.card import CardFacts, render
from mlflow_ci.select.comparability import compare, digests_of
from mlflow_ci.select.evaluation import (
    EvalData,
    EvalRows,
    ModelLoadError,
    StaleEvaluation,
    content_digest,
    ensure_current,
    evaluate,
    read_rows,
)
from mlflow_ci.select.record import CARD_MARKER, DecisionRecord, log_scores, record_decision
from mlflow_ci.tracking import registry
from mlflow_ci.tracking.tags import TAG_DVC_LOCK
from tests.helpers.eval_models import FEATURES, log_model, register, task_rows, write_csv
from tests.helpers.mlflow_runs import unique


def _eval_rows(path: Path) -> EvalRows:
    x, y = read_rows(path, path.name, "label")
    return EvalRows(EvalData(path.name, content_digest(path), "sha256 of the file", len(y), "label"), x, y)


def test_champion_from_other_data_is_rescored_on_the_eval_rows(mlflow_server: str, tmp_path: Path) -> None:
    experiment = unique("fair")
    data_a, data_b = task_rows(1500, seed=1), task_rows(1500, seed=2, label_noise=0.25)
    champion = log_model(mlflow_server, experiment, DecisionTreeClassifier(max_depth=2), data_b, {"accuracy": 0.83})
    challenger = log_model(mlflow_server, experiment, LogisticRegression(), data_a, {"accuracy": 0.8})
    rows = _eval_rows(write_csv(task_rows(800, seed=3), tmp_path / "holdout_a.csv"))

    result = evaluate(
        metric="accuracy",
        greater_is_better=True,
        rows=rows,
        challenger_uri=challenger.model_uri,
        champion_uri=champion.model_uri,
        champion_version="1",
        confidence=0.95,
    )

    # The scores are the models' own on these rows, not the logged 0.83 / 0.8.
    for logged, score in ((champion, result.champion_score), (challenger, result.challenger_score)):
        model = mlflow.sklearn.load_model(logged.model_uri)
        assert score == pytest.approx(float(np.mean(model.predict(rows.x[FEATURES]) == rows.y)))
    assert result.champion_score != pytest.approx(0.83)
    assert result.challenger_score > result.champion_score
    assert result.interval is not None and result.interval.low <= result.delta <= result.interval.high
    assert set(result.challenger_metrics) == {"accuracy", "balanced_accuracy", "f1", "precision", "recall"}

    client = MlflowClient(mlflow_server)
    log_scores(
        client,
        result,
        run_id=challenger.run_id,
        challenger_model_id=challenger.model_id,
        champion_model_id=champion.model_id,
        rows=rows,
        source="https://github.com/o/r/blob/abc/holdout_a.csv",
    )
    run = client.get_run(challenger.run_id)
    assert run.data.metrics["accuracy"] == 0.8  # the ranking key is untouched
    assert run.data.metrics["eval/accuracy"] == pytest.approx(result.challenger_score)
    assert run.data.metrics["eval/champion/accuracy"] == pytest.approx(result.champion_score)
    [dataset_input] = run.inputs.dataset_inputs
    assert dataset_input.dataset.digest == rows.data.digest
    assert dataset_input.dataset.name == "holdout_a.csv"
    assert {t.key: t.value for t in dataset_input.tags}["mlflow.data.context"] == "eval"
    # MLflow 3: each score is tied to the dataset and to its model, so the champion's model lists its score...
    [ours] = [m for m in client.get_logged_model(challenger.model_id).metrics if m.key == "eval/accuracy"]
    [theirs] = [m for m in client.get_logged_model(champion.model_id).metrics if m.key == "eval/champion/accuracy"]
    assert (ours.dataset_digest, theirs.dataset_digest) == (rows.data.digest, rows.data.digest)
    # ...while nothing is written to the champion's run.
    assert not [k for k in client.get_run(champion.run_id).data.metrics if k.startswith("eval/")]
    found = client.search_runs(
        [run.info.experiment_id], f"dataset.digest = '{rows.data.digest}' and dataset.context = 'eval'"
    )
    assert [r.info.run_id for r in found] == [challenger.run_id]


def test_small_eval_set_noise_keeps_the_interval_around_zero(mlflow_server: str, tmp_path: Path) -> None:
    experiment = unique("noise")
    train = task_rows(2000, seed=4)
    first = log_model(mlflow_server, experiment, LogisticRegression(C=1.0), train.iloc[:1000])
    second = log_model(mlflow_server, experiment, KNeighborsClassifier(15), train)  # as good, up to the noise
    stump = log_model(mlflow_server, experiment, DummyClassifier(strategy="most_frequent"), train)
    rows = _eval_rows(write_csv(task_rows(120, seed=5), tmp_path / "small.csv"))
    common = {"metric": "accuracy", "greater_is_better": True, "rows": rows, "confidence": 0.95}

    close = evaluate(challenger_uri=second.model_uri, champion_uri=first.model_uri, champion_version="1", **common)
    assert close.interval is not None and close.interval.low < 0 < close.interval.high, close
    again = evaluate(challenger_uri=second.model_uri, champion_uri=first.model_uri, champion_version="1", **common)
    assert again.interval == close.interval  # seeded

    clear = evaluate(challenger_uri=first.model_uri, champion_uri=stump.model_uri, champion_version="1", **common)
    assert clear.interval is not None and clear.interval.low > 0.1, clear


def test_roc_auc_uses_probabilities_and_no_champion_scores_the_challenger_alone(
    mlflow_server: str, tmp_path: Path
) -> None:
    logged = log_model(mlflow_server, unique("auc"), LogisticRegression(), task_rows(600, seed=6))
    rows = _eval_rows(write_csv(task_rows(300, seed=7), tmp_path / "e.csv"))
    result = evaluate(
        metric="roc_auc",
        greater_is_better=True,
        rows=rows,
        challenger_uri=logged.model_uri,
        champion_uri="",
        champion_version="",
        confidence=0.95,
    )
    from sklearn.metrics import roc_auc_score

    model = mlflow.sklearn.load_model(logged.model_uri)
    assert result.challenger_score == pytest.approx(roc_auc_score(rows.y, model.predict_proba(rows.x[FEATURES])[:, 1]))
    assert (result.champion_score, result.interval, result.champion_version) == (None, None, "")
    assert "log_loss" in result.challenger_metrics


def test_a_model_whose_library_is_missing_is_one_error_naming_it(mlflow_server: str, tmp_path: Path) -> None:
    """A real MLflow model in the custom-loader format whose loader package is not installed here."""
    mlflow.set_tracking_uri(mlflow_server)
    mlflow.set_experiment(unique("missing"))
    (tmp_path / "weights.bin").write_bytes(b"\0")
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(
            name="model", loader_module="fancyboost_not_installed", data_path=str(tmp_path / "weights.bin")
        )
    rows = _eval_rows(write_csv(task_rows(50, seed=8), tmp_path / "e.csv"))
    with pytest.raises(ModelLoadError) as caught:
        evaluate(
            metric="accuracy",
            greater_is_better=True,
            rows=rows,
            challenger_uri=f"models:/{info.model_id}",
            champion_uri="",
            champion_version="",
            confidence=None,
        )
    message = str(caught.value)
    assert "needs the Python package 'fancyboost_not_installed'" in message
    assert "\n" not in message and "Traceback" not in message


def test_decision_and_card_are_recorded_on_the_version(mlflow_server: str, tmp_path: Path) -> None:
    experiment, name = unique("record"), unique("model")
    champion = log_model(mlflow_server, experiment, DecisionTreeClassifier(max_depth=1), task_rows(400, seed=9))
    challenger = log_model(mlflow_server, experiment, LogisticRegression(), task_rows(400, seed=10))
    register(mlflow_server, name, champion)
    rows = _eval_rows(write_csv(task_rows(300, seed=11), tmp_path / "e.csv"))
    result = evaluate(
        metric="accuracy",
        greater_is_better=True,
        rows=rows,
        challenger_uri=challenger.model_uri,
        champion_uri=champion.model_uri,
        champion_version="1",
        confidence=0.9,
    )
    version = register(mlflow_server, name, challenger, alias="")
    decision = DecisionRecord.from_evaluation("promoted", "beats production", result, "https://gh/runs/1")
    card = render(
        CardFacts(name, version, "promoted", "beats production", "accuracy", True, challenger.run_id, evaluation=result)
    )
    client = MlflowClient(mlflow_server)

    where = record_decision(client, name, version, decision, card)

    tags = client.get_model_version(name, version).tags
    assert tags["mlflow_ci.decision"] == "promoted"
    assert tags["mlflow_ci.decision.eval_data_digest"] == rows.data.digest
    assert tags["mlflow_ci.decision.champion_version"] == "1"
    assert float(tags["mlflow_ci.decision.score"]) == pytest.approx(result.challenger_score)
    assert float(tags["mlflow_ci.decision.champion_score"]) == pytest.approx(result.champion_score)
    assert float(tags["mlflow_ci.decision.delta_low"]) == pytest.approx(result.interval.low)
    assert tags["mlflow_ci.decision.confidence"] == "0.9"
    assert tags["mlflow_ci.decision.workflow_run_url"] == "https://gh/runs/1"
    assert where.startswith("the version's description and model_card.md in logged model")
    description = client.get_model_version(name, version).description
    assert description == f"{CARD_MARKER}\n{card}"
    downloaded = Path(
        mlflow.artifacts.download_artifacts(f"models:/{name}/{version}/model_card.md", dst_path=str(tmp_path))
    )
    assert downloaded.read_text() == card
    # The model still loads with the card beside its files.
    assert mlflow.pyfunc.load_model(f"models:/{name}/{version}").predict(rows.x).shape == (len(rows.y),)

    # A re-run rewrites the same record; a description a person wrote is kept.
    client.update_model_version(name, version, description="hand-written notes")
    kept = DecisionRecord.from_evaluation("kept", "interval includes zero", result, "https://gh/runs/2")
    record_decision(client, name, version, kept, card)
    again = client.get_model_version(name, version)
    assert again.tags["mlflow_ci.decision"] == "kept"
    assert again.description == "hand-written notes"


def test_a_classic_run_model_gets_its_card_in_the_model_folder(mlflow_server: str, tmp_path: Path) -> None:
    from tests.helpers.mlflow_runs import log_run

    name = unique("classic")
    run_id = log_run(mlflow_server, unique("classic"), {"accuracy": 0.7}, model="classic")
    client = MlflowClient(mlflow_server)
    client.create_registered_model(name)
    version = client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id).version
    decision = DecisionRecord(
        "rejected", "misses the threshold", "accuracy", 0.7, "logged", "", None, "", "", None, None, ""
    )
    where = record_decision(client, name, str(version), decision, "# card\n")
    assert where == f"the version's description and model_card.md in run {run_id}'s artifacts under model/"
    assert [a.path for a in client.list_artifacts(run_id, "model") if a.path.endswith(".md")] == ["model/model_card.md"]
    assert client.get_model_version(name, str(version)).tags["mlflow_ci.decision.champion_version"] == "none"


def test_comparability_is_read_from_real_runs(mlflow_server: str) -> None:
    from tests.helpers.mlflow_runs import log_run

    experiment = unique("comparable")
    client = MlflowClient(mlflow_server)
    on_a = client.get_run(log_run(mlflow_server, experiment, {"accuracy": 0.9}, tags={TAG_DVC_LOCK: "a" * 64}))
    on_b = client.get_run(log_run(mlflow_server, experiment, {"accuracy": 0.8}, tags={TAG_DVC_LOCK: "b" * 64}))
    verdict = compare(digests_of(client, on_a, "accuracy"), digests_of(client, on_b, "accuracy"))
    assert verdict.message() == f"not comparable: logged on different data ({'a' * 12} vs {'b' * 12})"

    # The same dataset input on both runs outranks their different DVC versions.
    frame = task_rows(20, seed=12)
    dataset = mlflow.data.from_pandas(frame, name="holdout", digest="d" * 32)
    for run in (on_a, on_b):
        client.log_inputs(run.info.run_id, datasets=[DatasetInput(dataset._to_mlflow_entity())])
    refreshed = [client.get_run(r.info.run_id) for r in (on_a, on_b)]
    assert compare(*(digests_of(client, r, "accuracy") for r in refreshed)).comparable is True

    # The eval-data inputs the action logs itself are not taken for the run's data.
    mine = client.get_run(log_run(mlflow_server, experiment, {"accuracy": 0.85}))
    ours = mlflow.data.from_pandas(frame, name="eval", digest="e" * 32)._to_mlflow_entity()
    client.log_inputs(mine.info.run_id, datasets=[DatasetInput(ours, tags=[InputTag("mlflow_ci.eval_data", "true")])])
    assert digests_of(client, client.get_run(mine.info.run_id), "accuracy").inputs == frozenset()


def test_production_moving_during_evaluation_makes_it_stale(mlflow_server: str, tmp_path: Path) -> None:
    experiment, name = unique("stale"), unique("model")
    first = log_model(mlflow_server, experiment, DecisionTreeClassifier(max_depth=1), task_rows(300, seed=13))
    second = log_model(mlflow_server, experiment, DecisionTreeClassifier(max_depth=2), task_rows(300, seed=14))
    challenger = log_model(mlflow_server, experiment, LogisticRegression(), task_rows(300, seed=15))
    register(mlflow_server, name, first)
    client = MlflowClient(mlflow_server)
    champion = registry.find_champion(client, name, alias="production", stage="", metric="accuracy")
    rows = _eval_rows(write_csv(task_rows(100, seed=16), tmp_path / "e.csv"))
    result = evaluate(
        metric="accuracy",
        greater_is_better=True,
        rows=rows,
        challenger_uri=challenger.model_uri,
        champion_uri=f"models:/{name}/{champion.version}",
        champion_version=champion.version,
        confidence=None,
    )
    ensure_current(
        result, registry.find_champion(client, name, alias="production", stage="", metric="accuracy").version
    )
    register(mlflow_server, name, second)  # another job promotes meanwhile
    now = registry.find_champion(client, name, alias="production", stage="", metric="accuracy")
    with pytest.raises(StaleEvaluation, match="version 1 was scored, version 2 holds it now"):
        ensure_current(result, now.version)
