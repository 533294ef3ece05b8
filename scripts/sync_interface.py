"""Write action.yml, docker/action.yml and the README's tables (inputs, outputs, exit codes) from the tables in
src/mlflow_ci/inputs.py and errors.py.

python scripts/sync_interface.py          # rewrite the files
python scripts/sync_interface.py --check  # exit 1 and name the stale files (the tests run this)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mlflow_ci import __version__  # noqa: E402
from mlflow_ci.errors import EXIT_CODES  # noqa: E402
from mlflow_ci.inputs import OUTPUTS, PARAMETERS, Param  # noqa: E402

HEADER = "# Generated from src/mlflow_ci/inputs.py by scripts/sync_interface.py: edit those, then run it.\n"
# Where .github/workflows/release.yml publishes the image: ghcr.io/<owner>/<repository>, lower-case (it
# checks this against the repository it runs in). docker/action.yml names the release's own tag, so the
# action and its image are versioned together and no job rebuilds the image.
IMAGE_REPOSITORY = "ghcr.io/org/mlflow-ci-action"
README_MARKERS = {
    "inputs": ("<!-- inputs:start -->", "<!-- inputs:end -->"),
    "outputs": ("<!-- outputs:start -->", "<!-- outputs:end -->"),
    "exit-codes": ("<!-- exit-codes:start -->", "<!-- exit-codes:end -->"),
}


def _yaml_str(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar


def _inputs_yaml() -> list[str]:
    lines = ["inputs:"]
    for param in PARAMETERS:
        lines += [f"  {param.name}:", f"    description: {_yaml_str(param.help)}", "    required: false"]
        if param.action_yml_default:
            lines.append(f"    default: {_yaml_str(param.action_yml_default)}")
    return lines


def _outputs_yaml(value_of: str) -> list[str]:
    lines = ["outputs:"]
    for output in OUTPUTS:
        lines += [f"  {output.name}:", f"    description: {_yaml_str(output.help)}"]
        if value_of:
            lines.append(f"    value: ${{{{ {value_of}.{output.name} }}}}")
    return lines


def image_ref(version: str = __version__) -> str:
    return f"docker://{IMAGE_REPOSITORY}:v{version}"


def _input_env(param: Param) -> str:
    return f"        {param.env}: ${{{{ inputs.{param.name} }}}}"


def render_action() -> str:
    lines = [
        "name: MLflow CI",
        "description: Find the best MLflow run, gate it on a metric, register and promote it on pushes to main.",
        "author: mlflow-ci-action",
        "branding:",
        "  icon: check-circle",
        "  color: blue",
        *_inputs_yaml(),
        *_outputs_yaml("steps.run.outputs"),
        "runs:",
        "  using: composite",
        "  steps:",
        "    - name: Set up mlflow-ci (a venv cached on the runner by the hash of the pinned requirements)",
        "      id: setup",
        "      shell: bash",
        "      env:",
        "        MLFLOW_CI_SWEEP_CONFIG: ${{ inputs.sweep-config }}",
        '      run: bash "$GITHUB_ACTION_PATH/scripts/action-venv.sh"',
        "    - name: Run mlflow-ci",
        "      id: run",
        "      shell: bash",
        "      env:",
        "        PYTHONPATH: ${{ github.action_path }}/src",
        "        MLFLOW_CI_PYTHON: ${{ steps.setup.outputs.python }}",
        *(_input_env(p) for p in PARAMETERS),
        "      run: '\"$MLFLOW_CI_PYTHON\" -m mlflow_ci'",
    ]
    return HEADER + "\n".join(lines) + "\n"


def render_docker_action() -> str:
    # The runner hands a Docker action its inputs as INPUT_<NAME> (hyphens kept), which inputs.py reads,
    # and reads its outputs from GITHUB_OUTPUT, so the interface is the table and nothing else.
    lines = [
        "name: MLflow CI (Docker)",
        "description: Find the best MLflow run, gate it on a metric, register and promote it on pushes to main,"
        " in the prebuilt mlflow-ci image.",
        "author: mlflow-ci-action",
        "branding:",
        "  icon: check-circle",
        "  color: blue",
        *_inputs_yaml(),
        *_outputs_yaml(""),
        "runs:",
        "  using: docker",
        f"  image: {_yaml_str(image_ref())}",
    ]
    return HEADER + "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_tables() -> dict[str, str]:
    inputs = ["| input | default | description |", "|---|---|---|"]
    inputs += [
        f"| `{p.name}` | {f'`{p.action_yml_default}`' if p.action_yml_default else ''} | {_cell(p.help)} |"
        for p in PARAMETERS
    ]
    outputs = ["| output | description |", "|---|---|"]
    outputs += [f"| `{o.name}` | {_cell(o.help)} |" for o in OUTPUTS]
    codes = ["| exit code | meaning |", "|---:|---|"]
    codes += [f"| `{code}` | {_cell(meaning)} |" for code, meaning in EXIT_CODES.items()]
    return {"inputs": "\n".join(inputs), "outputs": "\n".join(outputs), "exit-codes": "\n".join(codes)}


def render_readme(readme: str) -> str:
    for key, table in render_tables().items():
        start, end = README_MARKERS[key]
        head, found, rest = readme.partition(start)
        if not found:
            raise SystemExit(f"README.md has no {start} marker")
        _, found, tail = rest.partition(end)
        if not found:
            raise SystemExit(f"README.md has no {end} marker")
        readme = f"{head}{start}\n{table}\n{end}{tail}"
    return readme


def expected_files() -> dict[Path, str]:
    readme = ROOT / "README.md"
    return {
        ROOT / "action.yml": render_action(),
        ROOT / "docker" / "action.yml": render_docker_action(),
        readme: render_readme(readme.read_text(encoding="utf-8")),
    }


def stale_files(write: bool = False) -> list[Path]:
    """The generated files that differ from what the tables say (rewritten when `write`)."""
    stale = []
    for path, text in expected_files().items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path.relative_to(ROOT))
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return stale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report files that are out of date")
    check = parser.parse_args().check
    stale = stale_files(write=not check)
    if check and stale:
        print(f"out of date: {', '.join(map(str, stale))}; run python scripts/sync_interface.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
