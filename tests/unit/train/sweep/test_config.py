"""The sweep file is checked against scikit-learn before anything trains; each mistake names the file, the
key and the fix; its data loads as it says."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlflow_ci.train.sweep import config as sweep_config
from mlflow_ci.train.sweep import datasets
from mlflow_ci.train.sweep.config import SweepConfigError
from tests.helpers.sweep_files import IRIS

ROOT = Path(__file__).resolve().parents[4]

GOOD = IRIS


def write(tmp_path: Path, text: str, name: str = "sweep.yml") -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path / name


def test_a_good_sweep_expands_its_grid(tmp_path):
    write(tmp_path, GOOD)
    plan = sweep_config.load("sweep.yml", tmp_path)
    assert [c.name for c in plan.candidates] == ["logisticregression[C=0.1]", "logisticregression[C=1.0]", "forest"]
    assert plan.candidates[1].params == {"max_iter": 300, "C": 1.0}
    assert (plan.is_classifier, plan.metrics, plan.test_size, plan.cv, plan.seed) == (
        True,
        ("accuracy", "roc_auc"),
        0.25,
        0,
        1,
    )


@pytest.mark.parametrize(
    "change,key,fix",
    [
        (("seed: 1", "sede: 1"), "sede", "use one of dataset, metrics"),
        (
            ("sklearn.ensemble.RandomForestClassifier", "sklearn.ensemble.Forest"),
            "candidates[1].estimator",
            "full class",
        ),
        (("sklearn.ensemble.RandomForestClassifier", "os.path"), "candidates[1].estimator", "full class path"),
        (("{n_estimators: 10}", "{n_estimator: 10}"), "candidates[1] (forest)", "parameter names"),
        (("{n_estimators: 10}", "{n_estimators: -3}"), "candidates[1] (forest)", "parameter names"),
        (("grid: {C: [0.1, 1.0]}", "grid: {C: 0.1}"), "candidates[0].grid.C", "C: [value, ...]"),
        (("[accuracy, roc_auc]", "[accuracy, acuracy]"), "metrics", "use accuracy"),
        (("[accuracy, roc_auc]", "[accuracy, rmse]"), "metrics", "use classification metrics"),
        (("{sklearn: iris}", "{sklearn: irises}"), "dataset.sklearn", "use one of"),
        (("{sklearn: iris}", "{csv: missing.csv, target: y}"), "dataset.csv", "relative to the workspace"),
        (("{sklearn: iris}", "{csv: data.csv, target: label}"), "dataset.target", "one of x1, x2, y"),
        (("{sklearn: iris}", "{loader: not-a-loader}"), "dataset.loader", "mypkg.data:load"),
        (("{sklearn: iris}", "{sklearn: iris, csv: data.csv}"), "dataset", "exactly one"),
        (("seed: 1", "seed: 1\ncv: 5\nsplit: {test_size: 0.2}"), "cv", "keep one"),
        (("seed: 1", "seed: one"), "seed", "42"),
    ],
)
def test_each_mistake_names_the_file_key_and_fix(tmp_path, change, key, fix):
    (tmp_path / "data.csv").write_text("x1,x2,y\n1,2,0\n3,4,1\n")
    write(tmp_path, GOOD.replace(*change))
    with pytest.raises(SweepConfigError) as caught:
        sweep_config.load("sweep.yml", tmp_path)
    message = str(caught.value)
    assert message.startswith(f"input 'sweep-config' sweep.yml: {key}: "), message
    assert fix in message, message


def test_probability_metrics_need_an_estimator_with_probabilities(tmp_path):
    write(
        tmp_path,
        GOOD.replace("roc_auc", "log_loss").replace("ensemble.RandomForestClassifier", "linear_model.RidgeClassifier"),
    )
    write(tmp_path, (tmp_path / "sweep.yml").read_text().replace("{n_estimators: 10}", "{}"))
    with pytest.raises(SweepConfigError, match=r"metrics: 'log_loss' needs predicted probabilities"):
        sweep_config.load("sweep.yml", tmp_path)


def test_a_missing_file_and_broken_yaml(tmp_path):
    with pytest.raises(SweepConfigError, match=r"^input 'sweep-config' nope.yml: does not exist"):
        sweep_config.load("nope.yml", tmp_path)
    write(tmp_path, "candidates: [\n")
    with pytest.raises(SweepConfigError, match=r"sweep.yml: is not valid YAML at line 2"):
        sweep_config.load("sweep.yml", tmp_path)


def test_a_csv_with_a_single_text_column_and_a_loader(tmp_path):
    posts = [("good game", "sport"), ("great goal", "sport"), ("late goal", "sport"), ("good save", "sport")]
    posts += [("new chip", "tech"), ("fast chip", "tech"), ("new disk", "tech"), ("fast disk", "tech")]
    (tmp_path / "news.csv").write_text("text,label\n" + "".join(f"{t},{label}\n" for t, label in posts))
    write(
        tmp_path,
        "dataset: {csv: news.csv, target: label, features: text}\nmetrics: accuracy\n"
        "candidates: [{estimator: [sklearn.feature_extraction.text.TfidfVectorizer, sklearn.svm.LinearSVC]}]\n",
    )
    plan = sweep_config.load("sweep.yml", tmp_path)
    x, y = datasets.load(plan.dataset, plan.path, tmp_path)
    assert list(x.columns) == ["text"] and list(x["text"][:2]) == ["good game", "great goal"] and len(y) == 8
    (tmp_path / "myloader.py").write_text("def load(n=2):\n    return [[0.0], [1.0]][:n], [0, 1][:n]\n")
    write(
        tmp_path,
        "dataset: {loader: 'myloader:load', kwargs: {n: 2}}\nmetrics: accuracy\n"
        "candidates: [{estimator: sklearn.tree.DecisionTreeClassifier}]\n",
    )
    plan = sweep_config.load("sweep.yml", tmp_path)
    assert datasets.load(plan.dataset, plan.path, tmp_path) == ([[0.0], [1.0]], [0, 1])


@pytest.mark.parametrize(
    "config",
    sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("examples/*/*.yml") if p.parent.name != "workflows"),
    ids=str,
)
def test_the_shipped_example_sweeps_are_valid(config):
    plan = sweep_config.load(config, ROOT)  # loaders are checked, not called: nothing is downloaded
    assert plan.candidates and plan.metrics


def test_roc_auc_takes_probabilities_or_decision_scores_for_many_classes():
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from mlflow_ci.scoring import METRICS

    y = np.array([0, 1, 2, 0, 1, 2])
    proba = np.array(
        [[0.8, 0.1, 0.1], [0.2, 0.6, 0.2], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1], [0.3, 0.3, 0.4], [0.2, 0.2, 0.6]]
    )
    assert METRICS["roc_auc"].compute(y, proba) == pytest.approx(roc_auc_score(y, proba, multi_class="ovr"))
    assert METRICS["roc_auc"].compute(y, proba * 10 - 3) == pytest.approx(roc_auc_score(y, proba, multi_class="ovr"))
