"""What a command found and did: the one object outputs, the summary and --json are made from."""

from __future__ import annotations

from dataclasses import dataclass, field

from mlflow_ci.gate import Champion, GateResult


@dataclass(frozen=True)
class Candidate:
    """One of the best runs, as the report lists it."""

    run_id: str
    run_name: str
    metric_value: float
    url: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    command: str
    experiment_name: str
    experiment_id: str
    metric: str
    greater_is_better: bool
    run_id: str
    metric_value: float
    model_uri: str
    run_url: str
    model_name: str = ""
    alias: str = ""
    threshold: float | None = None
    champion: Champion | None = None
    gate: GateResult | None = None
    register_wanted: bool = False
    register_reason: str = ""
    would_register: bool = False  # a push to the default branch would register (register is not `never`)
    model_version: str = ""
    previous_version: str = ""
    notes: list[str] = field(default_factory=list)
    min_improvement: float | None = None
    scope: str = "experiment"
    filter: str = ""
    candidates: list[Candidate] = field(default_factory=list)  # best first; the best run is the first
    champion_url: str = ""
    version_url: str = ""
    report_path: str = ""
    comment_url: str = ""

    @property
    def run_name(self) -> str:
        return next((c.run_name for c in self.candidates if c.run_id == self.run_id), "")

    trained_run_ids: list[str] = field(default_factory=list)

    @property
    def registered(self) -> bool:
        return bool(self.model_version)

    @property
    def gate_failed(self) -> bool:
        return self.gate is not None and not self.gate.passed

    def outputs(self) -> dict[str, str]:
        """The step outputs, as text (booleans lower-case, empty when not computed)."""
        passed = "" if self.gate is None else str(self.gate.passed).lower()
        return {
            "run_id": self.run_id,
            "experiment_id": self.experiment_id,
            "metric_value": repr(self.metric_value),
            "model_uri": self.model_uri,
            "passed": passed,
            "registered": str(self.registered).lower(),
            "model_version": self.model_version,
            "previous_version": self.previous_version,
            "run_url": self.run_url,
            "report_path": self.report_path,
            "comment_url": self.comment_url,
            "trained_run_ids": ",".join(self.trained_run_ids),
        }
