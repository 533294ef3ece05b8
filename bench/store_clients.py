"""Benchmark: what the artifact-store clients (boto3, azure-storage-blob, azure-identity, google-cloud-storage)
add to the action's venv and to the Docker image, side by side in one run.

    .venv/bin/python bench/store_clients.py [--repeat 3] [--no-docker]

The "without" lock is requirements/runtime.in minus those four lines, compiled by the same uv command as
requirements/runtime.txt into a scratch file, so both sides differ by the store clients only. For each lock:
the install time into a fresh venv (pip's cache warm: a first install primes it; median of --repeat), the
venv's size, `import mlflow_ci.step` time, and (with Docker) the image's build time without Docker's
layer cache and its size. Prints Markdown to paste into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
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

STORE_CLIENTS = ("boto3", "azure-storage-blob", "azure-identity", "google-cloud-storage")
BASE = "local/python-base:bookworm"
_STORE_PINS = tuple(f'"{name}' for name in STORE_CLIENTS)


def lock_without_store_clients(scratch: Path) -> Path:
    source = ROOT / "requirements" / "runtime.in"
    kept = [line for line in source.read_text().splitlines() if line.strip() not in STORE_CLIENTS]
    stripped = scratch / "runtime-no-stores.in"
    stripped.write_text("\n".join(kept) + "\n")
    lock = scratch / "runtime-no-stores.txt"
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    subprocess.run(
        [uv, "pip", "compile", "--quiet", "--universal", "--python-version", "3.11", str(stripped), "-o", str(lock)],
        check=True,
    )
    return lock


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def install(venv: Path, lock: Path) -> float:
    shutil.rmtree(venv, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(lock)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def import_seconds(venv: Path, repeat: int) -> float:
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([str(venv / "bin/python"), "-c", "import mlflow_ci.step"], check=True, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def docker_build(lock: Path, scratch: Path, tag: str, *, with_stores: bool) -> tuple[float, float]:
    """Build the Dockerfile with `lock` as requirements/runtime.txt, without layer cache; (seconds, MB)."""
    context = scratch / f"context-{tag.rsplit(':', 1)[-1]}"
    shutil.rmtree(context, ignore_errors=True)
    (context / "requirements").mkdir(parents=True)
    for name in ("Dockerfile", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, context / name)
    shutil.copytree(ROOT / "src", context / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(lock, context / "requirements" / "runtime.txt")
    if not with_stores:  # the package's own requirements too, or the image's `pip check` fails
        pyproject = context / "pyproject.toml"
        kept = [line for line in pyproject.read_text().splitlines() if not line.strip().startswith(_STORE_PINS)]
        pyproject.write_text("\n".join(kept) + "\n")
    started = time.perf_counter()
    command = ["docker", "build", "--no-cache", "--network", "host", "--build-arg", f"BASE_IMAGE={BASE}"]
    built = subprocess.run([*command, "-t", tag, str(context)], capture_output=True, text=True)
    if built.returncode != 0:
        raise SystemExit(f"docker build failed:\n{built.stderr[-3000:]}")
    seconds = time.perf_counter() - started
    size = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Size}}", tag], capture_output=True, text=True, check=True
    ).stdout
    return seconds, int(size) / 1e6


def venv_rows(locks: dict[str, Path], scratch: Path, repeat: int) -> None:
    print("| runtime lock | packages | install (s, median) | venv (MB) | import mlflow_ci.step (s) |")
    print("|---|---:|---:|---:|---:|")
    for label, lock in locks.items():
        venv = scratch / "venv"
        install(venv, lock)  # primes pip's cache
        seconds = statistics.median(install(venv, lock) for _ in range(repeat))
        count = sum(1 for line in lock.read_text().splitlines() if "==" in line and not line.startswith("#"))
        print(f"| {label} | {count} | {seconds:.1f} | {size_mb(venv):.0f} | {import_seconds(venv, 5):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-docker", action="store_true")
    parser.add_argument("--no-venv", action="store_true", help="only the images")
    args = parser.parse_args()
    print(machine_line() + "\n")
    with tempfile.TemporaryDirectory() as name:
        scratch = Path(name)
        locks = {
            "without store clients": lock_without_store_clients(scratch),
            "with store clients (requirements/runtime.txt)": ROOT / "requirements" / "runtime.txt",
        }
        if not args.no_venv:
            venv_rows(locks, scratch, args.repeat)
        if args.no_docker or shutil.which("docker") is None:
            return
        print("\n| image | build, no layer cache (s) | size (MB) |")
        print("|---|---:|---:|")
        for index, (label, lock) in enumerate(locks.items()):
            tag = f"mlflow-ci-bench:stores-{index}"
            try:
                seconds, size = docker_build(lock, scratch, tag, with_stores=index == 1)
                print(f"| {label} | {seconds:.0f} | {size:.0f} |", flush=True)
            finally:
                subprocess.run(["docker", "image", "rm", "--force", tag], capture_output=True)


if __name__ == "__main__":
    main()
