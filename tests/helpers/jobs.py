"""Workflow steps as real processes: `python -m mlflow_ci` children, one step environment each, started
together to race one another, or started alone to be killed half-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import gh
from tests.helpers.runner_files import parse_env_file

ROOT = Path(__file__).resolve().parents[2]


def base_env() -> dict[str, str]:
    """The child's environment: this one without the developer's GitHub, INPUT_ and MLflow variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MLFLOW_"))}
    env["PYTHONPATH"] = str(ROOT / "src")
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    return env


@dataclass
class Job:
    """One step: its process, and where its runner files are."""

    root: Path
    process: subprocess.Popen
    started: float
    code: int | None = None
    elapsed: float = 0.0

    def wait(self, timeout: float) -> Job:
        try:
            self.code = self.process.wait(timeout=max(timeout, 0.1))
        except subprocess.TimeoutExpired:
            self.kill()
            self.code = self.process.wait(timeout=10)
        self.elapsed = time.monotonic() - self.started
        return self

    def seen_at(self, text: str, timeout: float) -> float | None:
        """Seconds from the start until `text` appeared in the job's stdout (polled every 0.1 s), or None."""
        limit = self.started + timeout
        while time.monotonic() < limit:
            if text in self.stdout:
                return time.monotonic() - self.started
            if self.process.poll() is not None:
                return (time.monotonic() - self.started) if text in self.stdout else None
            time.sleep(0.1)
        return None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)

    @property
    def stdout(self) -> str:
        return (self.root / "stdout.txt").read_text(encoding="utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return (self.root / "stderr.txt").read_text(encoding="utf-8", errors="replace")

    @property
    def log(self) -> str:
        return self.stdout + self.stderr

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::error")]

    @property
    def outputs(self) -> dict[str, str]:
        path = self.root / "output.txt"
        return parse_env_file(path.read_text(encoding="utf-8")) if path.exists() else {}

    @property
    def summary(self) -> str:
        path = self.root / "summary.md"
        return path.read_text(encoding="utf-8") if path.exists() else ""


def start(
    root: Path,
    args: list[str],
    *,
    event_name: str = "push",
    event: dict | None = None,
    run_id: str = "4242",
    env: dict[str, str] | None = None,
) -> Job:
    """Start `python -m mlflow_ci ARGS` as a step of workflow run `run_id` on a runner."""
    step = gh.step_env(root, event_name, event if event is not None else gh.push_event("main"), run_id=run_id)
    environ = {**base_env(), **step.environ, **(env or {})}
    with open(root / "stdout.txt", "wb") as out, open(root / "stderr.txt", "wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "mlflow_ci", *args], env=environ, stdout=out, stderr=err, cwd=root
        )
    return Job(root, process, time.monotonic())


def run_together(jobs: list[tuple[Path, list[str], str]], timeout: float = 240, **options: object) -> list[Job]:
    """Start every (root, args, workflow run id) at once, then wait for all (bounded by `timeout`)."""
    started = [start(root, args, run_id=run_id, **options) for root, args, run_id in jobs]  # type: ignore[arg-type]
    deadline = time.monotonic() + timeout
    return [job.wait(deadline - time.monotonic()) for job in started]


def run_one(root: Path, args: list[str], timeout: float = 120, **options: object) -> Job:
    return start(root, args, **options).wait(timeout)  # type: ignore[arg-type]
