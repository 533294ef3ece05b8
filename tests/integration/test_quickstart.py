"""The README's first quick-start command, run as a user runs it, twice: `bash scripts/demo.sh` tells the same
story each time (a fresh store: version 1 both times), says what it simulates, and prints what a person reads:
no workflow commands, no Mermaid source."""

from __future__ import annotations

import json
import os
import re
import subprocess

from tests.conftest import ROOT

VARYING = [
    (re.compile(r"\b[0-9a-f]{32}\b"), "<run-id>"),
    (re.compile(r"\bm-[0-9a-f]{32}\b"), "<model-id>"),
    (re.compile(r"\b[0-9a-f]{8}\b"), "<short-id>"),
    (re.compile(r"\b\d\d-\d\d \d\d:\d\d\b"), "<time>"),
    (re.compile(r"\(\d+(\.\d+)? s\)"), "(<seconds>)"),
]


def story(text: str) -> str:
    for pattern, stand_in in VARYING:
        text = pattern.sub(stand_in, text)
    return text


def run_demo(demo_dir) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MLFLOW_"))}
    env["DEMO_DIR"] = str(demo_dir)
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "demo.sh")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )


def test_the_demo_tells_the_same_story_twice(tmp_path):
    demo_dir = tmp_path / "demo"
    first, second = run_demo(demo_dir), run_demo(demo_dir)
    for done in (first, second):
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        out = done.stdout + done.stderr
        assert not [line for line in out.splitlines() if line.startswith("::")]
        assert "mermaid" not in out and "xychart" not in out
        assert "registered as version 1" in done.stdout  # a fresh store: never version 2
        assert "simulated" in done.stdout and "fresh" in done.stdout
        assert "Not registered: pull_request: registration runs only on pushes to main" in done.stdout
        assert "outside GitHub Actions" not in done.stdout
        assert "note: not registered: pull_request" in done.stderr
    assert story(first.stdout) == story(second.stdout)

    def kept(stderr: str) -> list[str]:
        """The story on stderr, without the install's lines (only the first time) and the sweep's choice of
        execution (it weighs the first candidate's time, so it may go either way on a busy machine)."""
        lines = [line for line in stderr.splitlines() if not line.startswith(("dev-env:", "WARNING"))]
        return sorted(story(line) for line in lines if not re.match(r"mlflow-ci: .*the other \d+ ", line))

    assert kept(first.stderr) == kept(second.stderr)
    report_dir = demo_dir / "mlflow-ci-report" / "news-classification"
    assert json.loads((report_dir / "metrics.json").read_text(encoding="utf-8"))
    runs = (report_dir / "report.md").read_text(encoding="utf-8").split("<details>")[1].split("</details>")[0]
    assert runs.strip() in second.stdout  # the report shown is the report written (the last run's)
    assert (demo_dir / "mlflow.db").exists()
