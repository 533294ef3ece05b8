"""The train step's guard: a sweep without its libraries is one input error, not a traceback mid-sweep."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout

import pytest

from mlflow_ci import cli

SWEEP = (
    "dataset: {sklearn: iris}\nmetrics: [accuracy]\ncandidates:\n  - estimator: sklearn.tree.DecisionTreeClassifier\n"
)


@pytest.mark.parametrize("hidden", ["sklearn", "pandas"])
def test_a_sweep_without_the_training_libraries_names_the_extra(tmp_path, monkeypatch, hidden):
    (tmp_path / "sweep.yml").write_text(SWEEP)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, hidden, None)  # `import sklearn` now fails as if it were not installed
    environ = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(tmp_path)}
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = [
        "train",
        "--experiment-name",
        "e",
        "--sweep-config",
        "sweep.yml",
        "--tracking-uri",
        f"sqlite:///{tmp_path}/m.db",
    ]
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = cli.main(argv, environ)
    errors = [line for line in stdout.getvalue().splitlines() if line.startswith("::error")]
    assert code == 2
    assert len(errors) == 1 and f"lacks {hidden}" in errors[0], stdout.getvalue()
    assert "pip install 'mlflow-ci-action[train]'" in errors[0]
    assert "Traceback" not in stdout.getvalue() + stderr.getvalue()
