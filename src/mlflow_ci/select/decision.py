"""The frozen decisions of a step: whether it registers (and why), and the Result everything reports from.

Each is computed once, here or in gate.py; outputs, the summary, the comment and metrics.json only format
them.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlflow_ci.errors import InputError
from mlflow_ci.github.context import Context
from mlflow_ci.inputs import Command
from mlflow_ci.select.comparability import Comparability
from mlflow_ci.select.evaluation import Evaluation
from mlflow_ci.select.gate import GateResult, lead
from mlflow_ci.tracking.ledger import Entry
from mlflow_ci.tracking.registry import Champion


@dataclass(frozen=True)
class RegistrationPlan:
    """Whether this step registers the best run (when its gate passes), and why or why not."""

    wanted: bool
    reason: str  # shown either way
    on_default_branch: bool  # a push to the default branch would register (`register` is not never)


NO_REGISTRATION = RegistrationPlan(False, "", False)


def plan_registration(command: Command, mode: str, ctx: Context, *, model_name: str) -> RegistrationPlan:
    """`register` (auto | always | never) for this command and event."""
    if not (command.may_register or (command.reports and model_name)):
        return NO_REGISTRATION
    if ctx.is_fork_pull_request:
        fork = ctx.head_repository or "another repository"
        if mode == "always" and command.may_register:
            raise InputError(
                "register",
                f"is always, but this {ctx.event_name} comes from the fork {fork}",
                "a pull request from a fork never registers or promotes; use register: auto or never",
            )
        return RegistrationPlan(False, f"{ctx.event_name} from the fork {fork}: a fork never registers", False)
    if mode == "always":
        wanted, reason = True, "register: always"
    elif mode == "never":
        wanted, reason = False, "register: never"
    elif ctx.is_default_branch_push:
        wanted, reason = True, f"push to the default branch {ctx.default_branch}"
    else:
        wanted, reason = False, f"{ctx.where}: registration runs only on pushes to {ctx.default_branch}"
    if not command.may_register:
        wanted, reason = False, ("the report command never registers" if wanted else reason)
    return RegistrationPlan(wanted, reason, mode != "never")


@dataclass(frozen=True)
class Candidate:
    """One of the best runs, as the report lists it."""

    run_id: str
    run_name: str
    metric_value: float
    url: str
    params: tuple[tuple[str, str], ...] = ()
    start_time: int | None = None  # milliseconds since the epoch, as MLflow keeps it

    def param(self, name: str) -> str | None:
        return dict(self.params).get(name)


@dataclass(frozen=True)
class Promotion:
    """What the registry did: the version registered (or reused) and promoted, and the ledger after it."""

    version: str
    previous_version: str
    url: str
    notes: tuple[str, ...] = ()
    ledger: tuple[Entry, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Result:
    """What a command found and decided: the one object outputs, the summary, the comment and metrics.json
    are made from."""

    command: Command
    experiment_name: str
    experiment_id: str
    metric: str
    greater_is_better: bool
    scope: str
    filter: str
    run_id: str
    metric_value: float
    logged_model_uri: str  # the run's model, before any registration
    run_url: str
    candidates: tuple[Candidate, ...]  # best first; the best run is the first
    model_name: str = ""
    alias: str = ""
    threshold: float | None = None
    min_improvement: float | None = None
    champion: Champion | None = None
    champion_url: str = ""
    gate: GateResult | None = None
    plan: RegistrationPlan = NO_REGISTRATION
    promotion: Promotion | None = None
    evaluation: Evaluation | None = None  # both models scored on eval-data
    comparability: Comparability | None = None  # without eval-data: were the logged metrics on the same data?
    card: str = ""  # the model card, as recorded on the version (or as it would be)
    notes: tuple[str, ...] = ()  # what the promotion transaction said (e.g. production moved while it waited)

    @property
    def run_name(self) -> str:
        return next((c.run_name for c in self.candidates if c.run_id == self.run_id), "")

    @property
    def registered(self) -> bool:
        return self.promotion is not None

    @property
    def model_uri(self) -> str:
        if self.promotion is not None:
            return f"models:/{self.model_name}/{self.promotion.version}"
        return self.logged_model_uri

    @property
    def gate_failed(self) -> bool:
        return self.gate is not None and not self.gate.passed

    @property
    def already_production(self) -> bool:
        return self.champion is not None and self.champion.run_id == self.run_id

    @property
    def blocked_by_gate(self) -> bool:
        """This step wanted to register, and the gate stopped it."""
        return self.plan.wanted and self.gate_failed

    @property
    def would_register_on_default_branch(self) -> bool:
        """Not registered here, but a push to the default branch would register this run as a new version."""
        return (
            self.plan.on_default_branch
            and not self.registered
            and not self.gate_failed
            and bool(self.model_name)
            and not self.already_production
        )

    @property
    def champion_value(self) -> float | None:
        """Production's value of the metric: as scored on eval-data, else as its run logged it."""
        if self.evaluation is not None and self.evaluation.champion_score is not None:
            return self.evaluation.champion_score
        return self.champion.metric_value if self.champion is not None else None

    @property
    def delta(self) -> float | None:
        """The best run's lead over production in the metric's direction (the scores of eval-data if any)."""
        if self.already_production or self.champion is None:
            return None
        if self.evaluation is not None:
            return self.evaluation.delta
        value = self.champion_value
        return None if value is None else lead(self.metric_value, value, greater_is_better=self.greater_is_better)

    @property
    def comparable(self) -> str:
        if self.evaluation is not None and self.evaluation.champion_uri:
            return "true"  # scored here, on the same rows
        return self.comparability.output if self.comparability is not None else ""

    def outputs(self) -> dict[str, str]:
        """The outputs this Result decides, as text (booleans lower-case, empty when not computed)."""
        promotion, evaluation = self.promotion, self.evaluation
        champion_value, delta = self.champion_value, self.delta
        interval = evaluation.interval if evaluation is not None and delta is not None else None
        return {
            "run_id": self.run_id,
            "experiment_id": self.experiment_id,
            "metric_value": repr(self.metric_value),
            "model_uri": self.model_uri,
            "passed": "" if self.gate is None else str(self.gate.passed).lower(),
            "registered": str(self.registered).lower(),
            "model_version": promotion.version if promotion else "",
            "previous_version": promotion.previous_version if promotion else "",
            "run_url": self.run_url,
            "model_version_url": promotion.url if promotion else "",
            "champion_metric_value": "" if champion_value is None else repr(champion_value),
            "metric_delta": "" if delta is None else repr(delta),
            "metric_delta_low": "" if interval is None else repr(interval.low),
            "metric_delta_high": "" if interval is None else repr(interval.high),
            "eval_data_digest": evaluation.data.digest if evaluation is not None else "",
            "comparable": self.comparable,
        }
