"""The README's first quick-start command, run as a user runs it: `bash scripts/demo.sh`."""

from __future__ import annotations

import json
import os
import re
import subprocess

from tests.conftest import ROOT


def test_the_demo_trains_gates_registers_and_reports(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MLFLOW_"))}
    env["DEMO_DIR"] = str(tmp_path / "demo")
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "demo.sh")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout  # the JSON and the report; notes and notices go to stderr off GitHub
    assert "not registered: pull_request: registration runs only on pushes to main" in done.stderr
    pushed = json.loads(re.search(r"^\{\n.*?^\}$", out, re.S | re.M).group(0))
    assert pushed["registered"] == "true" and pushed["model_version"] == "1"
    report_dir = tmp_path / "demo" / "mlflow-ci-report" / "news-classification"
    assert (report_dir / "report.md").read_text(encoding="utf-8") in out  # the report is shown
    assert json.loads((report_dir / "metrics.json").read_text(encoding="utf-8"))
    assert (tmp_path / "demo" / "mlflow.db").exists()
