"""The md5 DVC records for one file: from its `.dvc` file (`dvc add`), from a `dvc.lock` stage output, or,
for a file inside a tracked directory, from that directory's manifest in the DVC cache.

Read from the files DVC writes, not by running dvc: the digest must be the one committed to git.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlflow_ci.errors import InputError


@dataclass(frozen=True)
class Tracked:
    md5: str
    recorded_in: str  # e.g. "data/eval.csv.dvc" or "dvc.lock (stage split)"


def _load(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _in_directory(workspace: Path, directory_md5: str, relative: str) -> str:
    """A file's md5 from a tracked directory's `.dir` manifest in the local cache ("" when not there)."""
    name = directory_md5.removesuffix(".dir")
    for cache in (workspace / ".dvc" / "cache" / "files" / "md5", workspace / ".dvc" / "cache"):
        manifest = cache / name[:2] / f"{name[2:]}.dir"
        try:
            entries = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.get("relpath") == relative:
                return str(entry.get("md5", ""))
    return ""


def _match(workspace: Path, base: Path, outs: Any, target: Path) -> tuple[str, bool] | None:
    """(md5, is DVC 3's plain md5) of `target` among `outs` (paths relative to `base`)."""
    for out in outs if isinstance(outs, list) else []:
        if not isinstance(out, dict) or not out.get("md5"):
            continue
        plain = out.get("hash") == "md5"  # DVC 3; DVC 2 hashed text files after dos2unix
        tracked = (base / str(out.get("path", ""))).resolve()
        if tracked == target:
            return str(out["md5"]), plain
        if str(out["md5"]).endswith(".dir") and target.is_relative_to(tracked):
            found = _in_directory(workspace, str(out["md5"]), target.relative_to(tracked).as_posix())
            if found:
                return found, plain
    return None


def _from_dvc_files(root: Path, target: Path) -> tuple[str, bool, str] | None:
    """`dvc add x` writes x.dvc beside x; `dvc add folder` writes folder.dvc."""
    for owner in (target, *target.parents):
        if owner == root.parent:
            return None
        dvc_file = owner.with_name(owner.name + ".dvc")
        if dvc_file.is_file():
            data = _load(dvc_file)
            match = _match(root, dvc_file.parent, data.get("outs") if isinstance(data, dict) else None, target)
            if match:
                return (*match, dvc_file.relative_to(root).as_posix())
    return None


def _from_lock(root: Path, target: Path) -> tuple[str, bool, str] | None:
    lock = _load(root / "dvc.lock")
    stages = lock.get("stages") if isinstance(lock, dict) else None
    for stage, entry in (stages or {}).items():
        match = _match(root, root, entry.get("outs") if isinstance(entry, dict) else None, target)
        if match:
            return (*match, f"dvc.lock (stage {stage})")
    return None


def tracked_md5(workspace: Path, path: str) -> Tracked | None:
    """DVC's md5 of `path` (relative to the workspace), or None when DVC does not track it. When DVC 3
    recorded it, the file on disk must match: a digest that names other content would make the gate's
    record lie."""
    root = workspace.resolve()
    target = (root / path).resolve()
    found = _from_dvc_files(root, target) or _from_lock(root, target)
    if found is None:
        return None
    md5, plain, recorded_in = found
    if plain and target.is_file():
        actual = _file_md5(target)
        if actual != md5:
            raise InputError(
                "eval-data",
                f"'{path}' is not the version {recorded_in} records (md5 {actual[:12]}… on disk, {md5[:12]}… recorded)",
                "run dvc pull (dvc: true does), or dvc add / dvc repro and commit if you changed it on purpose",
            )
    return Tracked(md5, recorded_in)
