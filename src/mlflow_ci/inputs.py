"""The one table of parameters, outputs and commands, and the Settings parsed from them.

Every other place that names a parameter is derived from PARAMETERS: the CLI flags, the INPUT_* names
the actions pass, the inputs of action.yml and docker/action.yml, and the README's tables (tests hold
those files to this table). OUTPUTS is the same for outputs, COMMANDS for what each command does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlflow_ci.errors import InputError
from mlflow_ci.redact import uri_password

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"


@dataclass(frozen=True)
class Command:
    """What a command does; code asks these questions instead of comparing command names."""

    name: str
    trains: bool = False  # runs train-command and sweep-config when they are set
    searches: bool = False  # finds the best run
    gates: bool = False  # runs the gate (threshold, min-improvement)
    may_register: bool = False  # registers and promotes the best run when the registration plan allows
    fails_on_gate: bool = False  # a failed gate fails the step (unless fail-on-gate is false)
    reports: bool = False  # says what would be registered, and writes the report files anywhere
    rolls_back: bool = False  # moves the alias back to an earlier version
    summary: str = ""  # one line for `mlflow-ci --help`
    example: str = ""  # the command line `mlflow-ci <command> --help` ends with

    def reads(self, param: Param) -> bool:
        """Whether this command reads `param` (its help shows only those)."""
        return not param.read_by or any(getattr(self, capability) for capability in param.read_by)

    def requires(self, param: Param) -> bool:
        return any(getattr(self, capability) for capability in param.required_by)


COMMANDS: tuple[Command, ...] = (
    Command(
        "ci",
        trains=True,
        searches=True,
        gates=True,
        may_register=True,
        fails_on_gate=True,
        summary="train (when train-command or sweep-config is set), find the best run, gate it, register it on main",
        example="mlflow-ci ci --experiment-name news --metric accuracy --threshold 0.85 --model-name News "
        "--stage Production",
    ),
    Command(
        "train",
        trains=True,
        summary="train only: run train-command and/or the sweep-config sweep, one tagged run per candidate",
        example="mlflow-ci train --experiment-name news --sweep-config examples/news/sweep-sample.yml",
    ),
    Command(
        "best-run",
        searches=True,
        summary="find the best finished run by the metric (and compare it with production)",
        example="mlflow-ci best-run --experiment-name news --metric rmse --greater-is-better false --json",
    ),
    Command(
        "gate",
        searches=True,
        gates=True,
        fails_on_gate=True,
        summary="find the best run and gate it on threshold and min-improvement; exit 1 when it fails",
        example="mlflow-ci gate --experiment-name news --metric accuracy --threshold 0.85",
    ),
    Command(
        "register",
        searches=True,
        may_register=True,
        summary="find the best run and register it (register: always off the default branch)",
        example="mlflow-ci register --experiment-name news --metric accuracy --model-name News --alias champion "
        "--register always",
    ),
    Command(
        "report",
        searches=True,
        gates=True,
        reports=True,
        summary="the best run, production and the gate's verdict as report.md and metrics.json; never fails",
        example="mlflow-ci report --experiment-name news --metric accuracy --model-name News --alias production",
    ),
    Command(
        "rollback",
        rolls_back=True,
        summary="move the alias (and stage) back to the version that held it before, or to to-version",
        example="mlflow-ci rollback --experiment-name news --model-name News --alias production",
    ),
)
COMMANDS_BY_NAME: dict[str, Command] = {c.name: c for c in COMMANDS}


@dataclass(frozen=True)
class Param:
    name: str  # kebab-case, as users type it in `with:`
    help: str
    default: str = ""
    kind: str = "str"  # str | bool | float | choice
    choices: tuple[str, ...] = ()
    secret: str = ""  # "uri-password": mask the password in a URI; "value": mask the whole value
    action_default: str = ""  # the default in action.yml when it differs from the CLI's (an expression)
    read_by: tuple[str, ...] = ()  # the Command capabilities that read it (trains, searches...); () = all
    required_by: tuple[str, ...] = ()  # the capabilities that cannot do without it

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    @property
    def attr(self) -> str:
        return self.name.replace("-", "_")

    @property
    def env(self) -> str:
        """The variable action.yml maps the input to (a valid shell name)."""
        return "INPUT_" + self.name.replace("-", "_").upper()

    @property
    def action_yml_default(self) -> str:
        return self.action_default or self.default

    @property
    def runner_env(self) -> str:
        """The variable GitHub's runner sets for Docker actions: hyphens kept."""
        return "INPUT_" + self.name.replace(" ", "_").upper()


