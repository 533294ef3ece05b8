"""Benchmark: the composite action's cold set-up, uv vs pip, side by side, as on a fresh hosted runner.

    .venv/bin/python bench/cold_setup.py [--rounds 3] [--sweep]

Each install runs scripts/action-venv.sh, as the action's first step does, into an empty tool cache with
empty uv and pip package caches, from the package index only (this machine's pip configuration, local
wheel folders and mirrors, is switched off for both), on a PATH holding only the runner's Python:

- uv (bootstrapped): the runner has no uv, so the script first installs the uv pinned in
  requirements/uv.txt with pip (hash-checked), then `uv pip install --require-hashes` the lock;
- uv (on PATH): the runner already has uv (a self-hosted runner, or after astral-sh/setup-uv);
- pip: `pip install --require-hashes` the lock, what the action did before (MLFLOW_CI_INSTALLER=pip).

The variants alternate within each round so the machine's load hits them alike. The lock is
requirements/runtime.txt (add --sweep for runtime.txt + train.txt, what sweep-config installs). Then
the warm path: the same script when the venv is already in the cache. Prints Markdown for
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine_line  # noqa: E402

VARIANTS = {"uv (bootstrapped)": "uv", "uv (on PATH)": "uv", "pip": "pip"}


def runner_path(scratch: Path, uv: str | None) -> str:
    """A PATH with the runner's Python (and uv when given), nothing else of this machine's tools."""
    bin_dir = scratch / ("bin-uv" if uv else "bin")
    bin_dir.mkdir(exist_ok=True)
    python = bin_dir / "python3"
    if not python.exists():
        python.symlink_to(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
    if uv and not (bin_dir / "uv").exists():
        (bin_dir / "uv").symlink_to(uv)
    return f"{bin_dir}:/usr/bin:/bin"


def fresh_env(scratch: Path, *, installer: str, path: str, sweep: bool) -> dict[str, str]:
    for name in ("tool-cache", "uv-cache", "pip-cache"):
        shutil.rmtree(scratch / name, ignore_errors=True)
        (scratch / name).mkdir()
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "MLFLOW_CI_", "VIRTUAL_ENV"))}
    if "PIP_CERT" in os.environ:  # a machine whose TLS goes through its own CA (uv reads SSL_CERT_FILE)
        keep["PIP_CERT"] = os.environ["PIP_CERT"]
    return {
        **keep,
        "PATH": path,
        "MLFLOW_CI_INSTALLER": installer,
        "MLFLOW_CI_VENV_CACHE": str(scratch / "tool-cache"),
        "UV_CACHE_DIR": str(scratch / "uv-cache"),
        "PIP_CACHE_DIR": str(scratch / "pip-cache"),
        "PIP_CONFIG_FILE": os.devnull,  # the index only, as on a hosted runner
        "PIP_ROOT_USER_ACTION": "ignore",
        "GITHUB_OUTPUT": os.devnull,
        **({"MLFLOW_CI_SWEEP_CONFIG": "sweep.yml"} if sweep else {}),
    }


def run_script(env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        ["bash", str(ROOT / "scripts/action-venv.sh")], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"action-venv.sh failed:\n{done.stdout}{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sweep", action="store_true", help="install runtime.txt + train.txt")
    args = parser.parse_args()
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(uv).exists():
        raise SystemExit("uv not found: run scripts/dev-env.sh first")
    print(machine_line())
    lock = "runtime.txt + train.txt" if args.sweep else "runtime.txt"
    print(f"lock: requirements/{lock}, {args.rounds} rounds\n")
    times: dict[str, list[float]] = {label: [] for label in VARIANTS}
    warm: dict[str, list[float]] = {label: [] for label in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        for round_ in range(args.rounds):
            order = list(VARIANTS) if round_ % 2 == 0 else list(reversed(VARIANTS))
            for label in order:
                path = runner_path(scratch, uv if label == "uv (on PATH)" else None)
                env = fresh_env(scratch, installer=VARIANTS[label], path=path, sweep=args.sweep)
                times[label].append(run_script(env))
                warm[label].append(run_script(env))
                print(f"  round {round_ + 1}: {label}: {times[label][-1]:.1f} s cold, {warm[label][-1]:.2f} s warm")
    pip = statistics.median(times["pip"])
    print("\n| installer | cold set-up, median (s) | runs (s) | pip / this | warm path, median (s) |")
    print("|---|---:|---|---:|---:|")
    for label in VARIANTS:
        median = statistics.median(times[label])
        runs = ", ".join(f"{t:.1f}" for t in times[label])
        print(f"| {label} | {median:.1f} | {runs} | {pip / median:.1f}x | {statistics.median(warm[label]):.2f} |")


if __name__ == "__main__":
    main()
