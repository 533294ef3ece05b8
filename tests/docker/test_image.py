"""The built image, run with `docker run --network host` against the real tracking server on 127.0.0.1."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from mlflow import MlflowClient

from mlflow_ci import __version__
from tests.helpers.docker import BuiltImage, container_step, docker, run_container
from tests.helpers.gh import HEAD_SHA, pull_request_event, push_event
from tests.helpers.mlflow_runs import log_run, unique

pytestmark = pytest.mark.docker

ENTRYPOINT = ["/opt/mlflow-ci/bin/python", "-I", "-B", "-u", "-m", "mlflow_ci"]


def inspect(tag: str) -> dict:
    done = docker("image", "inspect", tag)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)[0]


def test_help_and_version(image: BuiltImage):
    helped = run_container(image.tag, ["--help"])
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("usage: mlflow-ci")
    assert "--experiment-name" in helped.stdout and "INPUT_<NAME>" in helped.stdout
    versioned = run_container(image.tag, ["--version"])
    assert (versioned.returncode, versioned.stdout.strip()) == (0, f"mlflow-ci {__version__}")


def test_image_is_configured_for_a_github_docker_action(image: BuiltImage):
    config = inspect(image.tag)["Config"]
    assert config["Entrypoint"] == ENTRYPOINT
    assert not config["Cmd"]
    assert config["User"] == ""  # a Docker action runs as root, or GITHUB_WORKSPACE is not writable
    assert config["WorkingDir"] == ""  # the runner sets the working directory
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == __version__
    assert labels["org.opencontainers.image.source"].startswith("https://github.com/")
    assert labels["org.opencontainers.image.description"]
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["PYTHONDONTWRITEBYTECODE"] == "1" and env["PYTHONUNBUFFERED"] == "1"
    assert not [name for name in env if any(word in name for word in ("TOKEN", "PASSWORD", "SECRET"))]


def test_image_holds_the_venv_and_not_the_build(image: BuiltImage):
    probe = (
        "test -x /opt/mlflow-ci/bin/python && test ! -e /opt/mlflow-ci/bin/pip && test ! -e /build"
        " && /opt/mlflow-ci/bin/python -I -c 'import mlflow_ci, setuptools' 2>&1 | tail -1"
    )
    done = run_container(image.tag, ["-c", probe], entrypoint="/bin/sh")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No module named 'setuptools'" in done.stdout


def test_bad_input_is_one_error_line(image: BuiltImage):
    done = run_container(image.tag, ["best-run", "--metric", "accuracy"], env={"GITHUB_ACTIONS": "true"})
    assert done.returncode == 2
    errors = [line for line in done.stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and "experiment-name" in errors[0], done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_best_run_prints_the_best_run(image: BuiltImage, mlflow_server: str):
    experiment = unique("docker-best-run")
    log_run(mlflow_server, experiment, {"rmse": 0.9})
    best = log_run(mlflow_server, experiment, {"rmse": 0.2})
    log_run(mlflow_server, experiment, {"rmse": 0.5})
    args = ["best-run", "--tracking-uri", mlflow_server, "--experiment-name", experiment, "--metric", "rmse"]
    done = run_container(image.tag, [*args, "--greater-is-better", "false", "--json"])
    assert done.returncode == 0, done.stderr
    outputs = json.loads(done.stdout)
    assert (outputs["run_id"], float(outputs["metric_value"])) == (best, 0.2)
    assert outputs["registered"] == "false" and outputs["model_version"] == ""


def poison(workspace: Path) -> None:
    """A checkout that would break a careless entrypoint: an `mlflow/` folder in the working directory,
    as an MLflow project may well have."""
    package = workspace / "mlflow"
    package.mkdir()
    (package / "__init__.py").write_text("raise ImportError('the checkout shadowed MLflow')\n", encoding="utf-8")


def test_ci_on_a_push_to_main_registers_and_writes_outputs(image: BuiltImage, mlflow_server: str, tmp_path: Path):
    experiment, model_name = unique("docker-ci"), f"Docker CI {uuid.uuid4().hex[:8]}"
    log_run(mlflow_server, experiment, {"accuracy": 0.71})
    best = log_run(mlflow_server, experiment, {"accuracy": 0.93})
    inputs = {
        "tracking-uri": mlflow_server,
        "experiment-name": experiment,
        "metric": "accuracy",
        "threshold": "0.9",
        "model-name": model_name,
        "stage": "Production",
    }
    step = container_step(tmp_path, "push", push_event("main"), "refs/heads/main", HEAD_SHA, inputs)
    poison(step.root / "workspace")
    # As on GitHub, the step's environment reaches the container; neither of these may matter (pypa#112).
    env = {**step.env, "PATH": "utter-nonsense", "PYTHONPATH": "/github/workspace"}
    careless = run_container(
        image.tag,
        ["-c", "import mlflow"],
        env=env,
        mounts=step.mounts,
        workdir="/github/workspace",
        entrypoint="/opt/mlflow-ci/bin/python",
    )
    assert "the checkout shadowed MLflow" in careless.stderr  # the trap is real
    done = run_container(image.tag, env=env, mounts=step.mounts, workdir="/github/workspace")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr

    outputs = step.outputs()
    assert outputs["run_id"] == best
    assert (outputs["passed"], outputs["registered"], outputs["model_version"]) == ("true", "true", "1")
    assert outputs["model_uri"] == f"models:/{model_name}/1"
    assert best in step.summary()
    version = MlflowClient(mlflow_server).get_model_version_by_alias(model_name, "production")
    assert (version.version, version.run_id) == ("1", best)


def test_ci_on_a_pull_request_registers_nothing(image: BuiltImage, mlflow_server: str, tmp_path: Path):
    experiment, model_name = unique("docker-pr"), f"Docker PR {uuid.uuid4().hex[:8]}"
    best = log_run(mlflow_server, experiment, {"accuracy": 0.95})
    inputs = {"tracking-uri": mlflow_server, "experiment-name": experiment, "metric": "accuracy"}
    inputs |= {"model-name": model_name, "stage": "Production"}
    step = container_step(tmp_path, "pull_request", pull_request_event(7), "refs/pull/7/merge", HEAD_SHA, inputs)
    done = run_container(image.tag, env=step.env, mounts=step.mounts, workdir="/github/workspace")
    assert done.returncode == 0, done.stdout + done.stderr
    outputs = step.outputs()
    assert (outputs["run_id"], outputs["registered"], outputs["model_version"]) == (best, "false", "")
    assert MlflowClient(mlflow_server).search_model_versions(f"name = '{model_name}'") == []