@dataclass(frozen=True)
class Output:
    name: str
    help: str


PARAMETERS: tuple[Param, ...] = (
    Param(
        "command",
        "What to run: `ci` (train when `train-command` or `sweep-config` is set, then best-run, gate, then "
        "register when allowed), `train`, `best-run`, `gate`, `register`, `report` (the best run, the "
        "comparison with production and the gate's verdict as a report; it never registers and never fails on "
        "the gate) or `rollback` (move the alias back to the version that held it before, or to `to-version`).",
        "ci",
        "choice",
        tuple(c.name for c in COMMANDS),
    ),
    Param(
        "tracking-uri",
        "MLflow tracking URI. Default: `$MLFLOW_TRACKING_URI`, else the embedded "
        f"`{DEFAULT_TRACKING_URI}`. Credentials go in `MLFLOW_TRACKING_USERNAME`/`_PASSWORD` or "
        "`MLFLOW_TRACKING_TOKEN`, never here.",
        secret="uri-password",
    ),
    Param(
        "registry-uri",
        "MLflow model registry URI, when it is not the tracking server's: e.g. `databricks-uc` (Unity Catalog) or "
        "`databricks` (the workspace registry). Default: `$MLFLOW_REGISTRY_URI`, else MLflow's own choice for "
        "the tracking URI.",
        secret="uri-password",
        read_by=("searches", "rolls_back"),
    ),
    Param(
        "experiment-name",
        "The MLflow experiment to search (Databricks: a workspace path such as `/Users/me/exp`). Required.",
        required_by=("trains", "searches", "rolls_back"),
    ),
    Param(
        "metric",
        "The metric that ranks runs, as logged (e.g. `accuracy`, `rmse`). Required (except for `train`).",
        read_by=("searches",),
        required_by=("searches",),
    ),
    Param(
        "greater-is-better",
        "`true` when a higher metric is better; `false` for losses such as rmse.",
        "true",
        "bool",
        read_by=("searches",),
    ),
    Param(
        "threshold",
        "Absolute bar the best run's metric must reach (in the metric's direction). Empty: no absolute bar.",
        kind="float",
        read_by=("gates",),
    ),
    Param(
        "min-improvement",
        "How much the best run must beat the model holding the alias by, in metric "
        "units (`0`: at least as good). Skipped, with a note, while no model holds it. Empty: no "
        "comparison.",
        kind="float",
        read_by=("gates",),
    ),
    Param(
        "confidence",
        "With `eval-data`: the confidence level (e.g. `0.95`) of a seeded paired bootstrap interval for the best "
        "run's lead over production; `min-improvement` then passes only when the interval's lower bound reaches "
        "it. Empty: the point estimate decides.",
        kind="float",
        read_by=("gates",),
    ),
    Param(
        "eval-data",
        "A CSV or Parquet file of held-out rows (relative to the workspace): the best run's model and the "
        "production model are both scored on it, and the gate compares those scores.",
        read_by=("gates",),
    ),
    Param(
        "eval-target", "The column of `eval-data` holding the labels. Required with `eval-data`.", read_by=("gates",)
    ),
    Param(
        "require-same-data",
        "`true`: when the best run and production logged their metric on different data (dataset digests or "
        "DVC data versions differ), the gate fails instead of only saying so.",
        "false",
        "bool",
        read_by=("gates",),
    ),
    Param(
        "filter",
        "Extra MLflow search filter ANDed to the query, e.g. `params.model = 'lr' and tags.team = 'nlp'`.",
        read_by=("searches",),
    ),
    Param(
        "scope",
        "Which runs compete: `experiment` (all finished runs), `commit` (runs of this commit) "
        "or `workflow-run` (runs of this workflow run).",
        "experiment",
        "choice",
        ("experiment", "commit", "workflow-run"),
        read_by=("searches",),
    ),
    Param(
        "run-id",
        "Take this run instead of searching: a promote job registers exactly what an earlier job gated.",
        read_by=("searches",),
    ),
    Param(
        "model-name",
        "Registered model name. Required to register and to compare with production.",
        read_by=("searches", "rolls_back"),
        required_by=("rolls_back",),
    ),
    Param(
        "stage",
        "Legacy registry stage to move the new version to (`Staging` or `Production`), "
        "archiving the previous holder, where the registry still supports stages.",
        read_by=("searches", "rolls_back"),
    ),
    Param(
        "alias",
        "Alias to point at the new version. Default: `stage` lower-cased (`production`).",
        read_by=("searches", "rolls_back"),
    ),
    Param(
        "register",
        "`auto`: register only on a push to the default branch; `always`; `never`. A pull request from a fork "
        "never registers (`always` on one is an error).",
        "auto",
        "choice",
        ("auto", "always", "never"),
        read_by=("may_register",),
    ),
    Param(
        "to-version",
        "With `command: rollback`: the version to move the alias (and stage) to. Default: the version that held "
        "it before the current one, from the promotion ledger.",
        read_by=("rolls_back",),
    ),
    Param(
        "server-timeout",
        "Seconds one step may spend talking to the MLflow server (after training): a server that stops "
        "answering, or a promotion lock held too long, fails the step within this, with one error naming the "
        "URI. Default 30; a larger `MLFLOW_HTTP_REQUEST_TIMEOUT` raises it.",
        kind="float",
    ),
    Param(
        "train-command",
        "A shell command that trains, run first in your environment (the workspace, your Python) under an "
        "MLflow run the action starts and tags: it sees `MLFLOW_TRACKING_URI`, `MLFLOW_EXPERIMENT_NAME` and "
        "`MLFLOW_RUN_ID`, and no GitHub token in its environment (it runs as the runner's user, so it is no sandbox: "
        "see the README before training untrusted code). A non-zero exit fails the step and marks the run "
        "FAILED.",
        read_by=("trains",),
    ),
    Param(
        "sweep-config",
        "Path to a YAML sweep of scikit-learn models (estimators, parameter grid, dataset, metrics, split or "
        "CV, seed): each candidate is trained in parallel and logged as one tagged run with its model.",
        read_by=("trains",),
    ),
    Param(
        "dvc",
        "DVC around training: `auto` (on when the workspace has a `dvc.yaml` or `*.dvc` files), `true` or "
        "`false`. When on, the train step runs `dvc pull` first (your environment's `dvc`), warns when "
        "`dvc.lock` does not match the workspace, and tags every run it trains with the data version: "
        "`mlflow_ci.dvc.lock_sha256`, `mlflow_ci.dvc.<stage>.deps` and the `params.yaml` values the stages use.",
        "auto",
        "choice",
        ("auto", "true", "false"),
        read_by=("trains",),
    ),
    Param(
        "dvc-commit-lock",
        "`true`: after a successful step on a push to the default branch, commit a changed `dvc.lock` as "
        "github-actions[bot] with `[skip ci]` and push it with `github-token` (needs `permissions: contents: "
        "write`). Never on pull requests; nothing when dvc.lock is unchanged.",
        "false",
        "bool",
        read_by=("trains",),
    ),
    Param(
        "fail-on-gate",
        "`true`: a failed gate fails the step. `false`: report `passed=false` and go on.",
        "true",
        "bool",
        read_by=("fails_on_gate",),
    ),
    Param(
        "comment",
        "Pull request comment with the report, one per workflow, job and experiment, updated in place on "
        "later pushes. `auto`: on pull requests from this repository when `github-token` is set; `true`: "
        "on every pull request, forks included (their read-only token gets a notice, not a failure); "
        "`false`: never. Needs `permissions: pull-requests: write`.",
        "auto",
        "choice",
        ("auto", "true", "false"),
        read_by=("searches",),
    ),
    Param(
        "github-token",
        "Token for the pull request comment; masked, never printed. Default in the action: the workflow's "
        "`github.token`; on the command line: `$GITHUB_TOKEN`.",
        secret="value",
        action_default="${{ github.token }}",
        read_by=("searches", "trains"),
    ),
)

