"""A Docker engine and the mlflow-ci image, for the Docker tests and the benchmark.

The engine comes from ../shared/tools/docker-offline-base (relative to the repository root): it starts
dockerd with no bridge network and makes a local Python base image. So every build and every container
here uses the host network, and containers talk to 127.0.0.1 only.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.helpers.runner_files import parse_env_file

ROOT = Path(__file__).resolve().parents[2]
OFFLINE_BASE_TOOL = ROOT.parent / "shared" / "tools" / "docker-offline-base"
# Two test sessions on one machine must not install or start Docker at the same time.
TOOL_LOCK = Path("/var/tmp/mlflow-ci-docker-offline-base.lock")
TEST_REPOSITORY = "mlflow-ci-action-test"
DOCKER_ACTION = yaml.safe_load((ROOT / "docker" / "action.yml").read_text(encoding="utf-8"))


class NoDockerEngine(RuntimeError):
    """No Docker engine can be had on this machine; the message says why."""


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


@contextmanager
def _machine_lock() -> Iterator[None]:
    with open(TOOL_LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def offline_base_image(timeout: float = 1200) -> str:
    """Make the engine available and return the local base image's tag (the tool's last line)."""
    if not OFFLINE_BASE_TOOL.is_file():
        raise NoDockerEngine(f"{OFFLINE_BASE_TOOL} is missing")
    try:
        with _machine_lock():
            done = subprocess.run(
                ["bash", str(OFFLINE_BASE_TOOL)], capture_output=True, text=True, timeout=timeout, check=False
            )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NoDockerEngine(f"{OFFLINE_BASE_TOOL.name} did not finish: {exc}") from None
    if done.returncode != 0 or not done.stdout.strip():
        raise NoDockerEngine(f"{OFFLINE_BASE_TOOL.name} failed (exit {done.returncode}): {_tail(done.stderr)}")
    return done.stdout.strip().splitlines()[-1]


def docker(*args: str, timeout: float = 120, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
    # Resolved here: `env` may carry a PATH meant for the container (subprocess would search that one).
    executable = shutil.which("docker") or "docker"
    return subprocess.run(
        [executable, *args], capture_output=True, text=True, timeout=timeout, check=False, env=env and dict(env)
    )


@dataclass(frozen=True)
class BuiltImage:
    tag: str
    builder_tag: str  # the builder stage, tagged so that removing it leaves no untagged image behind
    base: str


def build_image(base: str, version: str, timeout: float = 1200) -> BuiltImage:
    """Build the repository's Dockerfile on `base`, as release.yml does but offline; raise with the log's
    tail when the build fails."""
    name = f"{TEST_REPOSITORY}:{uuid.uuid4().hex[:12]}"
    image = BuiltImage(name, f"{name}-builder", base)
    common = ["build", "--network", "host", "--build-arg", f"BASE_IMAGE={base}"]
    steps = [
        [*common, "--target", "builder", "-t", image.builder_tag, str(ROOT)],
        [*common, "--build-arg", f"VERSION={version}", "-t", image.tag, str(ROOT)],
    ]
    for step in steps:
        done = docker(*step, timeout=timeout)
        if done.returncode != 0:
            remove_image(image)
            raise RuntimeError(f"docker {' '.join(step)} failed:\n{_tail(done.stdout + done.stderr, 40)}")
    return image


def remove_image(image: BuiltImage) -> None:
    for tag in (image.tag, image.builder_tag):
        docker("image", "rm", tag)


def image_size(tag: str) -> int:
    done = docker("image", "inspect", "--format", "{{.Size}}", tag)
    done.check_returncode()
    return int(done.stdout.strip())


def run_container(
    image: str,
    args: Sequence[str] = (),
    *,
    env: Mapping[str, str] | None = None,
    mounts: Mapping[Path, str] | None = None,
    workdir: str = "",
    entrypoint: str = "",
    timeout: float = 180,
) -> subprocess.CompletedProcess:
    """`docker run --rm --network host`, passing `env` the way the runner does: `-e NAME` with the value in
    the docker client's environment (names such as INPUT_MODEL-NAME included), never on the command line."""
    name = f"mlflow-ci-test-{uuid.uuid4().hex[:12]}"
    command = ["run", "--rm", "--network", "host", "--name", name]
    for host_path, container_path in (mounts or {}).items():
        command += ["-v", f"{host_path}:{container_path}"]
    for key in env or {}:
        command += ["-e", key]
    if workdir:
        command += ["--workdir", workdir]
    if entrypoint:
        command += ["--entrypoint", entrypoint]
    client_env = {**os.environ, **(env or {})}
    try:
        return docker(*command, image, *args, timeout=timeout, env=client_env)
    except subprocess.TimeoutExpired:
        docker("rm", "--force", name)
        raise


@dataclass
class ContainerStep:
    """A Docker action step as GitHub's runner lays it out: what to mount and which variables to set."""

    root: Path
    env: dict[str, str]
    mounts: dict[Path, str]

    def outputs(self) -> dict[str, str]:
        return parse_env_file((self.root / "file_commands" / "set_output").read_text(encoding="utf-8"))

    def summary(self) -> str:
        return (self.root / "file_commands" / "step_summary").read_text(encoding="utf-8")


def runner_input_env(declared: Mapping[str, Mapping[str, str]], given: Mapping[str, str]) -> dict[str, str]:
    """INPUT_* as the runner sets them (Handler.cs AddInputsToEnvironment): every declared input, its
    default when the workflow gives none, named upper-case with spaces as _ and hyphens kept."""
    unknown = set(given) - set(declared)
    if unknown:
        raise ValueError(f"inputs not declared in the action: {sorted(unknown)}")
    return {
        "INPUT_" + name.replace(" ", "_").upper(): given.get(name, spec.get("default", ""))
        for name, spec in declared.items()
    }


def container_step(
    root: Path, event_name: str, event: Mapping, ref: str, sha: str, inputs: Mapping[str, str]
) -> ContainerStep:
    """The layout of ContainerActionHandler: the workspace, home, event payload and file-command files
    mounted under /github, GITHUB_* pointing at the container paths, and the inputs as INPUT_*."""
    for name in ("workspace", "home", "workflow", "file_commands"):
        (root / name).mkdir(parents=True, exist_ok=True)
    (root / "workflow" / "event.json").write_text(json.dumps(event), encoding="utf-8")
    for name in ("set_output", "step_summary"):
        (root / "file_commands" / name).write_text("", encoding="utf-8")
    env = {
        "CI": "true",
        "HOME": "/github/home",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_OUTPUT": "/github/file_commands/set_output",
        "GITHUB_STEP_SUMMARY": "/github/file_commands/step_summary",
        "GITHUB_REF": ref,
        "GITHUB_SHA": sha,
        "GITHUB_REPOSITORY": event.get("repository", {}).get("full_name", ""),
        "GITHUB_RUN_ID": "4242",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_WORKFLOW": "ml",
        "GITHUB_JOB": "ml",
        **runner_input_env(DOCKER_ACTION["inputs"], inputs),
    }
    mounts = {root / name: f"/github/{name}" for name in ("workspace", "home", "workflow", "file_commands")}
    return ContainerStep(root, env, mounts)
