"""The eval data's digest is DVC's md5 when DVC tracks the file, read from what real `dvc` wrote: a `.dvc`
file (`dvc add`), a `dvc.lock` stage output, or a file inside a tracked directory; a file that differs from
the recorded version is refused; an untracked file is not DVC's."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mlflow_ci.dvc.tracked import tracked_md5
from mlflow_ci.errors import InputError
from tests.helpers.eval_models import task_rows, write_csv

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(not (BIN / "dvc").exists(), reason="dvc is not installed (scripts/dev-env.sh)")


def sh(cwd: Path, *argv: str) -> str:
    done = subprocess.run(
        [str(BIN / argv[0]) if (BIN / argv[0]).exists() else argv[0], *argv[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(cwd), "DVC_NO_ANALYTICS": "1"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    sh(work, "git", "init", "-q")
    sh(work, "dvc", "init", "-q")
    return work


def test_a_dvc_added_file_has_the_md5_of_its_dvc_file(repo: Path) -> None:
    write_csv(task_rows(200, seed=1), repo / "data" / "eval.csv")
    sh(repo, "dvc", "add", "data/eval.csv")
    recorded = yaml.safe_load((repo / "data" / "eval.csv.dvc").read_text())["outs"][0]["md5"]

    found = tracked_md5(repo, "data/eval.csv")

    assert found is not None
    assert (found.md5, found.recorded_in) == (recorded, "data/eval.csv.dvc")
    assert len(found.md5) <= 36  # fits MLflow's dataset digest


def test_a_pipeline_output_has_the_md5_of_dvc_lock(repo: Path) -> None:
    (repo / "make.py").write_text(
        "import sys; sys.path.insert(0, '.')\nfrom tests_rows import rows\nrows().to_csv('holdout.csv', index=False)\n"
    )
    (repo / "tests_rows.py").write_text(
        "import numpy as np, pandas as pd\n"
        "def rows():\n"
        "    rng = np.random.default_rng(3)\n"
        "    return pd.DataFrame({'x': rng.normal(size=50), 'label': rng.integers(0, 2, 50)})\n"
    )
    sh(
        repo,
        "dvc",
        "stage",
        "add",
        "-q",
        "-n",
        "split",
        "-d",
        "make.py",
        "-o",
        "holdout.csv",
        f"{sys.executable} make.py",
    )
    sh(repo, "dvc", "repro", "-q")
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    [out] = lock["stages"]["split"]["outs"]

    found = tracked_md5(repo, "holdout.csv")

    assert found is not None
    assert (found.md5, found.recorded_in) == (out["md5"], "dvc.lock (stage split)")


def test_a_file_in_a_tracked_directory_has_its_md5_from_the_cache_manifest(repo: Path) -> None:
    write_csv(task_rows(100, seed=2), repo / "data" / "eval.csv")
    write_csv(task_rows(100, seed=3), repo / "data" / "train.csv")
    sh(repo, "dvc", "add", "data")
    found = tracked_md5(repo, "data/eval.csv")

    assert found is not None
    assert found.recorded_in == "data.dvc"
    assert found.md5 == hashlib.md5((repo / "data" / "eval.csv").read_bytes()).hexdigest()


def test_a_file_changed_since_dvc_add_is_refused(repo: Path) -> None:
    path = write_csv(task_rows(100, seed=4), repo / "eval.csv")
    sh(repo, "dvc", "add", "eval.csv")
    path.write_text(path.read_text() + "0,0,0,0,0,0,1\n")
    with pytest.raises(InputError) as caught:
        tracked_md5(repo, "eval.csv")
    assert caught.value.input_name == "eval-data"
    assert "is not the version eval.csv.dvc records" in str(caught.value)
    assert "run dvc pull" in str(caught.value)


def test_an_untracked_file_is_not_dvcs(repo: Path) -> None:
    write_csv(task_rows(10, seed=5), repo / "eval.csv")
    assert tracked_md5(repo, "eval.csv") is None