OUTPUTS: tuple[Output, ...] = (
    Output("run_id", "ID of the best run."),
    Output("experiment_id", "ID of the experiment searched."),
    Output("metric_value", "The best run's value of `metric`."),
    Output(
        "model_uri",
        "URI of the model: `models:/<name>/<version>` once registered, else the run's "
        "logged model (`models:/m-...` or `runs:/<run_id>/<path>`).",
    ),
    Output("passed", "`true` when the gate passed."),
    Output("registered", "`true` when a model version was registered or reused by this step."),
    Output("model_version", "The registered version (empty when not registered)."),
    Output("previous_version", "The version that held the alias before this promotion (empty if none)."),
    Output("run_url", "Link to the best run in the MLflow UI (empty for the embedded sqlite store)."),
    Output(
        "report_path",
        "Directory holding `report.md` (the step summary's Markdown) and `metrics.json`, for "
        "`actions/upload-artifact`: `mlflow-ci-report/<experiment>` in the workspace. Written by every "
        "command on a runner (`$GITHUB_WORKSPACE`), and by `report` anywhere (in the current directory).",
    ),
    Output("comment_url", "Link to the pull request comment (empty when none was written)."),
    Output("trained_run_ids", "Comma-separated IDs of the runs this step trained (empty when it trained nothing)."),
    Output("model_version_url", "Link to the registered version in the MLflow UI (empty when none or no UI)."),
    Output("champion_metric_value", "Production's value of `metric`: as scored on `eval-data`, else as logged."),
    Output("metric_delta", "The best run's lead over production in the metric's direction (positive: better)."),
    Output("metric_delta_low", "Lower bound of the `confidence` interval of `metric_delta` (empty without it)."),
    Output("metric_delta_high", "Upper bound of the `confidence` interval of `metric_delta` (empty without it)."),
    Output("eval_data_digest", "Digest of `eval-data` (DVC's md5 when DVC tracks it), empty without it."),
    Output(
        "comparable",
        "`true` when the best run and production were scored on the same data, `false` when not, empty when unknown.",
    ),
)

