"""The report as files for `actions/upload-artifact`: report.md and metrics.json in mlflow-ci-report/<experiment>/."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from mlflow_ci import __version__
from mlflow_ci.github.context import Context
from mlflow_ci.report.markdown import margin
from mlflow_ci.select.decision import Candidate, Result

REPORT_DIR = "mlflow-ci-report"
SCHEMA = "mlflow-ci-report/1"


def report_dir(root: Path, experiment_name: str) -> Path:
    """One directory per experiment, so two steps of a job reporting on different experiments keep both."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", experiment_name).strip("-.") or "experiment"
    return root / REPORT_DIR / slug


def _candidate(rank: int, candidate: Candidate) -> dict[str, Any]:
    return {
        "rank": rank,
        "run_id": candidate.run_id,
        "run_name": candidate.run_name,
        "value": candidate.metric_value,
        "url": candidate.url,
        "params": dict(candidate.params),
    }


def metrics_document(result: Result, ctx: Context) -> dict[str, Any]:
    """What the report says, as data: for dashboards and for comparing reports across runs."""
    champion = result.champion
    production = None
    if champion is not None:
        production = {
            "version": champion.version,
            "run_id": champion.run_id,
            "value": champion.metric_value,
            "held_by": champion.held_by,
            "url": result.champion_url,
            "margin": None if champion.metric_value is None else margin(result, champion.metric_value),
        }
    gate, promotion = result.gate, result.promotion
    return {
        "schema": SCHEMA,
        "mlflow_ci_version": __version__,
        "command": result.command.name,
        "experiment": {"name": result.experiment_name, "id": result.experiment_id},
        "metric": {"name": result.metric, "greater_is_better": result.greater_is_better},
        "search": {"scope": result.scope, "filter": result.filter},
        "best_run": {
            "run_id": result.run_id,
            "run_name": result.run_name,
            "value": result.metric_value,
            "url": result.run_url,
            "model_uri": result.model_uri,
        },
        "production": production,
        "threshold": None
        if result.threshold is None
        else {"value": result.threshold, "margin": margin(result, result.threshold)},
        "min_improvement": result.min_improvement,
        "gate": None
        if gate is None
        else {"passed": gate.passed, "reasons": list(gate.reasons), "notes": list(gate.notes)},
        "registration": {
            "registered": result.registered,
            "model_name": result.model_name,
            "alias": result.alias,
            "version": promotion.version if promotion else "",
            "previous_version": promotion.previous_version if promotion else "",
            "url": promotion.url if promotion else "",
            "reason": result.plan.reason,
            "would_register_on_default_branch": result.would_register_on_default_branch,
        },
        "candidates": [_candidate(rank, c) for rank, c in enumerate(result.candidates, 1)],
        "github": {
            "event": ctx.event_name,
            "ref": ctx.ref,
            "commit": ctx.head_sha,
            "pull_request": ctx.pr_number,
            "workflow_run_url": ctx.run_url,
        },
    }


def write(directory: Path, markdown: str, metrics_json: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "report.md").write_text(markdown, encoding="utf-8")
    (directory / "metrics.json").write_text(metrics_json, encoding="utf-8")
    return directory


def _finite(value: Any) -> Any:
    """JSON has no inf or NaN (a metric can hold them): write null instead."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(_finite(document), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
