"""action.yml, the CLI and the README all say what inputs.py says."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

from mlflow_ci import cli
from mlflow_ci import inputs as params

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def test_action_inputs_are_the_parameter_table():
    assert list(ACTION["inputs"]) == [p.name for p in params.PARAMETERS]
    for param in params.PARAMETERS:
        assert ACTION["inputs"][param.name].get("default", "") == param.action_yml_default


def test_action_outputs_are_the_output_table_and_come_from_the_run_step():
    assert list(ACTION["outputs"]) == [o.name for o in params.OUTPUTS]
    for name, spec in ACTION["outputs"].items():
        assert spec["value"] == f"${{{{ steps.run.outputs.{name} }}}}"


def test_every_input_reaches_the_program_through_env():
    # GitHub sets no INPUT_* for composite steps (act does, which would hide a missing mapping).
    run_step = next(step for step in ACTION["runs"]["steps"] if step.get("id") == "run")
    for param in params.PARAMETERS:
        assert run_step["env"][param.env] == f"${{{{ inputs.{param.name} }}}}"


def test_no_expression_inside_run_scripts():
    # `${{ inputs.x }}` in a script is script injection; inputs travel through env only.
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step
    assert ACTION["runs"]["using"] == "composite"
    assert all(step.get("shell") == "bash" for step in ACTION["runs"]["steps"] if "run" in step)


def test_cli_flags_are_the_parameter_table():
    flags = {a.option_strings[-1] for a in cli.build_parser()._actions if a.option_strings}
    expected = {p.flag for p in params.PARAMETERS if p.name != "command"} | {"--help", "--json", "--version"}
    assert flags == expected


def test_generated_files_are_up_to_date():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "sync_interface.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_readme_documents_every_input_and_output():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for param in params.PARAMETERS:
        assert re.search(rf"^\| `{re.escape(param.name)}` \|", readme, re.M), param.name
    for output in params.OUTPUTS:
        assert re.search(rf"^\| `{output.name}` \|", readme, re.M), output.name


def test_the_setup_step_knows_whether_a_sweep_needs_the_training_lock():
    setup = next(step for step in ACTION["runs"]["steps"] if step.get("id") == "setup")
    assert setup["env"] == {"MLFLOW_CI_SWEEP_CONFIG": "${{ inputs.sweep-config }}"}
    assert (ROOT / "requirements" / "train.txt").is_file()
