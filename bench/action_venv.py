"""Benchmark: the composite action's own venv, our runtime lock (mlflow-skinny) vs full mlflow, side by side.

    .venv/bin/python bench/action_venv.py [--repeat 5]

For each: install time into a fresh venv (pip's cache warm, as on a runner that restores it; the first
install primes it), venv size, `import mlflow` time, and the reuse path of scripts/action-venv.sh.
Prints a Markdown table to paste into docs/benchmarks.md.
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

VARIANTS = {
    "mlflow-ci runtime lock (mlflow-skinny + SQLAlchemy + Alembic)": ["-r", str(ROOT / "requirements/runtime.txt")],
    "full mlflow==3.17.2": ["mlflow==3.17.2"],
}


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def install(venv: Path, requirement: list[str]) -> float:
    shutil.rmtree(venv, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirement],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def import_seconds(venv: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([str(venv / "bin/python"), "-c", "import mlflow; from mlflow import MlflowClient"], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def reuse_seconds(cache: Path) -> float:
    env = {**os.environ, "MLFLOW_CI_VENV_CACHE": str(cache), "GITHUB_OUTPUT": os.devnull}
    script = str(ROOT / "scripts/action-venv.sh")
    subprocess.run(["bash", script], env=env, check=True, stdout=subprocess.DEVNULL)  # build (or find) it
    started = time.perf_counter()
    subprocess.run(["bash", script], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(machine_line() + "\n")
    print("| venv | install (s, warm pip cache) | size (MB) | import mlflow (s) |")
    print("|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        rows = {}
        for label, requirement in VARIANTS.items():
            venv = Path(scratch) / "venv"
            install(venv, requirement)  # primes pip's cache
            seconds = install(venv, requirement)
            rows[label] = seconds
            print(f"| {label} | {seconds:.1f} | {size_mb(venv):.0f} | {import_seconds(venv, args.repeat):.2f} |")
        first, second = rows.values()
        print(f"\ninstall ratio full/ours: {second / first:.1f}x")
        print(
            f"scripts/action-venv.sh when the venv is already on the runner: {reuse_seconds(Path(scratch) / 'c'):.2f} s"
        )


if __name__ == "__main__":
    main()
