"""DVC around the train step, with real parts: the `dvc` CLI, a local directory remote, the example
project (examples/dvc-pipeline) in a temp git repo whose `origin` is a local bare repo, and a real
`mlflow server`. The train-command is `dvc repro`, whose train stage logs into the action's run."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

from tests.helpers import gh
from tests.helpers.mlflow_runs import unique
from tests.helpers.steps import Step, run_step

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "dvc-pipeline"
BIN = Path(sys.executable).parent  # the test venv: dvc, and the `python` the stages run (mlflow, sklearn)
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
    "DVC_NO_ANALYTICS": "1",
    "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
}

pytestmark = pytest.mark.skipif(not (BIN / "dvc").exists(), reason="dvc is not installed (scripts/dev-env.sh)")


def sh(cwd: Path, *argv: str) -> str:
    done = subprocess.run(argv, cwd=cwd, env=GIT_ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{argv}: {done.stdout}{done.stderr}"
    return done.stdout.strip()


@dataclass
class Project:
    work: Path  # the checkout the action runs in
    origin: Path  # the bare repo standing for GitHub
    remote: Path  # the DVC remote, a local directory

    def origin_main(self) -> str:
        return sh(self.origin, "git", "rev-parse", "main")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    origin, work, remote = tmp_path / "origin.git", tmp_path / "work", tmp_path / "dvc-remote"
    sh(tmp_path, "git", "init", "-q", "--bare", "-b", "main", str(origin))
    shutil.copytree(EXAMPLE, work)
    sh(work, "git", "init", "-q", "-b", "main")
    sh(work, "dvc", "remote", "modify", "storage", "url", str(remote))
    sh(work, "git", "add", "-A")
    sh(work, "git", "commit", "-q", "-m", "pipeline")
    sh(work, "git", "remote", "add", "origin", str(origin))
    sh(work, "git", "push", "-q", "origin", "main")
    return Project(work, origin, remote)


def step_env(workspace: Path, path: str = "") -> dict[str, str]:
    return {
        "GITHUB_WORKSPACE": str(workspace),
        "PATH": path or GIT_ENV["PATH"],
        "HOME": os.environ.get("HOME", "/"),
        "GITHUB_TOKEN": "ghs_token-for-the-push",
    }


def train(tmp_path: Path, server: str, workspace: Path, experiment: str, event: str = "push", path: str = "") -> Step:
    return run_step(
        tmp_path,
        server,
        ["train", "--experiment-name", experiment, "--train-command", "dvc repro", "--dvc-commit-lock", "true"],
        event,
        gh.push_event("main") if event == "push" else gh.pull_request_event(number=3),
        step_env(workspace, path),
    )


def lock_of(workspace: Path) -> tuple[str, dict]:
    raw = (workspace / "dvc.lock").read_bytes()
    return hashlib.sha256(raw).hexdigest(), yaml.safe_load(raw)


def warnings(step: Step) -> list[str]:
    return [line for line in step.stdout.splitlines() if line.startswith("::warning")]


def assert_data_version(client: MlflowClient, run_id: str, workspace: Path) -> str:
    """The run's data tags and params are those of the workspace's dvc.lock; returns its sha256."""
    sha, lock = lock_of(workspace)
    run = client.get_run(run_id)
    assert run.data.tags["mlflow_ci.dvc.lock_sha256"] == sha
    for stage, entry in lock["stages"].items():
        expected = sorted(f"{dep['path']}={dep['md5']}" for dep in entry["deps"])
        assert run.data.tags[f"mlflow_ci.dvc.{stage}.deps"].splitlines() == expected
    assert run.data.params["prepare.test_size"] == "0.25" and run.data.params["prepare.seed"] == "42"
    assert run.data.params["train.C"] == "1.0" and run.data.params["train.max_iter"] == "200"
    return sha


def test_pull_repro_tag_and_commit_the_lock_on_main(tmp_path, mlflow_server, project):
    client = MlflowClient(mlflow_server)
    experiment = unique("dvc")
    before = project.origin_main()

    # 1. First push: nothing recorded yet, so the pipeline is stale; dvc repro trains, the lock is committed.
    first = train(tmp_path, mlflow_server, project.work, experiment)
    assert first.code == 0, first.log
    assert "nothing to pull yet" in first.stdout
    assert any("dvc.lock does not match the workspace" in w for w in warnings(first))
    [run_id] = first.outputs["trained_run_ids"].split(",")
    assert client.get_run(run_id).data.metrics["accuracy"] > 0.8  # the train stage logged into the action's run
    first_sha = assert_data_version(client, run_id, project.work)
    assert f"Data (DVC): `dvc.lock` sha256 `{first_sha[:12]}`, 2 stages" in first.summary
    assert project.origin_main() != before
    log = sh(project.origin, "git", "log", "-1", "--format=%an <%ae>%n%s", "main")
    assert (
        log == "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>\nUpdate dvc.lock [skip ci]"
    )
    assert sh(project.origin, "git", "show", "main:dvc.lock") == (project.work / "dvc.lock").read_text().strip()
    assert sh(project.origin, "git", "show", "--name-only", "--format=", "main") == "dvc.lock"
    assert "ghs_token-for-the-push" not in first.log.replace("::add-mask::ghs_token-for-the-push", "")
    sh(project.work, "dvc", "push")  # what the developer (or a later step) does to share the outputs

    # 2. A fresh checkout pulls the outputs dvc.lock records: up to date, no warning, nothing to commit.
    clone = tmp_path / "clone"
    sh(tmp_path, "git", "clone", "-q", str(project.origin), str(clone))
    head = project.origin_main()
    second = train(tmp_path, mlflow_server, clone, experiment)
    assert second.code == 0, second.log
    assert (clone / "data" / "prepared" / "train.csv").is_file() and (clone / "metrics.json").is_file()
    assert warnings(second) == [] and "dvc.lock is unchanged, nothing to commit" in second.stdout
    [second_run] = second.outputs["trained_run_ids"].split(",")
    assert assert_data_version(client, second_run, clone) == first_sha
    assert project.origin_main() == head

    # 3. Changed data: the pipeline is stale, dvc repro retrains, and the run's fingerprint differs.
    with (clone / "data" / "flowers.csv").open("a") as data:
        data.write("5.1,3.3,1.4,0.2,setosa\n")
    sh(clone, "git", "commit", "-q", "-am", "one more flower")
    sh(clone, "git", "push", "-q", "origin", "main")
    third = train(tmp_path, mlflow_server, clone, experiment)
    assert third.code == 0, third.log
    assert any("data/flowers.csv modified" in w for w in warnings(third))
    [third_run] = third.outputs["trained_run_ids"].split(",")
    third_sha = assert_data_version(client, third_run, clone)
    assert third_sha != first_sha
    tags = [client.get_run(r).data.tags["mlflow_ci.dvc.prepare.deps"] for r in (run_id, third_run)]
    assert tags[0] != tags[1]
    found = client.search_runs(
        [client.get_experiment_by_name(experiment).experiment_id],
        filter_string=f"tags.`mlflow_ci.dvc.lock_sha256` = '{third_sha}'",
    )
    assert [r.info.run_id for r in found] == [third_run]
    assert sh(project.origin, "git", "show", "main:dvc.lock") == (clone / "dvc.lock").read_text().strip()


def test_a_pull_request_trains_but_never_commits_the_lock(tmp_path, mlflow_server, project):
    before = project.origin_main()
    step = train(tmp_path, mlflow_server, project.work, unique("dvc"), event="pull_request")
    assert step.code == 0, step.log
    assert (project.work / "dvc.lock").is_file()  # dvc repro wrote it
    assert project.origin_main() == before
    assert sh(project.work, "git", "rev-parse", "HEAD") == before
    assert "committed on pushes to main only, not on pull_request" in step.stdout


def test_a_missing_remote_fails_naming_it_before_anything_trains(tmp_path, mlflow_server, project):
    sh(project.work, "dvc", "repro", "prepare")  # dvc.lock records data/prepared, never pushed
    sh(project.work, "git", "add", "dvc.lock")
    sh(project.work, "git", "commit", "-q", "-m", "lock")
    shutil.rmtree(project.work / ".dvc" / "cache")
    shutil.rmtree(project.work / "data" / "prepared")
    experiment = unique("dvc")
    step = train(tmp_path, mlflow_server, project.work, experiment)
    assert step.code == 4  # training failed: DVC
    assert len(step.errors) == 1, step.log
    assert step.errors[0].startswith(
        f"::error title=dvc pull::dvc pull from remote 'storage' ({project.remote}) failed"
    )
    assert "Traceback" not in step.log
    assert MlflowClient(mlflow_server).get_experiment_by_name(experiment) is None

    sh(project.work, "dvc", "remote", "remove", "storage")
    step = train(tmp_path, mlflow_server, project.work, experiment)
    assert step.code == 4 and len(step.errors) == 1
    assert "no default DVC remote is configured" in step.errors[0] and "dvc remote add -d" in step.errors[0]


def test_dvc_on_without_the_dvc_command_is_an_input_error(tmp_path, mlflow_server, project):
    experiment = unique("dvc")
    step = train(tmp_path, mlflow_server, project.work, experiment, path="/usr/bin:/bin")
    assert step.code == 2
    assert step.errors == [
        "::error title=input dvc::input 'dvc' is auto and this is a DVC project (dvc.yaml or .dvc files), but the "
        "dvc command is not on PATH: install it in an earlier step (e.g. pip install 'dvc[s3]' with your remote's "
        "extra), or set dvc: false."
    ]
    assert MlflowClient(mlflow_server).get_experiment_by_name(experiment) is None
