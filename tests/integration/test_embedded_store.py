"""The embedded sqlite store named only by the `tracking-uri` input (no MLFLOW_TRACKING_URI): `ci` registers an
MLflow 3 logged model in that store and leaves nothing in the current folder. MLflow's SQL registry resolves a
logged model through the global tracking URI, so a process that never set it looked in ./mlflow.db."""

from __future__ import annotations

import json

import pytest

from tests.helpers.cli import clean_environ, files_under, run_process
from tests.helpers.mlflow_runs import log_run


@pytest.mark.parametrize("logged", ["logged", "classic"])
def test_ci_registers_into_the_store_the_input_names(tmp_path, logged):
    store = tmp_path / "store"
    store.mkdir()
    uri = f"sqlite:///{store}/mlflow.db"
    run_id = log_run(uri, "news", {"accuracy": 0.9}, model=logged)
    work = tmp_path / "work"
    work.mkdir()
    args = ["ci", "--tracking-uri", uri, "--experiment-name", "news", "--metric", "accuracy"]
    args += ["--model-name", "News", "--alias", "production", "--register", "always", "--json"]
    answer = run_process(args, clean_environ(tmp_path), cwd=work)  # a fresh process: no global tracking URI
    assert answer.code == 0, answer.output[-3000:]
    outputs = json.loads(answer.stdout)
    assert (outputs["run_id"], outputs["registered"], outputs["model_version"]) == (run_id, "true", "1")
    assert files_under(work) == set()  # no stray ./mlflow.db, no mlruns
