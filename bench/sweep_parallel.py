"""Benchmark: a sweep's wall time, serial vs the execution the sweep picks, side by side, through the CLI.

    .venv/bin/python bench/sweep_parallel.py [--rounds 3] [--before main] [--only trees]

For every shipped sweep example (examples/*/*.yml with candidates; examples/news/sweep.yml downloads
20 newsgroups, so it is left out unless --download) and a generated sweep with about 10 s of training,
runs `python -m mlflow_ci train --sweep-config ...` against a real `mlflow server` on 127.0.0.1 in up to
three ways, the order alternating between rounds so the machine's load hits them alike:

- serial: MLFLOW_CI_SWEEP_WORKERS=1, every candidate in the step's own process, one after another;
- picked: no setting, what the action does (in-process or a worker pool, as the sweep decides);
- before (with --before REF): the same command with the package as it is at git REF (e.g. main before
  this change), for the old parallel pool.

The time is the whole command, as a user waits for it: start, data, training, logging every run and its
model. Prints Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlflow import MlflowClient  # noqa: E402

from bench.common import machine_line  # noqa: E402
from tests.conftest import start_mlflow_server  # noqa: E402

NEEDS_DOWNLOAD = {"examples/news/sweep.yml"}

# About 10 s of training on one core of this project's idle 2-core machine, in candidates of 1-4 s each, on a
# numeric table big enough that the data is not free to copy.
GENERATED_DATA = '''
"""The generated benchmark data: a classification table of 6000 rows and 30 features."""


def load():
    import pandas as pd
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=6000, n_features=30, n_informative=12, random_state=0)
    return pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])]), pd.Series(y, name="label")
'''
GENERATED_SWEEP = """
# About 10 s of training in all (serially), in six candidates: bench/sweep_parallel.py.
dataset: {loader: bench_data:load}
metrics: [accuracy, f1]
split: {test_size: 0.25}
seed: 7
candidates:
  - name: forest
    estimator: sklearn.ensemble.RandomForestClassifier
    params: {n_estimators: 300}
  - name: extra-trees
    estimator: sklearn.ensemble.ExtraTreesClassifier
    params: {n_estimators: 400}
  - name: boosting
    estimator: sklearn.ensemble.HistGradientBoostingClassifier
    params: {max_iter: 300}
  - name: gradient
    estimator: sklearn.ensemble.GradientBoostingClassifier
    params: {n_estimators: 120}
  - name: logreg
    estimator: [sklearn.preprocessing.StandardScaler, sklearn.linear_model.LogisticRegression]
    grid: {logisticregression__C: [0.1, 1.0]}
"""


def sweeps(download: bool, workspace: Path) -> dict[str, tuple[Path, Path]]:
    """label -> (config, the directory the command runs in)."""
    found = {}
    for config in sorted(ROOT.glob("examples/*/*.yml")):
        relative = str(config.relative_to(ROOT))
        if "candidates:" not in config.read_text() or (relative in NEEDS_DOWNLOAD and not download):
            continue
        found[relative] = (config, config.parent)
    (workspace / "bench_data.py").write_text(GENERATED_DATA)
    (workspace / "sweep-10s.yml").write_text(textwrap.dedent(GENERATED_SWEEP))
    found["generated: ~10 s of training"] = (workspace / "sweep-10s.yml", workspace)
    return found


def export_source(ref: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def run_sweep(config: Path, cwd: Path, *, uri: str, experiment: str, env: dict[str, str]) -> tuple[float, float, str]:
    """(the whole command's seconds, the sweep's own seconds, its output). The sweep's own time runs from its
    "training N candidates" line (imports and data loaded) to its last "trained ... -> run" line (all logged):
    the same start-up in every mode, left out, so the machine's noise in it does not drown the difference."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "mlflow_ci", "train", "--sweep-config", str(config), "--experiment-name", experiment],
        cwd=cwd,
        env={**env, "MLFLOW_TRACKING_URI": uri, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines, sweep_started, sweep_done = [], started, started
    for line in process.stdout:
        lines.append(line)
        if line.startswith("mlflow-ci: training ") and "candidates of" in line:
            sweep_started = time.perf_counter()
        elif line.startswith("trained ") and " -> run " in line:
            sweep_done = time.perf_counter()
    code = process.wait(timeout=900)
    seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"the sweep {config} failed:\n{''.join(lines)}")
    return seconds, sweep_done - sweep_started, "".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", metavar="REF", help="also time the package at this git ref (e.g. main)")
    parser.add_argument("--only", help="only the sweeps whose label contains this text")
    parser.add_argument("--download", action="store_true", help="include sweeps that download their data")
    parser.add_argument(
        "--store",
        choices=("server", "sqlite"),
        default="server",
        help="a real `mlflow server` on 127.0.0.1, or the embedded sqlite store (no server to start)",
    )
    parser.add_argument("--show-output", action="store_true", help="print each picked run's output once")
    parser.add_argument(
        "--omp-passive",
        action="store_true",
        help="OMP_WAIT_POLICY=PASSIVE in every mode: on a machine loaded by others, OpenMP's spin-waiting can "
        "stall a fit for a minute and would decide the comparison by itself",
    )
    return parser.parse_args()


