"""Which cached venv scripts/action-venv.sh may reuse, and the marker that says a build finished.

Runs on the runner's own Python before any venv exists, so the standard library only.

    python -I action_venv.py find CACHE LOCK...   prints "<ok|missing|stale> <venv path>"
    python -I action_venv.py mark VENV LOCK...    writes VENV/.complete once VENV is built
    python -I action_venv.py digest FILE...       prints the digest of the files, this Python and platform
    python -I action_venv.py prune CACHE VENV LOCK... deletes the cache's older builds of the same locks

A venv is reused only when its marker names the digest of this build's locks, Python and platform, and
the distributions installed in it are still the ones recorded when it was built. That turns away a
half-built venv (no marker), one restored from a cache of another lock (another digest), and one a later
step installed into or removed from. It does not re-hash every installed file: the hash check happens
at install time (--require-hashes), and whoever can write the cache directory could rewrite a marker too.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import sys
from pathlib import Path

MARKER = ".complete"
FORMAT = "mlflow-ci venv 1"


def digest(paths: list[str]) -> str:
    hashed = hashlib.sha256()
    for path in paths:
        hashed.update(Path(path).read_bytes())
        hashed.update(b"\0")
    hashed.update(f"{sys.version_info[:3]} {platform.system()} {platform.machine()}".encode())
    return hashed.hexdigest()


def installed(venv: Path) -> str:
    """A digest of the distributions in the venv: their names, versions and RECORD files (each installed
    file's own hash), so a package added, removed or reinstalled from another build changes it."""
    hashed = hashlib.sha256()
    dists = sorted([*venv.glob("lib/python*/site-packages/*.dist-info"), *venv.glob("Lib/site-packages/*.dist-info")])
    for dist in dists:
        hashed.update(dist.name.encode() + b"\0")
        record = dist / "RECORD"
        hashed.update(record.read_bytes() if record.is_file() else b"-")
    return f"{len(dists)}:{hashed.hexdigest()}"


def python_of(venv: Path) -> Path:
    posix = venv / "bin" / "python"
    return posix if posix.exists() else venv / "Scripts" / "python.exe"


def lock_set(locks: list[str]) -> str:
    return " ".join(Path(lock).name for lock in locks)


def marker_text(venv: Path, build: str, locks: list[str]) -> str:
    return f"{FORMAT}\nlocks {lock_set(locks)}\ndigest {build}\ninstalled {installed(venv)}\n"


def state(venv: Path, build: str, locks: list[str]) -> str:
    marker = venv / MARKER
    if not marker.is_file():
        return "missing" if not venv.exists() else "stale"
    if not python_of(venv).exists():
        return "stale"
    return "ok" if marker.read_text(errors="replace") == marker_text(venv, build, locks) else "stale"


def obsolete(cache: Path, keep: Path, locks: list[str]) -> list[Path]:
    """Earlier builds of the same locks (the action was upgraded, or the runner's Python changed), as an
    `actions/cache` restore-key brings back or a long-lived runner keeps: nothing will use them again. Builds
    of other locks (with or without train.txt) stay, and so do builds in progress (their .partial names)."""
    wanted = f"locks {lock_set(locks)}"
    found = []
    for venv in cache.glob("venv-*"):
        if venv == keep or not re.fullmatch(r"venv-[0-9a-f]{16}", venv.name):
            continue
        marker = venv / MARKER
        lines = marker.read_text(errors="replace").splitlines() if marker.is_file() else []
        if not lines or lines[0] != FORMAT or wanted in lines:  # half-built, an older format, or these locks
            found.append(venv)
    return found


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "digest":
        print(digest(args))
    elif command == "find":
        cache, *locks = args
        build = digest(locks)
        venv = Path(cache) / f"venv-{build[:16]}"
        print(state(venv, build, locks), venv)
    elif command == "mark":
        venv, *locks = args
        (Path(venv) / MARKER).write_text(marker_text(Path(venv), digest(locks), locks))
    elif command == "prune":
        cache, keep, *locks = args
        for old in obsolete(Path(cache), Path(keep), locks):
            aside = old.with_name(f"{old.name}.discarded.{os.getpid()}")
            old.rename(aside)
            shutil.rmtree(aside, ignore_errors=True)
    else:
        print(f"usage: {__doc__}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
