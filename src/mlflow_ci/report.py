"""The step summary: what was found, how it compares, what was (or would be) registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mlflow_ci.result import Result

if TYPE_CHECKING:
    from mlflow_ci.training import TrainReport


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def verdict(result: Result) -> str:
    value = f"{result.metric} {result.metric_value:g}"
    if result.gate is None:
        return f"best run `{result.run_id}`: {value}"
    return f"{value} {'passed' if result.gate.passed else 'failed'} the gate"


def summary_markdown(result: Result) -> str:
    icon = "" if result.gate is None else ("✅ " if result.gate.passed else "❌ ")
    run = f"[`{result.run_id}`]({result.run_url})" if result.run_url else f"`{result.run_id}`"
    lines = [
        f"### {icon}mlflow-ci: {_cell(verdict(result))}",
        "",
        f"| | {_cell(result.metric)} | |",
        "|---|---:|---|",
        f"| best run | {result.metric_value:g} | {run} in `{_cell(result.experiment_name)}` |",
    ]
    champion = result.champion
    if champion is not None:
        shown = "—" if champion.metric_value is None else f"{champion.metric_value:g}"
        lines.append(f"| production | {shown} | version {champion.version} ({_cell(champion.held_by)}) |")
    if result.threshold is not None:
        lines.append(
            f"| threshold | {result.threshold:g} | {'higher' if result.greater_is_better else 'lower'} is better |"
        )
    lines.append("")
    if result.gate is not None:
        lines += [f"- ❌ {_cell(reason)}" for reason in result.gate.reasons]
        lines += [f"- {_cell(note)}" for note in result.gate.notes]
    if result.registered:
        alias = f", alias `{result.alias}`" if result.alias else ""
        previous = f" (previous: {result.previous_version})" if result.previous_version else ""
        lines.append(
            f"- Registered version **{result.model_version}** of `{_cell(result.model_name)}`{alias}{previous}."
        )
    elif result.register_reason:
        lines.append(f"- Not registered: {_cell(result.register_reason)}.")
        if not result.register_wanted and not result.gate_failed:
            lines.append(
                f"- On a push to the default branch, run `{result.run_id}` would be registered as a "
                f"version of `{_cell(result.model_name)}`"
                f"{f' with alias `{result.alias}`' if result.alias else ''}."
            )
        if result.register_wanted and result.gate_failed:
            lines[-1] = "- Not registered: the gate failed."
    lines += [f"- {_cell(note)}" for note in result.notes]
    return "\n".join(lines) + "\n"


def training_markdown(report: TrainReport, run_url: Callable[[str], str]) -> str:
    """The runs the train step logged, with every metric they have."""
    names = sorted({name for run in report.runs for name in run.metrics})[:8]
    lines = [
        f"### mlflow-ci: trained {len(report.runs)} run{'s' if len(report.runs) != 1 else ''}",
        "",
        "| run | " + " | ".join(_cell(n) for n in names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for run in report.runs:
        url = run_url(run.run_id)
        shown = f"[{_cell(run.name)}]({url})" if url else f"{_cell(run.name)} `{run.run_id}`"
        values = [f"{run.metrics[n]:.4g}" if n in run.metrics else "" for n in names]
        lines.append(f"| {shown} | " + " | ".join(values) + " |")
    return "\n".join(lines) + "\n"
