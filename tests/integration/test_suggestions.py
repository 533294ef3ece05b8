"""A mistyped experiment or metric gets "did you mean" from what exists: the experiments on the server, the
metrics logged in the experiment (against a real `mlflow server`)."""

from __future__ import annotations

import pytest

from tests.helpers.cli import assert_contract, clean_environ, exit_codes, run_main
from tests.helpers.mlflow_runs import log_run, unique


@pytest.fixture
def news(mlflow_server: str) -> str:
    """An experiment whose runs logged accuracy, f1 and log_loss."""
    experiment = unique("news-classification")
    log_run(mlflow_server, experiment, {"accuracy": 0.9, "f1": 0.8}, model="none")
    log_run(mlflow_server, experiment, {"accuracy": 0.85, "log_loss": 0.3}, model="none")
    return experiment


def best_run(server: str, experiment: str, metric: str, environ: dict[str, str]):
    return run_main(
        ["best-run", "--tracking-uri", server, "--experiment-name", experiment, "--metric", metric], environ
    )


def test_a_mistyped_experiment_gets_the_closest_name_on_the_server(tmp_path, mlflow_server, news):
    typo = news.replace("classification", "clasification")
    answer = best_run(mlflow_server, typo, "accuracy", clean_environ(tmp_path))
    assert_contract(answer, exit_codes())
    assert answer.code == 2
    assert answer.error.startswith("error: input 'experiment-name' ")
    assert f"did you mean '{news}'?" in answer.error


def test_an_experiment_name_like_nothing_on_the_server_gets_no_false_suggestion(tmp_path, mlflow_server, news):
    answer = best_run(mlflow_server, "zzzz-qqqq-" + unique("x"), "accuracy", clean_environ(tmp_path))
    assert answer.code == 2 and "did you mean" not in answer.error


@pytest.mark.parametrize("typo,meant", [("acuracy", "accuracy"), ("Accuracy", "accuracy"), ("logloss", "log_loss")])
def test_a_mistyped_metric_gets_the_closest_metric_in_the_experiment(tmp_path, mlflow_server, news, typo, meant):
    answer = best_run(mlflow_server, news, typo, clean_environ(tmp_path))
    assert_contract(answer, exit_codes())
    assert answer.code == 2
    assert answer.error.startswith("error: input 'metric' ")
    assert f"did you mean '{meant}'?" in answer.error
    assert "accuracy, f1, log_loss" in answer.error  # what the experiment's runs logged


def test_a_metric_logged_but_not_in_scope_is_nothing_to_pick_not_a_typo(tmp_path, mlflow_server, news):
    """f1 exists in the experiment; a filter leaves no run with it: that is "nothing to pick" (exit 1)."""
    args = ["best-run", "--tracking-uri", mlflow_server, "--experiment-name", news, "--metric", "f1"]
    answer = run_main([*args, "--filter", "metrics.accuracy < 0.5"], clean_environ(tmp_path))
    assert_contract(answer, exit_codes())
    assert answer.code == 1 and "did you mean" not in answer.error
