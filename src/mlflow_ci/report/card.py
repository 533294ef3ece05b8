"""The model card: one Markdown page per registered version (or per candidate, before registration) with the
decision, the data versions, the parameters, the metrics against production, the commit and the workflow
run. What is not known is written as unknown, never guessed. The version's description, the step summary
and the PR comment show this same text."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from mlflow_ci import __version__
from mlflow_ci.select.comparability import Comparability
from mlflow_ci.select.evaluation import Evaluation

UNKNOWN = "unknown"
MAX_ROWS = 40  # params or metrics beyond this are summarised: a card must stay readable and fit a description


@dataclass(frozen=True)
class CardFacts:
    model_name: str
    version: str  # "" before registration
    outcome: str  # promoted | kept | rejected | "" (not decided yet)
    reason: str
    metric: str
    greater_is_better: bool
    run_id: str
    run_name: str = ""
    run_url: str = ""
    value: float | None = None  # the challenger's logged metric
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)  # as the run logged them
    champion_version: str = ""
    champion_value: float | None = None  # the champion's logged metric
    evaluation: Evaluation | None = None
    comparability: Comparability | None = None
    data_versions: Mapping[str, str] = field(default_factory=dict)  # what -> digest, e.g. the DVC lock's sha256
    commit: str = ""
    workflow_run_url: str = ""


def _text(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|~&#])", r"\\\1", str(text).replace("\n", " "))


def _code(text: str) -> str:
    return "`" + str(text).replace("`", "'").replace("\n", " ").replace("|", "\\|") + "`"


def _link(text: str, url: str) -> str:
    return f"[{text}]({url})" if url else text


def _number(value: float | None) -> str:
    return UNKNOWN if value is None else f"{value:.6g}"


def _signed(value: float | None) -> str:
    return UNKNOWN if value is None else f"{value:+.6g}"


def _or_unknown(text: str) -> str:
    return text if text else UNKNOWN


def _title(facts: CardFacts) -> str:
    name = _text(facts.model_name) if facts.model_name else "(no model name)"
    return f"## Model card: {name} " + (f"version {facts.version}" if facts.version else "(not registered)")


def _about(facts: CardFacts) -> list[str]:
    decision = f"**{facts.outcome}**" if facts.outcome else "not decided"
    if facts.reason:
        decision += f": {_text(facts.reason)}"
    run = _link(_text(facts.run_name or facts.run_id), facts.run_url)
    if facts.run_name:
        run += f" ({_code(facts.run_id)})"
    rows = [
        ("Decision", decision),
        ("Run", run),
        ("Commit", _code(facts.commit) if facts.commit else UNKNOWN),
        ("Workflow run", _link("link", facts.workflow_run_url) if facts.workflow_run_url else UNKNOWN),
        ("Written by", f"mlflow-ci {__version__}"),
    ]
    return ["| | |", "|---|---|", *(f"| {key} | {value} |" for key, value in rows)]


def _data(facts: CardFacts) -> list[str]:
    lines = ["### Data", "", "| data | version |", "|---|---|"]
    evaluation = facts.evaluation
    if evaluation is not None:
        data = evaluation.data
        lines.append(
            f"| evaluation: {_code(data.path)} ({data.rows} rows, labels {_code(data.target)}) | "
            f"{_code(data.digest)} ({_text(data.digest_source)}) |"
        )
    else:
        lines.append(f"| evaluation | {UNKNOWN}: no eval-data; the metrics are the runs' own |")
    for what, digest in facts.data_versions.items():
        lines.append(f"| {_text(what)} | {_code(digest)} |")
    if not facts.data_versions:
        lines.append(f"| training | {UNKNOWN}: the run records no data version |")
    return lines


def _against_production(facts: CardFacts) -> list[str]:
    lines = ["### Against production", ""]
    direction = "higher" if facts.greater_is_better else "lower"
    evaluation = facts.evaluation
    production = f"production (version {facts.champion_version})" if facts.champion_version else "production"
    if evaluation is not None:
        lines += [
            f"Both models scored here on the same rows ({_code(evaluation.data.path)}); {direction} "
            f"{_text(facts.metric)} is better; the difference is this model minus production, positive when better.",
            "",
            f"| metric | this model | {production} | difference |",
            "|---|---|---|---|",
        ]
        if not evaluation.champion_uri:
            lines[2] = "No model was in production: only this model was scored."
        for name, value in evaluation.challenger_metrics.items():
            other = evaluation.champion_metrics.get(name)
            difference = "" if other is None else f"{value - other:+.6g}"
            if name == evaluation.metric and evaluation.delta is not None:
                difference = _signed(evaluation.delta)
                if evaluation.interval is not None:
                    interval = evaluation.interval
                    difference += (
                        f" ({interval.confidence:.0%} interval {interval.low:+.6g} to {interval.high:+.6g}, "
                        f"{interval.resamples} paired resamples)"
                    )
            shown = f"**{_text(name)}**" if name == evaluation.metric else _text(name)
            lines.append(f"| {shown} | {value:.6g} | {_number(other)} | {difference} |")
        return lines
    if not facts.champion_version:
        return [*lines, "No model was in production."]
    lines += [
        f"As the runs logged them ({direction} is better).",
        "",
        f"| metric | this model | {production} |",
        "|---|---|---|",
        f"| **{_text(facts.metric)}** | {_number(facts.value)} | {_number(facts.champion_value)} |",
    ]
    if facts.comparability is not None:
        lines += ["", _text(facts.comparability.message())]
    return lines


def _table(title: str, values: Mapping[str, object], empty: str) -> list[str]:
    lines = [f"### {title}", ""]
    if not values:
        return [*lines, empty]
    lines += ["| name | value |", "|---|---|"]
    items = sorted(values.items())
    for key, value in items[:MAX_ROWS]:
        shown = f"{value:.6g}" if isinstance(value, float) else str(value)
        lines.append(f"| {_text(key)} | {_code(shown[:200])} |")
    if len(items) > MAX_ROWS:
        lines.append(f"| … | {len(items) - MAX_ROWS} more in the run |")
    return lines


def render(facts: CardFacts) -> str:
    sections = [
        [_title(facts), ""],
        _about(facts),
        [""],
        _data(facts),
        [""],
        _against_production(facts),
        [""],
        _table("Parameters", facts.params, f"{UNKNOWN}: the run logged no parameters"),
        [""],
        _table("Metrics as logged", facts.metrics, f"{UNKNOWN}: the run logged no metrics"),
    ]
    return "\n".join(line for section in sections for line in section) + "\n"
