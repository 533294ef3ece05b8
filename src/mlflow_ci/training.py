"""The train step: the user's command and/or the YAML sweep, every run tagged with where it came from.

The sweep file is checked first, so a bad config fails before anything trains.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from mlflow import MlflowClient

from mlflow_ci import train
from mlflow_ci.errors import InputError
from mlflow_ci.github import Context
from mlflow_ci.params import Settings
from mlflow_ci.tags import run_tags


@dataclass
class TrainedRun:
    name: str
    run_id: str
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class TrainReport:
    experiment_id: str
    runs: list[TrainedRun]

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
    settings: Settings, ctx: Context, client: MlflowClient, environ: Mapping[str, str], write: Callable[[str], None]
) -> TrainReport:
    tags = run_tags(ctx)
    workspace = train.workspace_of(environ)
    plan = None
    if settings.sweep_config:
        datasets, sweep, sweep_config = _sweep_modules()
        plan = sweep_config.load(settings.sweep_config, workspace)
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
    return TrainReport(experiment_id, runs)
