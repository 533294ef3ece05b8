"""Text that users or runs control never becomes a workflow command: run names, parameters, experiment and
model names, a train-command's output. Read with a port of the runner's own command parsing."""

from __future__ import annotations

import os
import sys

import mlflow
import pytest

from tests.helpers.mlflow_runs import unique
from tests.helpers.runner_commands import annotations, commands
from tests.helpers.steps import flags, run_step

PAYLOADS = ["x\n::warning::INJECTED", "x\n  ::error title=t::INJECTED", "x\n##[warning]INJECTED", "::notice::INJECTED"]


def _hostile_run(server: str, experiment: str, payload: str) -> str:
    mlflow.set_tracking_uri(server)
    mlflow.set_experiment(experiment)
    from tests.helpers.mlflow_runs import _MODEL

    with mlflow.start_run(run_name=payload) as run:
        mlflow.log_param("note", payload.replace("\n", " "))
        mlflow.log_metric("accuracy", 0.9)
        mlflow.sklearn.log_model(_MODEL, name="model", pip_requirements=["scikit-learn"])
    return run.info.run_id


def _no_injected_command(log: str) -> None:
    assert "INJECTED" in log  # the text was printed: the check below is about how
    injected = [c for c in commands(log) if "INJECTED" in c.data or "INJECTED" in c.properties]
    assert injected == [], injected


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_hostile_run_name_prints_no_command(tmp_path, mlflow_server, payload):
    experiment = unique("exp")
    _hostile_run(mlflow_server, experiment, payload)
    best = run_step(tmp_path, mlflow_server, flags("best-run", experiment))
    assert best.code == 0, best.log
    _no_injected_command(best.stdout)  # its verdict line names the run
    assert annotations(best.stdout) == []
    for command in ("gate", "report"):
        args = flags(command, experiment, threshold="0.99", model_name="m")
        step = run_step(tmp_path, mlflow_server, args, extra_env={"GITHUB_WORKSPACE": str(tmp_path)})
        assert not [c for c in commands(step.stdout) if "INJECTED" in c.data], step.stdout
        assert [a.name for a in annotations(step.stdout)] in ([], ["error"])


def test_a_train_commands_output_prints_no_command(tmp_path, mlflow_server):
    experiment = unique("exp")
    script = tmp_path / "train.py"
    script.write_text(
        "import mlflow\n"
        "print('::warning::INJECTED by the child')\n"
        "print('##[error]INJECTED too', flush=True)\n"
        "with mlflow.start_run():\n"
        "    mlflow.log_metric('accuracy', 0.5)\n"
    )
    step = run_step(
        tmp_path,
        mlflow_server,
        [*flags("train", experiment), "--train-command", f"{sys.executable} {script}"],
        extra_env={"PATH": os.environ["PATH"]},
    )
    assert step.code == 0, step.log
    _no_injected_command(step.stdout)
