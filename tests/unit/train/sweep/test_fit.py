"""Fitting a sweep's candidates: reproducible with the seed, in this process or in the pool; a single text
column reaches a vectorizer as 1-D texts."""

from __future__ import annotations

from pathlib import Path

from mlflow_ci.train.sweep import config as sweep_config
from mlflow_ci.train.sweep import datasets, execution, fit
from tests.helpers.sweep_files import IRIS


def _plan(tmp_path: Path, text: str) -> sweep_config.Sweep:
    (tmp_path / "sweep.yml").write_text(text)
    return sweep_config.load("sweep.yml", tmp_path)


def test_training_is_reproducible_with_the_seed_in_parallel_or_not(tmp_path, monkeypatch):
    plan = _plan(tmp_path, IRIS)
    x, y = datasets.load(plan.dataset, plan.path, tmp_path)
    serial = [outcome for _, outcome in sorted(fit.train_each(plan, x, y, workers=1), key=lambda pair: pair[0])]
    # These candidates are fast enough that the sweep would train them all here: make the pool pay off.
    monkeypatch.setattr(execution, "POOL_PAYS_OFF", 0.0)
    decided = []
    pooled = fit.train_each(plan, x, y, workers=2, decided=decided.append)
    parallel = [outcome for _, outcome in sorted(pooled, key=lambda pair: pair[0])]
    assert decided[0].workers == 2
    assert [o.metrics for o in serial] == [o.metrics for o in parallel]
    assert all(o.confusion_png and o.confusion_png.startswith(b"\x89PNG") for o in serial)
    assert serial[2].model.get_params()["random_state"] == 1  # the seed reached the forest


def test_a_single_text_column_reaches_the_vectorizer_as_texts(tmp_path):
    posts = [("good game", "sport"), ("great goal", "sport"), ("late goal", "sport"), ("good save", "sport")]
    posts += [("new chip", "tech"), ("fast chip", "tech"), ("new disk", "tech"), ("fast disk", "tech")]
    (tmp_path / "news.csv").write_text("text,label\n" + "".join(f"{t},{label}\n" for t, label in posts))
    plan = _plan(
        tmp_path,
        "dataset: {csv: news.csv, target: label, features: text}\nmetrics: accuracy\n"
        "candidates: [{estimator: [sklearn.feature_extraction.text.TfidfVectorizer, sklearn.svm.LinearSVC]}]\n",
    )
    x, y = datasets.load(plan.dataset, plan.path, tmp_path)
    [(_, outcome)] = fit.train_each(plan, x, y, workers=1)
    assert outcome.model.predict(x.head(1)).tolist() == ["sport"]
    assert outcome.model.predict(["fast chip"]).tolist() == ["tech"]


def test_what_training_imports_is_listed_for_the_pool_and_this_process(tmp_path):
    plan = _plan(tmp_path, IRIS)
    modules = fit.preload(plan)
    assert {"sklearn.linear_model", "sklearn.ensemble", "matplotlib.pyplot", fit.__name__} <= set(modules)
