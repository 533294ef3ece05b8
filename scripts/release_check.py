"""Check a release before its image is published; .github/workflows/release.yml runs this first.

python scripts/release_check.py TAG OWNER/REPOSITORY

The tag must be v<the package version>, the image must go where docker/action.yml points, and the generated
files must be current. Prints version=, tag=, image= and major= (to $GITHUB_OUTPUT when set); on a problem,
one ::error:: line and exit 1.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
sys.path[:0] = [str(SCRIPTS), str(SCRIPTS.parent / "src")]  # runs on a bare runner: nothing is installed

import sync_interface  # noqa: E402

from mlflow_ci import __version__  # noqa: E402


class ReleaseError(Exception):
    pass


def check(tag: str, repository: str) -> dict[str, str]:
    match = re.fullmatch(r"v(\d+)\.\d+\.\d+", tag)
    if not match:
        raise ReleaseError(f"tag '{tag}' is not a release tag: use v<major>.<minor>.<patch>, e.g. v{__version__}")
    if tag != f"v{__version__}":
        raise ReleaseError(
            f"tag {tag} is not the package version {__version__}: set __version__ in src/mlflow_ci/__init__.py, "
            "run python scripts/sync_interface.py, commit, and tag that commit"
        )
    image = f"ghcr.io/{repository.lower()}"
    if image != sync_interface.IMAGE_REPOSITORY:
        raise ReleaseError(
            f"docker/action.yml names {sync_interface.IMAGE_REPOSITORY}, but this repository publishes {image}: "
            "set IMAGE_REPOSITORY in scripts/sync_interface.py and run it"
        )
    stale = sync_interface.stale_files()
    if stale:
        raise ReleaseError(f"out of date: {', '.join(map(str, stale))}: run python scripts/sync_interface.py")
    return {"version": __version__, "tag": tag, "image": image, "major": f"v{match[1]}"}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("::error title=release::usage: release_check.py TAG OWNER/REPOSITORY")
        return 1
    try:
        values = check(*argv)
    except ReleaseError as exc:
        print(f"::error title=release::{exc}")
        return 1
    lines = "".join(f"{name}={value}\n" for name, value in values.items())
    print(lines, end="")
    if os.environ.get("GITHUB_OUTPUT"):
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
            handle.write(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