PARAMS_BY_NAME: dict[str, Param] = {p.name: p for p in PARAMETERS}
_TRUE, _FALSE = ("true", "True", "TRUE"), ("false", "False", "FALSE")


@dataclass(frozen=True)
class Settings:
    """Parsed, validated parameter values."""

    command: Command
    tracking_uri: str
    registry_uri: str
    experiment_name: str
    metric: str
    greater_is_better: bool
    threshold: float | None
    min_improvement: float | None
    confidence: float | None
    eval_data: str
    eval_target: str
    require_same_data: bool
    filter: str
    scope: str
    run_id: str
    model_name: str
    stage: str
    alias: str
    register: str
    to_version: str
    train_command: str
    sweep_config: str
    dvc: str
    dvc_commit_lock: bool
    fail_on_gate: bool
    comment: str
    server_timeout: float | None
    github_token: str = field(repr=False)

    @property
    def trains(self) -> bool:
        return self.command.trains and bool(self.train_command or self.sweep_config)

    @property
    def promotion_alias(self) -> str:
        """The alias the best version gets: `alias`, else the stage lower-cased."""
        return self.alias or self.stage.lower()

    @property
    def canonical_stage(self) -> str:
        """`stage` as the registry spells it (Staging, Production), or ''."""
        return _STAGES.get(self.stage.lower(), "") if self.stage else ""


