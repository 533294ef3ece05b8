"""An artifact store whose client is not installed (hdfs needs pyarrow, abfss azure-storage-file-datalake):
one error naming the scheme and the package, exit 3, never a traceback. Against the embedded sqlite store,
whose experiments can name any artifact location without a server checking it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.conftest import ROOT
from tests.helpers.mlflow_runs import unique
from tests.helpers.steps import flags, run_step

pytestmark = pytest.mark.backends


def run_in(tracking_uri: str, artifact_location: str) -> tuple[str, str]:
    """An experiment in that store and one finished run with a metric and no logged model."""
    client = MlflowClient(tracking_uri)
    experiment = unique("exp")
    experiment_id = client.create_experiment(experiment, artifact_location=artifact_location)
    run = client.create_run(experiment_id)
    client.log_metric(run.info.run_id, "accuracy", 0.9)
    client.set_terminated(run.info.run_id)
    return experiment, run.info.run_id


def test_a_missing_store_client_is_one_error_naming_scheme_and_package(tmp_path):
    tracking_uri = f"sqlite:///{tmp_path}/mlflow.db"
    experiment, _ = run_in(tracking_uri, "abfss://data@account.dfs.core.windows.net/mlflow")
    step = run_step(tmp_path, tracking_uri, flags("best-run", experiment))
    assert step.code == 3, step.log[-3000:]
    assert len(step.errors) == 1 and "abfss://" in step.errors[0]
    assert "azure-storage-file-datalake" in step.errors[0] and "Traceback" not in step.log


@pytest.fixture(scope="session")
def action_python(venv_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The composite action's own venv, built by its setup script: the one a sweep-config step gets (runtime
    and training locks), which the act tests of this session build too."""
    output = tmp_path_factory.mktemp("setup") / "output"
    env = {
        **os.environ,
        "MLFLOW_CI_VENV_CACHE": str(venv_cache),
        "GITHUB_OUTPUT": str(output),
        "MLFLOW_CI_SWEEP_CONFIG": "sweep.yml",
    }
    subprocess.run(["bash", str(ROOT / "scripts" / "action-venv.sh")], env=env, check=True, capture_output=True)
    return output.read_text().split("python=", 1)[1].strip()


def test_the_actions_venv_names_the_package_hdfs_needs(tmp_path, action_python, cli_subprocess_env):
    tracking_uri = f"sqlite:///{tmp_path}/mlflow.db"
    experiment, _ = run_in(tracking_uri, "hdfs://namenode:8020/mlflow")
    args = ["best-run", "--tracking-uri", tracking_uri, *flags("best-run", experiment)[1:]]
    done = subprocess.run(
        [action_python, "-m", "mlflow_ci", *args],
        env=cli_subprocess_env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
    errors = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith(("::error", "error:"))]
    assert len(errors) == 1 and "hdfs://" in errors[0] and "pyarrow" in errors[0], errors
    assert "Traceback" not in done.stdout + done.stderr
