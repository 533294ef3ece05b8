"""docker/action.yml offers exactly the interface of the composite action.yml, and runs the released image."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from mlflow_ci import __version__
from mlflow_ci import inputs as params

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import sync_interface  # noqa: E402


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


COMPOSITE = load(ROOT / "action.yml")
DOCKER = load(ROOT / "docker" / "action.yml")


def interface(action: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """What a workflow author sees: every input with its description, default and required flag, and
    every output with its description (a composite output's `value` is plumbing, not interface)."""
    outputs = {name: spec["description"] for name, spec in action["outputs"].items()}
    return action["inputs"], outputs


def test_docker_action_has_the_composite_actions_inputs_and_outputs():
    docker_inputs, docker_outputs = interface(DOCKER)
    composite_inputs, composite_outputs = interface(COMPOSITE)
    assert list(docker_inputs) == list(composite_inputs)
    assert docker_inputs == composite_inputs
    assert list(docker_outputs) == list(composite_outputs)
    assert docker_outputs == composite_outputs


def test_the_comparison_sees_a_difference():
    # Guards the test above against comparing something that is always equal.
    changed = load(ROOT / "docker" / "action.yml")
    changed["inputs"]["metric"]["default"] = "accuracy"
    assert interface(changed)[0] != interface(COMPOSITE)[0]
    renamed = load(ROOT / "docker" / "action.yml")
    renamed["outputs"]["run-id"] = renamed["outputs"].pop("run_id")
    assert interface(renamed)[1] != interface(COMPOSITE)[1]


def test_docker_action_runs_the_released_image_of_this_version():
    runs = DOCKER["runs"]
    assert runs["using"] == "docker"
    assert runs["image"] == f"docker://{sync_interface.IMAGE_REPOSITORY}:v{__version__}"
    # Inputs reach the image's entrypoint as INPUT_* variables; overriding the entrypoint or passing args
    # would bypass the image's `python -I` entrypoint or duplicate the inputs.
    assert set(runs) == {"using", "image"}


def test_image_repository_is_a_valid_lower_case_ghcr_name():
    owner_and_name = sync_interface.IMAGE_REPOSITORY.removeprefix("ghcr.io/")
    assert owner_and_name != sync_interface.IMAGE_REPOSITORY
    assert owner_and_name == owner_and_name.lower() and owner_and_name.count("/") == 1


def test_docker_outputs_are_the_output_table():
    assert list(DOCKER["outputs"]) == [o.name for o in params.OUTPUTS]
    assert all("value" not in spec for spec in DOCKER["outputs"].values())


def test_runner_input_names_are_what_the_program_reads():
    # The runner makes INPUT_<NAME> upper-case with hyphens kept; the program must accept that spelling.
    environ = {"INPUT_EXPERIMENT-NAME": "exp", "INPUT_METRIC": "rmse", "INPUT_GREATER-IS-BETTER": "false"}
    values = params.raw_values({}, environ)
    assert (values["experiment-name"], values["metric"], values["greater-is-better"]) == ("exp", "rmse", "false")
