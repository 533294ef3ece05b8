"""The data version read from dvc.lock, dvc.yaml and params.yaml, and the tags and params built from it
(the end-to-end path with the real dvc CLI is tests/integration/test_dvc_server.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from mlflow.utils.validation import _validate_param_name, _validate_tag_name

from mlflow_ci.dvc import project as dvc
from mlflow_ci.dvc.version import MAX_TAG_VALUE, DataVersion, data_params, data_tags, data_version
from mlflow_ci.tracking.tags import TAG_DVC_LOCK

LOCK = """\
schema: '2.0'
stages:
  prepare:
    cmd: python prepare.py
    deps:
    - path: data/raw.csv
      hash: md5
      md5: aaaa
      size: 10
    - path: prepare.py
      hash: md5
      md5: bbbb
    params:
      params.yaml:
        prepare.seed: 42
      other.yaml:
        split:
          ratio: 0.2
    outs:
    - path: data/prepared
      md5: cccc.dir
  train@small:
    cmd: python train.py small
    deps:
    - path: data/prepared
      md5: cccc.dir
    params:
      params.yaml:
        train:
          C: 1.0
          layers: [8, 4]
"""

PIPELINE = """\
stages:
  prepare: {cmd: python prepare.py, params: [prepare.seed]}
  evaluate:
    cmd: python evaluate.py
    params: [evaluate.threshold, {other.yaml: [split.ratio]}]
"""


def project(tmp_path: Path) -> Path:
    (tmp_path / "dvc.lock").write_text(LOCK)
    (tmp_path / "dvc.yaml").write_text(PIPELINE)
    (tmp_path / "params.yaml").write_text("prepare: {seed: 42}\nevaluate: {threshold: 0.5}\n")
    (tmp_path / "other.yaml").write_text("split: {ratio: 0.2}\n")
    return tmp_path


def test_the_data_version_comes_from_the_lock_and_unlocked_stages_from_params_yaml(tmp_path):
    version = data_version(project(tmp_path))
    assert version.lock_sha256 == hashlib.sha256(LOCK.encode()).hexdigest()
    assert version.stage_deps == {
        "prepare": [("data/raw.csv", "aaaa"), ("prepare.py", "bbbb")],
        "train@small": [("data/prepared", "cccc.dir")],
    }
    assert version.params == {
        "prepare.seed": "42",
        "other.yaml:split.ratio": "0.2",
        "train.C": "1.0",
        "train.layers": "[8, 4]",
        "evaluate.threshold": "0.5",  # evaluate has not run yet: dvc.yaml's params valued from params.yaml
    }


def test_tags_and_params_are_valid_mlflow_keys(tmp_path):
    version = data_version(project(tmp_path))
    tags = data_tags(version)
    assert tags[TAG_DVC_LOCK] == version.lock_sha256
    assert tags["mlflow_ci.dvc.prepare.deps"] == "data/raw.csv=aaaa\nprepare.py=bbbb"
    assert tags["mlflow_ci.dvc.train_small.deps"] == "data/prepared=cccc.dir"  # foreach's @ is not valid in a key
    params = data_params(version, existing={"train.C": "1.0"})
    assert "train.C" not in params and params["prepare.seed"] == "42"  # the run's own params are never rewritten
    for key in tags:
        _validate_tag_name(key)
    for key in params:
        _validate_param_name(key)


def test_many_dependencies_fit_in_one_tag(tmp_path):
    version = DataVersion("0" * 64, {"big": [(f"data/part-{i:05d}.csv", "f" * 32) for i in range(500)]})
    value = data_tags(version)["mlflow_ci.dvc.big.deps"]
    assert value.startswith("sha256:") and len(value) <= MAX_TAG_VALUE


def test_auto_finds_dvc_yaml_or_dvc_files_but_not_in_virtualenvs(tmp_path):
    assert not dvc.enabled("auto", tmp_path)
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "x.dvc").write_text("outs: []\n")
    assert not dvc.enabled("auto", tmp_path) and dvc.enabled("true", tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "raw.csv.dvc").write_text("outs: [{path: raw.csv, md5: abc}]\n")
    assert dvc.enabled("auto", tmp_path) and not dvc.enabled("false", tmp_path)
    assert dvc.pull_targets(tmp_path) == ["data/raw.csv.dvc"]


def test_only_stages_in_the_lock_are_pulled(tmp_path):
    project(tmp_path)
    assert dvc.pull_targets(tmp_path) == ["prepare"]  # train@small is not in dvc.yaml, evaluate not yet locked
