"""Benchmark: how long the step's process takes to end once its work is done, side by side.

    .venv/bin/python bench/cli_exit.py [--rounds 7]

Two ways to run the same command, `train` on examples/diabetes/linear.yml against an embedded sqlite store
(a quick sweep: three candidates), alternating in each round:

- exit as is: `sys.exit(main())`, what the entry points did before: the interpreter's teardown, with its
  last garbage collections over every module MLflow, pandas and scikit-learn loaded;
- run_and_exit: what `python -m mlflow_ci` and the `mlflow-ci` script do now: `gc.freeze()` first.

Each process prints the time `main` returned; the tail is the wall time after it, the total the whole
command as a user waits for it. Prints Markdown for docs/benchmarks.md.
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

PROGRAM = """
import sys, time
from mlflow_ci import cli
started, work = float(sys.argv[1]), cli.main
sys.argv = ["mlflow-ci", "train", "--sweep-config", {config!r}, "--experiment-name", "bench-exit"]

def timed_main():
    code = work()
    print(f"returned {{time.time() - started}}", file=sys.stderr)
    return code

cli.main = timed_main
if {freeze}:
    cli.run_and_exit()
sys.exit(cli.main())
"""
WAYS = {"exit as is": False, "run_and_exit (gc.freeze)": True}


def once(freeze: bool, config: Path, env: dict[str, str]) -> tuple[float, float]:
    """(the whole command's seconds, the seconds after main returned). Runs in the config's folder, where the
    embedded store's ./mlruns goes."""
    started = time.time()
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(config=str(config), freeze=freeze), str(started)],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    total = time.time() - started
    returned = float(done.stderr.rsplit("returned ", 1)[1].split()[0])
    return total, total - returned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "linear.yml"
        shutil.copyfile(ROOT / "examples/diabetes/linear.yml", config)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MLFLOW_"))}
        env |= {"MLFLOW_TRACKING_URI": f"sqlite:///{scratch}/mlflow.db", "PYTHONPATH": str(ROOT / "src")}
        print(machine_line(), flush=True)
        once(False, config, env)  # creates the store's tables, outside the timings
        times: dict[str, list[tuple[float, float]]] = {way: [] for way in WAYS}
        for round_ in range(args.rounds):
            for way in WAYS if round_ % 2 == 0 else reversed(WAYS):
                times[way].append(once(WAYS[way], config, env))
    print(f"\n{args.rounds} rounds, medians, seconds:\n")
    print("| way | whole command | after main returned |")
    print("|---|---:|---:|")
    for way, pairs in times.items():
        whole, tail = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
        print(f"| {way} | {whole:.2f} | {tail:.2f} |")


if __name__ == "__main__":
    main()
