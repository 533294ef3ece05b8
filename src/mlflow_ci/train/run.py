"""The train step: the user's command and/or the YAML sweep, every run tagged with where it came from.

The sweep file is checked first, so a bad config fails before anything trains. In a DVC project the
data is pulled next (with a warning when dvc.lock is stale), and every run trained gets the data version
of dvc.lock as it stands after training (a `dvc repro` train-command rewrites it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mlflow import MlflowClient

from mlflow_ci.dvc import project as dvc_project
from mlflow_ci.dvc import pull as dvc_pull
from mlflow_ci.dvc import version as dvc_version
from mlflow_ci.errors import InputError
from mlflow_ci.github.context import Context
from mlflow_ci.inputs import Settings, sweep_workers
from mlflow_ci.tracking import stores
from mlflow_ci.tracking.tags import run_tags
from mlflow_ci.train import command

# What a sweep trains with: the `train` extra of the package, requirements/train.txt in the action.
SWEEP_LIBRARIES = ("sklearn", "pandas", "numpy", "matplotlib")


@dataclass(frozen=True)
class TrainedRun:
    name: str
    run_id: str
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainReport:
    experiment_id: str
    runs: tuple[TrainedRun, ...]
    data: dvc_version.DataVersion | None = None

    @property
    def run_ids(self) -> list[str]:
        return [run.run_id for run in self.runs]


def require_sweep_libraries() -> None:
    """The sweep's libraries, imported now: a missing one is an input error, not a traceback mid-sweep."""
    for name in SWEEP_LIBRARIES:
        try:
            importlib.import_module(name)
        except ImportError:
            raise InputError(
                "sweep-config",
                f"needs the training libraries, and this Python lacks {name}",
                "use the action (it installs them when sweep-config is set), or pip install 'mlflow-ci-action[train]'",
            ) from None


def check(settings: Settings, workspace: Path) -> None:
    """What can be checked before a store exists: the sweep's libraries and its file."""
    if settings.sweep_config:
        require_sweep_libraries()
        from mlflow_ci.train.sweep import config

        config.load(settings.sweep_config, workspace)


def run(
    settings: Settings,
    ctx: Context,
    client: MlflowClient,
    environ: Mapping[str, str],
    *,
    write: Callable[[str], None],
    warn: Callable[[str], None],
) -> TrainReport:
    tags = run_tags(ctx)
    workspace = ctx.workspace_dir
    plan = None
    if settings.sweep_config:
        workers = sweep_workers(environ)
        require_sweep_libraries()
        from mlflow_ci.train.sweep import config

        plan = config.load(settings.sweep_config, workspace)
    uses_dvc = dvc_project.enabled(settings.dvc, workspace)
    if uses_dvc:
        dvc_pull.prepare(settings.dvc, workspace, environ, write=write, warn=warn)
    experiment_id = command.get_or_create_experiment(client, settings.experiment_name)
    if plan is not None:  # the sweep logs its models from here: the store's client must be in this Python
        stores.require_client(client.get_experiment(experiment_id).artifact_location)
    runs: list[TrainedRun] = []
    if settings.train_command:
        write(f"mlflow-ci: running train-command in {workspace}\n")
        run_ids = command.run_command(
            client,
            settings.train_command,
            tracking_uri=settings.tracking_uri,
            experiment_name=settings.experiment_name,
            tags=tags,
            environ=environ,
            workspace=workspace,
            write=write,
        )
        for run_id in run_ids:
            found = client.get_run(run_id)
            runs.append(TrainedRun(found.info.run_name or run_id, run_id, dict(found.data.metrics)))
    if plan is not None:
        from mlflow_ci.train.sweep import datasets, fit, log

        x, y = datasets.load(plan.dataset, plan.path, workspace)
        write(f"mlflow-ci: training {len(plan.candidates)} candidates of {plan.path}\n")
        outcomes = fit.train_each(plan, x, y, workers=workers, decided=lambda e: write(f"mlflow-ci: {e.reason}\n"))
        logged = log.log_each(settings.tracking_uri, experiment_id, plan, outcomes, tags, write)
        runs += [TrainedRun(outcome.candidate.name, run_id, outcome.metrics) for outcome, run_id in logged]
    data = None
    if uses_dvc:
        data = dvc_version.data_version(workspace)
        dvc_version.record(client, [run.run_id for run in runs], data)
        write(f"mlflow-ci: recorded the data version (dvc.lock sha256 {data.lock_sha256[:12] or 'none'})\n")
    return TrainReport(experiment_id, tuple(runs), data)
