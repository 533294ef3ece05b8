"""Benchmark the mlflow-ci image: its size beside the base image's, and the cold start of `--help` in a fresh
container beside `python -m mlflow_ci --help` on the host. Writes the Docker section of docs/benchmarks.md.

    .venv/bin/python bench/docker_image.py [--runs 9] [--image TAG]

Without --image it builds the image the way the tests do (docker-offline-base, --network host) and removes
it afterwards. Other sections of docs/benchmarks.md are left as they are.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlflow_ci import __version__  # noqa: E402
from tests.helpers.docker import BuiltImage, build_image, docker, image_size, offline_base_image, remove_image  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:docker:start -->", "<!-- bench:docker:end -->"
LOAD = "import mlflow_ci.step"
DOC_HEAD = "# Benchmarks\n\nMeasured numbers, each section written by its script under `bench/`.\n"


def timed(command: list[str], runs: int, env: dict[str, str] | None = None) -> list[float]:
    """Wall-clock seconds of each run; a failing run stops the benchmark."""
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        seconds.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    return seconds


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line
    )
    server = docker("version", "--format", "{{.Server.Version}}").stdout.strip()
    driver = docker("info", "--format", "{{.Driver}}").stdout.strip()
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {memory_kb / 2**20:.0f} GiB RAM; {platform.system()} {platform.release()}; "
        f"Docker Engine {server} ({driver}); host Python {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.1f} when measured"
    )


def mb(size: int) -> str:
    return f"{size / 1e6:.0f} MB"


def stats(seconds: list[float]) -> str:
    return f"{statistics.median(seconds):.2f} s ({min(seconds):.2f} to {max(seconds):.2f})"


def measure(image: BuiltImage, runs: int) -> str:
    run = ["docker", "run", "--rm", "--network", "host"]
    load_in_image = ["--entrypoint", "/opt/mlflow-ci/bin/python", image.tag, "-I", "-c", LOAD]
    host_env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    commands: list[tuple[str, list[str], dict[str, str] | None]] = [
        ("container, `--help` (the image's entrypoint)", [*run, image.tag, "--help"], None),
        ("container, `/bin/true` (Docker's own start and stop)", [*run, "--entrypoint", "/bin/true", image.tag], None),
        ("host, `python -m mlflow_ci --help` (the dev venv)", [sys.executable, "-m", "mlflow_ci", "--help"], host_env),
        ("container, import MLflow and the pipeline (what every real command pays)", [*run, *load_in_image], None),
        ("host, import MLflow and the pipeline", [sys.executable, "-c", LOAD], host_env),
    ]
    timings = [(label, timed(command, runs, env)) for label, command, env in commands]
    base_size, size = image_size(image.base), image_size(image.tag)
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        START,
        "## Docker image",
        "",
        f"Written by `bench/docker_image.py` on {now}, mlflow-ci {__version__}.",
        f"Machine: {machine()}.",
        "",
        "| image | size |",
        "|---|---:|",
        f"| base `{image.base}` | {mb(base_size)} |",
        f"| mlflow-ci (base + the venv) | {mb(size)} |",
        f"| added by mlflow-ci | {mb(size - base_size)} |",
        "",
        f"Cold start, median of {runs} runs (min to max); every container row is a fresh"
        " `docker run --rm --network host`, every host row a fresh process:",
        "",
        "| command | wall time |",
        "|---|---:|",
        *(f"| {label} | {stats(seconds)} |" for label, seconds in timings),
        "",
        "The base here is the offline stand-in that `../shared/tools/docker-offline-base` makes (Debian bookworm",
        "minbase with python3, pip and git), which is larger than `python:3.12-slim`; what mlflow-ci adds is",
        "the venv from `requirements/runtime.txt`, byte-compiled so that no run compiles it again. On a GitHub",
        'runner a published image is pulled once per job, in "Set up job", before the numbers above apply.',
        "The host venv is the development one, with the full `mlflow` package (the image has `mlflow-skinny`);",
        "both rows load the same mlflow_ci code.",
        END,
    ]
    return "\n".join(lines)


def write_section(section: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else DOC_HEAD
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per command (the median is reported)")
    parser.add_argument("--image", help="benchmark this image instead of building one (its base: --base)")
    parser.add_argument("--base", help="the base image of --image (default: the docker-offline-base image)")
    args = parser.parse_args()
    base = args.base or offline_base_image()
    image = BuiltImage(args.image, "", base) if args.image else build_image(base, __version__)
    try:
        section = measure(image, args.runs)
    finally:
        if not args.image:
            remove_image(image)
    write_section(section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