def measure(
    label: str, config: Path, cwd: Path, *, modes: dict[str, dict[str, str]], uri: str, args: argparse.Namespace
) -> tuple[str, float, dict[str, float], dict[str, float]]:
    """(label, serial training seconds, whole-command medians, sweep-alone medians) over the rounds."""
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    phases: dict[str, list[float]] = {mode: [] for mode in modes}
    training: list[float] = []  # serial: the candidates' own seconds, summed
    for round_ in range(args.rounds):
        order = list(modes) if round_ % 2 == 0 else list(reversed(modes))
        for mode in order:
            seconds, phase, output = run_sweep(config, cwd, uri=uri, experiment=f"bench-{mode}", env=modes[mode])
            times[mode].append(seconds)
            phases[mode].append(phase)
            if mode == "serial":
                training.append(sum(map(float, re.findall(r"\((\d+\.\d) s\) -> run", output))))
            if args.show_output and mode == "picked" and round_ == 0:
                print(textwrap.indent(output.strip(), "    "))
        shown = ", ".join(f"{m} {times[m][-1]:.2f} s (sweep {phases[m][-1]:.2f} s)" for m in modes)
        print(f"  {label}, round {round_ + 1}: {shown}", flush=True)
    medians = {mode: statistics.median(values) for mode, values in times.items()}
    return label, statistics.median(training), medians, {m: statistics.median(v) for m, v in phases.items()}


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the server on the way out
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MLFLOW_CI_"))}
    base |= {"MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONPATH": str(ROOT / "src")}
    if args.omp_passive:
        base["OMP_WAIT_POLICY"] = "PASSIVE"
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        modes = {"serial": {**base, "MLFLOW_CI_SWEEP_WORKERS": "1"}, "picked": base}
        if args.before:
            modes["before"] = {**base, "PYTHONPATH": str(export_source(args.before, scratch))}
        (scratch / "server").mkdir()
        (scratch / "work").mkdir()
        if args.store == "server":
            server, uri = start_mlflow_server(scratch / "server")
        else:
            server, uri = None, f"sqlite:///{scratch}/server/mlflow.db"
            client = MlflowClient(uri)  # creates the tables once, outside the timings
            for mode in modes:  # an embedded store would put the artifacts in ./mlruns, beside the examples
                client.create_experiment(f"bench-{mode}", artifact_location=(scratch / "artifacts" / mode).as_uri())
        try:
            print(machine_line(), flush=True)
            omp = "OMP_WAIT_POLICY=PASSIVE" if args.omp_passive else "OpenMP as configured"
            store = "mlflow server on 127.0.0.1" if server else "embedded sqlite store"
            print(f"{args.rounds} rounds; modes: {', '.join(modes)}; {omp}; tracking: {store}\n")
            table = []
            for label, (config, cwd) in sweeps(args.download, scratch / "work").items():
                if args.only and args.only not in label:
                    continue
                table.append(measure(label, config, cwd, modes=modes, uri=uri, args=args))
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
    print_tables(list(modes), table)


def print_tables(modes: list[str], table: list[tuple]) -> None:
    for title, pick in (("whole command", 2), ("the sweep alone (training and logging)", 3)):
        print(f"\n{title}, median:\n")
        header = " | ".join(f"{mode} (s)" for mode in modes)
        speedups = " | ".join(f"serial / {mode}" for mode in modes if mode != "serial")
        print(f"| sweep | training, serial (s) | {header} | {speedups} |")
        print("|---|---:|" + "---:|" * (2 * len(modes) - 1))
        for row in table:
            label, trained, medians = row[0], row[1], row[pick]
            cells = " | ".join(f"{medians[mode]:.2f}" for mode in modes)
            ratios = " | ".join(f"{medians['serial'] / medians[mode]:.2f}x" for mode in modes if mode != "serial")
            print(f"| {label} | {trained:.1f} | {cells} | {ratios} |")


if __name__ == "__main__":
    main()