def raw_values(cli: Mapping[str, str | None], environ: Mapping[str, str]) -> dict[str, str]:
    """Each parameter's text: the CLI flag, else INPUT_* (either spelling), else the default."""
    values: dict[str, str] = {}
    for param in PARAMETERS:
        text = cli.get(param.attr)
        if text is None:
            text = environ.get(param.runner_env, environ.get(param.env))
        text = (text or "").strip()
        if not text and param.name == "tracking-uri":
            text = environ.get("MLFLOW_TRACKING_URI", "").strip() or DEFAULT_TRACKING_URI
        if not text and param.name == "registry-uri":
            text = environ.get("MLFLOW_REGISTRY_URI", "").strip()
        if not text and param.name == "github-token":
            text = environ.get("GITHUB_TOKEN", "").strip()
        values[param.name] = text or param.default
    return values


def _parse_bool(param: Param, text: str) -> bool:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(param.name, f"'{text}' is not a boolean", "use true or false")


def _parse_float(param: Param, text: str) -> float | None:
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise InputError(param.name, f"'{text}' is not a number", "use a decimal number such as 0.85") from None
    if not math.isfinite(number):
        raise InputError(param.name, f"'{text}' is not a finite number", "use a decimal number such as 0.85")
    return number


def parse(values: Mapping[str, str]) -> Settings:
    """Validate the texts and turn them into Settings; raise InputError naming the first bad input."""
    parsed: dict[str, Any] = {}
    for param in PARAMETERS:
        text = values[param.name]
        if param.kind == "bool":
            parsed[param.attr] = _parse_bool(param, text)
        elif param.kind == "float":
            parsed[param.attr] = _parse_float(param, text)
        elif param.kind == "choice" and text not in param.choices:
            raise InputError(
                param.name,
                f"'{text}' is not one of {', '.join(param.choices)}",
                f"use one of {', '.join(param.choices)}",
            )
        elif param.name == "command":
            parsed[param.attr] = COMMANDS_BY_NAME[text]
        else:
            parsed[param.attr] = text
    settings = Settings(**parsed)
    check(settings)
    return settings


_ALIAS = re.compile(r"^[\w\-]{1,255}$")
_STAGES = {"staging": "Staging", "production": "Production"}


def check(s: Settings) -> None:
    """Rules between parameters, checked before anything touches the server."""
    if not s.experiment_name and (s.command.trains or s.command.searches):
        raise InputError("experiment-name", "is empty", "name the MLflow experiment to search")
    if s.server_timeout is not None and s.server_timeout <= 0:
        raise InputError("server-timeout", f"{s.server_timeout:g} is not positive", "use a number of seconds, e.g. 60")
    if s.command.rolls_back:
        _check_rollback(s)
    _check_training(s)
    if not s.metric and s.command.searches:
        raise InputError("metric", "is empty", "name the metric that ranks runs, e.g. accuracy")
    if "`" in s.metric:
        raise InputError("metric", f"'{s.metric}' contains a backtick", "use the metric's name as logged")
    _check_promotion(s)
    _check_evaluation(s)


def _check_evaluation(s: Settings) -> None:
    if s.eval_data and not s.eval_target:
        raise InputError(
            "eval-target", "is empty but eval-data is set", "name the column of eval-data holding the labels"
        )
    if s.eval_target and not s.eval_data:
        raise InputError("eval-target", "is set but eval-data is empty", "set eval-data, or leave eval-target empty")
    if s.confidence is not None and not s.eval_data:
        raise InputError("confidence", "needs eval-data", "set eval-data (the rows both models are scored on)")
    if s.confidence is not None and not 0.5 <= s.confidence < 1:
        raise InputError("confidence", f"{s.confidence:g} is not a confidence level", "use e.g. 0.9 or 0.95")
    if s.run_id and not re.fullmatch(r"[0-9A-Za-z\-]{1,64}", s.run_id):
        raise InputError("run-id", f"'{s.run_id}' is not an MLflow run id", "pass the run_id output of an earlier step")


