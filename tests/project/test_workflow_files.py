"""Every action and workflow file the project ships validates against GitHub's schemas (vendored in
check-jsonschema, so this runs offline)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = sorted(ROOT.glob("action.yml")) + sorted(ROOT.glob("docker/action.yml"))
WORKFLOWS = sorted(ROOT.glob(".github/workflows/*.yml")) + sorted(ROOT.glob("examples/workflows/*.yml"))


def check_jsonschema() -> str:
    found = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    if not Path(found).exists():
        pytest.skip("check-jsonschema is not installed (scripts/dev-env.sh installs it)")
    return found


@pytest.mark.parametrize("schema,files", [("vendor.github-actions", ACTIONS), ("vendor.github-workflows", WORKFLOWS)])
def test_files_validate_against_githubs_schemas(schema, files):
    assert files
    result = subprocess.run(
        [check_jsonschema(), "--builtin-schema", schema, *map(str, files)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: not-a-list\n")
    result = subprocess.run(
        [check_jsonschema(), "--builtin-schema", "vendor.github-workflows", str(broken)], capture_output=True, text=True
    )
    assert result.returncode != 0
