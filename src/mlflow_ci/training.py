"""The train step: the user's command and/or the YAML sweep, every run tagged with where it came from.

The sweep file is checked first, so a bad config fails before anything trains. In a DVC project the
data is pulled next (with a warning when dvc.lock is stale), and every run trained gets the data version
of dvc.lock as it stands after training (a `dvc repro` train-command rewrites it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities import Param, RunTag

from mlflow_ci import dvc, train
from mlflow_ci.errors import InputError
from mlflow_ci.github import Context
from mlflow_ci.params import Settings
from mlflow_ci.tags import data_params, data_tags, run_tags


@dataclass
class TrainedRun:
    name: str
    run_id: str
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class TrainReport:
    experiment_id: str
    runs: list[TrainedRun]
    data: dvc.DataVersion | None = None

    @property
    def run_ids(self) -> list[str]:
        return [run.run_id for run in self.runs]


def _sweep_modules() -> tuple:
    try:
        from mlflow_ci import datasets, sweep, sweep_config
    except ImportError as exc:  # scikit-learn, pandas or matplotlib missing from this Python
        raise InputError(
            "sweep-config",
            f"needs the training libraries, and this Python lacks {exc.name or 'one'}",
            "use the action (it installs requirements/train.txt when sweep-config is set) or "
            "pip install -r requirements/train.txt",
        ) from None
    return datasets, sweep, sweep_config


def run(
    settings: Settings,
    ctx: Context,
    client: MlflowClient,
    environ: Mapping[str, str],
    write: Callable[[str], None],
    warn: Callable[[str], None] | None = None,
) -> TrainReport:
    tags = run_tags(ctx)
    workspace = ctx.workspace_dir
    plan = None
    if settings.sweep_config:
        datasets, sweep, sweep_config = _sweep_modules()
        plan = sweep_config.load(settings.sweep_config, workspace)
    uses_dvc = dvc.enabled(settings.dvc, workspace)
    if uses_dvc:
        prepare_data(settings.dvc, workspace, environ, write, warn or write)
    experiment_id = train.get_or_create_experiment(client, settings.experiment_name)
    runs: list[TrainedRun] = []
    if settings.train_command:
        write(f"mlflow-ci: running train-command in {workspace}\n")
        done = train.run_command(
            client,
            settings.train_command,
            tracking_uri=settings.tracking_uri,
            experiment_name=settings.experiment_name,
            tags=tags,
            environ=environ,
            workspace=workspace,
            write=write,
        )
        for run_id in done.run_ids:
            found = client.get_run(run_id)
            runs.append(TrainedRun(found.info.run_name or run_id, run_id, dict(found.data.metrics)))
    if plan is not None:
        x, y = datasets.load(plan.dataset, plan.path, workspace)
        write(f"mlflow-ci: training {len(plan.candidates)} candidates of {plan.path}\n")
        outcomes = sweep.train_all(plan, x, y)
        run_ids = sweep.log_outcomes(settings.tracking_uri, experiment_id, plan, outcomes, tags, write)
        runs += [TrainedRun(o.candidate.name, r, o.metrics) for o, r in zip(outcomes, run_ids, strict=True)]
    report = TrainReport(experiment_id, runs)
    if uses_dvc:
        report.data = dvc.data_version(workspace)
        record_data_version(client, report.run_ids, report.data)
        write(f"mlflow-ci: recorded the data version (dvc.lock sha256 {report.data.lock_sha256[:12] or 'none'})\n")
    return report


def prepare_data(
    mode: str, workspace: Path, environ: Mapping[str, str], write: Callable[[str], None], warn: Callable[[str], None]
) -> None:
    """`dvc pull`, then a warning when dvc.lock does not match the workspace."""
    executable = dvc.executable(mode, environ)
    env = dvc.environment(environ, train.DROPPED_NAMES, train.DROPPED_PREFIXES)
    write(f"mlflow-ci: dvc pull in {workspace}\n")
    said = dvc.pull(executable, workspace, env)
    if said:
        write(f"{said}\n")
    try:
        stale = dvc.stale_stages(executable, workspace, env)
    except dvc.DvcError as exc:  # only a check: training can go on
        warn(f"could not compare dvc.lock with the workspace: {exc}")
        return
    if stale:
        shown = "; ".join(f"{stage} ({', '.join(changes)})" if changes else stage for stage, changes in stale.items())
        warn(
            f"dvc.lock does not match the workspace after dvc pull: {shown}. Training sees data dvc.lock does not "
            "record: run dvc repro (e.g. as train-command) and commit dvc.lock, or set dvc-commit-lock: true"
        )


def record_data_version(client: MlflowClient, run_ids: list[str], version: dvc.DataVersion) -> None:
    tags = [RunTag(key, value) for key, value in data_tags(version).items()]
    for run_id in run_ids:
        params = data_params(version, client.get_run(run_id).data.params)
        client.log_batch(run_id, tags=tags, params=[Param(key, value) for key, value in params.items()])