def _check_training(s: Settings) -> None:
    if s.command.trains and not s.command.searches and not s.trains:
        raise InputError("command", "is train but nothing to train", "set train-command or sweep-config")
    if s.dvc_commit_lock and s.dvc == "false":
        raise InputError("dvc-commit-lock", "is true but dvc is false", "set dvc to auto or true")
    if s.dvc_commit_lock and not s.trains:
        raise InputError(
            "dvc-commit-lock", "is true but this step trains nothing", "set train-command (e.g. dvc repro) as well"
        )


def _check_rollback(s: Settings) -> None:
    if not s.model_name:
        raise InputError("model-name", "is empty but rollback needs the model", "set model-name")
    if not (s.alias or s.stage):
        raise InputError("stage", "and alias are both empty", "set stage (e.g. Production) or alias to roll back")
    if s.to_version and not s.to_version.isdigit():
        raise InputError("to-version", f"'{s.to_version}' is not a version number", "use a number such as 3")


def _check_promotion(s: Settings) -> None:
    if s.stage and s.stage.lower() not in _STAGES:
        raise InputError(
            "stage",
            f"'{s.stage}' is not a stage models can be promoted to",
            "use Staging or Production, or leave it empty and set alias",
        )
    alias = s.promotion_alias
    if alias and (not _ALIAS.match(alias) or alias.lower() == "latest" or re.fullmatch(r"[vV]\d+", alias)):
        raise InputError(
            "alias", f"'{alias}' is not a valid MLflow alias", "use letters, digits, _ and -, not 'latest' or v<number>"
        )
    registers = s.command.may_register and s.register != "never"
    if registers and not s.model_name:
        raise InputError(
            "model-name", "is empty but this step may register a model", "set model-name, or register: never"
        )
    if s.min_improvement is not None:
        if s.min_improvement < 0:
            raise InputError(
                "min-improvement", f"{s.min_improvement} is negative", "use 0 (at least as good) or a positive margin"
            )
        if not (s.model_name and alias):
            raise InputError("min-improvement", "needs a model to compare with", "set model-name and alias (or stage)")


# Credentials the step's env: may hold for the tracking server, Databricks and the artifact stores.
CREDENTIAL_ENV = (
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
    "DATABRICKS_TOKEN",
    "DATABRICKS_CLIENT_SECRET",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_CLIENT_SECRET",
)


def secret_values(values: Mapping[str, str], environ: Mapping[str, str]) -> list[str]:
    """Values that must never be printed: secret parameters' credentials and MLflow's credential env."""
    secrets = [environ.get(name, "") for name in CREDENTIAL_ENV]
    secrets += [uri_password(values[p.name]) for p in PARAMETERS if p.secret == "uri-password"]
    secrets += [values[p.name] for p in PARAMETERS if p.secret == "value"]
    return list(dict.fromkeys(s for s in secrets if s))


SWEEP_WORKERS = "MLFLOW_CI_SWEEP_WORKERS"


def sweep_workers(environ: Mapping[str, str]) -> int | None:
    """At most how many processes a sweep trains in ($MLFLOW_CI_SWEEP_WORKERS; 1: all in the step's own
    process). None when unset: the sweep decides (train/sweep/execution.py)."""
    text = environ.get(SWEEP_WORKERS, "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise InputError(
            SWEEP_WORKERS,
            f"is '{text}', not a number of processes",
            "use a whole number, 1 or more (1 trains every candidate in the step's own process), or unset it",
        )
    return int(text)
