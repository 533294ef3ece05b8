"""The report's Markdown: the step summary, and the body of report.md and of the pull request comment.

A verdict in one line; the best run against the model in production and the threshold, with margins signed
in the metric's direction (+ is better); the gate; what was registered or would be; the top runs as a chart
and a table.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mlflow_ci import __version__
from mlflow_ci.report.chart import Line, xychart
from mlflow_ci.select.decision import Candidate, Result
from mlflow_ci.select.gate import Check, lead
from mlflow_ci.tracking.ledger import Entry

if TYPE_CHECKING:
    from mlflow_ci.train.run import TrainReport

MAX_PARAM_COLUMNS = 6
MAX_CELL = 40
MIN_PREFIX = 8  # a shared prefix shorter than this is not worth an ellipsis
SHORT_ID = 8  # a run id's first characters: enough to tell the runs of one report apart
THRESHOLD_COLOR, THRESHOLD_WORD = "#e15759", "red"
PRODUCTION_COLOR, PRODUCTION_WORD = "#59a14f", "green"


def number(value: float) -> str:
    return f"{value:g}"


def signed(value: float) -> str:
    return "±0" if value == 0 else f"{value:+.6g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _text(text: str) -> str:
    """Plain text that renders as itself: Markdown's active characters backslash-escaped."""
    return re.sub(r"([\\`*_\[\]<>|~&])", r"\\\1", text.replace("\n", " "))


def _code(text: str) -> str:
    """Inline code that stays one code span whatever the text holds."""
    return "`" + text.replace("`", "'").replace("\n", " ") + "`"


def _link(text: str, url: str) -> str:
    return f"[{text}]({url})" if url else text


def margin(result: Result, other: float) -> float:
    """How far the best run is ahead of `other`, in the metric's direction: positive means better."""
    return lead(result.metric_value, other, greater_is_better=result.greater_is_better)


def _best_name(result: Result) -> str:
    return result.run_name or result.run_id


def verdict(result: Result) -> str:
    """The whole story in one line."""
    value = f"{result.metric} {number(result.metric_value)}"
    if result.gate is None:
        text = f"best run {_best_name(result)}: {value}"
    else:
        text = f"{value} {'passed' if result.gate.passed else 'failed'} the gate"
    champion = result.champion
    if champion is not None and result.already_production:
        text += f" (already production: version {champion.version})"
    elif champion is not None and result.evaluation is not None and result.delta is not None:
        text += f" ({signed(result.delta)} vs production version {champion.version}, both scored on eval-data)"
    elif champion is not None and champion.metric_value is not None:
        text += f" ({signed(margin(result, champion.metric_value))} vs production version {champion.version})"
    elif champion is None and result.model_name and result.alias:
        text += " (no model in production yet)"
    if result.promotion is not None:
        text += f"; registered as version {result.promotion.version}"
    elif result.would_register_on_default_branch:
        text += "; would be registered on a push to the default branch"
    elif result.blocked_by_gate:
        text += "; not registered"
    return text


def _icon(result: Result) -> str:
    if result.gate is None:
        return "🔎"
    return "✅" if result.gate.passed else "❌"


def _comparison(result: Result) -> list[str]:
    arrow = "higher is better" if result.greater_is_better else "lower is better"
    best = _link(_code(_best_name(result)), result.run_url)
    lines = [
        f"| | | {_cell(_code(result.metric))} ({arrow}) | best run's margin |",
        "|---|---|---:|---:|",
        f"| 🏆 best run | {_cell(best)} | **{number(result.metric_value)}** | |",
    ]
    champion = result.champion
    if champion is not None:
        held = f"{_link(f'version {champion.version}', result.champion_url)} ({_cell(champion.held_by)})"
        if result.already_production:
            value, delta = number(result.metric_value), "same run"
        elif champion.metric_value is None:
            value, delta = "—", f"no {_cell(_code(result.metric))} logged"
        else:
            value = number(champion.metric_value)
            delta = signed(margin(result, champion.metric_value))
            delta += _verdict_mark(_check(result, "min-improvement"), needs=True)
        lines.append(f"| 🚀 production | {held} | {value} | {delta} |")
    elif result.model_name and result.alias:
        lines.append(
            f"| 🚀 production | none: no version of {_cell(_code(result.model_name))} holds alias "
            f"{_cell(_code(result.alias))} yet (this would be the first) | — | |"
        )
    if result.threshold is not None:
        ahead = signed(margin(result, result.threshold))
        lines.append(
            f"| 🎯 threshold | | {number(result.threshold)} | {ahead}{_verdict_mark(_check(result, 'threshold'))} |"
        )
    return lines


def _check(result: Result, name: str) -> Check | None:
    return result.gate.check(name) if result.gate is not None else None


def _verdict_mark(check: Check | None, *, needs: bool = False) -> str:
    """The gate's own verdict on a row, when the gate ran that check."""
    if check is None or check.passed is None:
        return ""
    mark = f" {'✅' if check.passed else '❌'}"
    return mark + (f" (needs {signed(check.needs)})" if needs else "")


def _gate(result: Result) -> list[str]:
    if result.gate is None:
        return []
    lines = [f"- ❌ {_cell(reason)}" for reason in result.gate.reasons]
    lines += [f"- {_cell(note)}" for note in result.gate.notes]
    return ["**Gate**", "", *lines, ""]


def _registry(result: Result) -> list[str]:
    lines: list[str] = []
    promotion = result.promotion
    if promotion is not None:
        alias = f", alias {_code(result.alias)}" if result.alias else ""
        previous = f" (previous: {promotion.previous_version})" if promotion.previous_version else ""
        opened = f" {_link('Open in MLflow', promotion.url)}" if promotion.url else ""
        lines.append(
            f"- Registered version **{promotion.version}** of {_code(result.model_name)}{alias}{previous}.{opened}"
        )
    elif result.blocked_by_gate:
        lines.append("- Not registered: the gate failed.")
    elif result.plan.reason:
        lines.append(f"- Not registered: {_cell(result.plan.reason)}.")
        if result.plan.on_default_branch and result.already_production and result.champion is not None:
            lines.append(
                f"- A push to the default branch would change nothing: this run is already version "
                f"{result.champion.version} ({_cell(result.champion.held_by)})."
            )
        elif result.would_register_on_default_branch:
            alias = f" with alias {_code(result.alias)}" if result.alias else ""
            lines.append(
                f"- On a push to the default branch, run {_code(_best_name(result))} would be registered as a "
                f"version of {_code(result.model_name)}{alias}."
            )
        elif result.plan.on_default_branch and result.gate_failed:
            lines.append("- A push to the default branch would not register it either: the gate failed.")
    if promotion is not None:
        lines += [f"- {_cell(note)}" for note in promotion.notes]
    return ["**Registry**", "", *lines, ""] if lines else []


def key_params(candidates: Sequence[Candidate]) -> list[str]:
    """The params worth a column: those that differ between the candidates (all of them for a lone run)."""
    names = sorted({name for c in candidates for name, _ in c.params})
    if len(candidates) > 1:
        names = [n for n in names if len({c.param(n) for c in candidates}) > 1]
    return names[:MAX_PARAM_COLUMNS]


def _short(text: str) -> str:
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def short_id(run_id: str) -> str:
    return run_id[:SHORT_ID]


def started(start_time: int | None) -> str:
    """A run's start as month-day hour:minute, UTC."""
    if start_time is None:
        return ""
    return datetime.fromtimestamp(start_time / 1000, tz=UTC).strftime("%m-%d %H:%M")


_CLASS_PATHS = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+(\+[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+)*")
_SEPARATORS = "+._/ ,:-"


def distinguishing(values: Sequence[str]) -> dict[str, str]:
    """How each value of a column is shown: the part that differs. Class paths lose their modules
    (`sklearn.naive_bayes.MultinomialNB` -> `MultinomialNB`), a prefix all the values share becomes `…` (cut
    at a separator), and what is still too long keeps its end, where estimators and pipelines differ."""
    shown = {
        v: "+".join(p.rsplit(".", 1)[-1] for p in v.split("+")) if _CLASS_PATHS.fullmatch(v) else v for v in values
    }
    distinct = sorted(set(shown.values()))
    if len(distinct) > 1:
        common = os.path.commonprefix(distinct)  # noqa: RUF071 - a prefix of characters is what is meant
        cut = max((common.rfind(sep) + 1 for sep in _SEPARATORS), default=0)
        if cut >= MIN_PREFIX:  # short shared starts (0.1 and 0.5) stay as they are
            shown = {v: "…" + text[cut:] for v, text in shown.items()}
    return {v: text if len(text) <= MAX_CELL else "…" + text[-(MAX_CELL - 1) :] for v, text in shown.items()}


def _candidates_table(result: Result) -> list[str]:
    params = key_params(result.candidates)
    champion = result.champion
    versus = champion is not None and champion.metric_value is not None
    head = ["#", "run", "run id", "started (UTC)", _code(result.metric)] + (["vs production"] if versus else [])
    head += [_code(_short(p)) for p in params]
    align = ["---:", "---", "---", "---", "---:"] + (["---:"] if versus else []) + ["---"] * len(params)
    lines = [f"| {' | '.join(_cell(h) for h in head)} |", f"|{'|'.join(align)}|"]
    cells = {p: distinguishing([v for c in result.candidates if (v := c.param(p)) is not None]) for p in params}
    for rank, c in enumerate(result.candidates, 1):
        mark = " 🏆" if c.run_id == result.run_id else ""
        mark += " 🚀" if champion is not None and c.run_id == champion.run_id else ""
        row = [
            f"{rank}{mark}",
            _link(_code(c.run_name or c.run_id), c.url),
            _code(short_id(c.run_id)),
            started(c.start_time),
            number(c.metric_value),
        ]
        if versus and champion is not None and champion.metric_value is not None:
            row.append(signed(lead(c.metric_value, champion.metric_value, greater_is_better=result.greater_is_better)))
        row += [_code(cells[p][value]) if (value := c.param(p)) is not None else "" for p in params]
        lines.append(f"| {' | '.join(_cell(cell) for cell in row)} |")
    return lines


def _chart(result: Result) -> list[str]:
    lines: list[Line] = []
    words: list[str] = []
    if result.threshold is not None:
        lines.append(Line("threshold", result.threshold, THRESHOLD_COLOR))
        words.append(f"{THRESHOLD_WORD}: threshold {number(result.threshold)}")
    champion = result.champion
    if champion is not None and champion.metric_value is not None:
        lines.append(Line("production", champion.metric_value, PRODUCTION_COLOR))
        words.append(f"{PRODUCTION_WORD}: production version {champion.version}, {number(champion.metric_value)}")
    values = [c.metric_value for c in result.candidates]
    caption = "Bars: the runs in the table below, by rank (#1 is the best run)."
    if words:
        caption += f" Lines: {'; '.join(words)}."
    return [*xychart(result.metric, result.greater_is_better, values, lines), "", f"<sub>{caption}</sub>", ""]


def _candidates(result: Result) -> list[str]:
    if not result.candidates:
        return []
    count = len(result.candidates)
    where = f"scope {_code(result.scope)}" + (f", filter {_code(result.filter)}" if result.filter else "")
    return [
        f"**Top {count} run{'s' if count > 1 else ''}** by {_code(result.metric)} in experiment "
        f"{_code(result.experiment_name)} ({where})",
        "",
        *_chart(result),
        "<details><summary>Runs and the params that differ between them</summary>",
        "",
        *_candidates_table(result),
        "",
        "</details>",
        "",
    ]


def _same_data(result: Result) -> list[str]:
    """Both scores on eval-data, its digest and the interval; or whether the logged numbers are comparable."""
    evaluation = result.evaluation
    if evaluation is None:
        comparability = result.comparability
        if comparability is None or comparability.comparable is None:
            return []
        mark = "✅" if comparability.comparable else "⚠️"
        return ["**Same data**", "", f"- {mark} {_cell(_text(comparability.message()))}", ""]
    data = evaluation.data
    lines = [
        "**Same data**: both models scored here on the same rows",
        "",
        f"- Eval data {_code(data.path)}: {data.rows} rows, digest {_code(data.digest)} "
        f"({_cell(_text(data.digest_source))})",
        f"- Best run: {_code(result.metric)} **{number(evaluation.challenger_score)}**"
        + (f" (logged: {number(result.metric_value)})" if result.metric_value != evaluation.challenger_score else ""),
    ]
    champion = result.champion
    if evaluation.champion_score is not None and champion is not None:
        logged = f" (logged: {number(champion.metric_value)})" if champion.metric_value is not None else ""
        lines.append(f"- Production version {champion.version}: **{number(evaluation.champion_score)}**{logged}")
        lead_text = f"- Lead: **{signed(evaluation.delta or 0.0)}**"
        interval = evaluation.interval
        if interval is not None:
            lead_text += (
                f", {interval.confidence:.0%} interval {signed(interval.low)} to {signed(interval.high)} "
                f"({interval.resamples} paired resamples, seed {interval.seed})"
            )
            if interval.includes_zero():
                lead_text += ": the interval includes zero"
        lines.append(lead_text)
    return [*lines, ""]


def _model_card(result: Result) -> list[str]:
    if not result.card:
        return []
    return ["<details><summary>Model card</summary>", "", result.card, "</details>", ""]


LEDGER_ROWS = 5


def _safe_url(url: str) -> str:
    """A URL from a registry tag, only when it is plain https (anyone who can write tags writes these)."""
    return url if re.fullmatch(r"https://[^\s()<>\[\]]+", url) else ""


def ledger_markdown(entries: Sequence[Entry]) -> list[str]:
    """The last moves of production, newest first, from the ledger on the registered model."""
    if not entries:
        return []
    lines = [
        f"**Ledger** (the last {min(len(entries), LEDGER_ROWS)} moves of production, newest first)",
        "",
        "| when (UTC) | what | alias / stage | version | replaced | commit | workflow run |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for e in reversed(entries[-LEDGER_ROWS:]):
        where = " / ".join(_text(part) for part in (e.alias, e.stage) if part)
        commit = _code(e.commit[:12]) if e.commit else ""
        run = _link("run", _safe_url(e.run_url)) if _safe_url(e.run_url) else ""
        cells = [_text(e.at), _text(e.what), where, _text(e.version), _text(e.previous) or "—", commit, run]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def rollback_markdown(model_name: str, where: str, moved_to: str, replaced: str, entries: Sequence[Entry]) -> str:
    """The step summary of `command: rollback`."""
    if replaced:
        head = f"### ⏪ mlflow-ci: rolled {_code(model_name)} back to version {_text(moved_to)} (was {_text(replaced)})"
    else:
        head = f"### ⏪ mlflow-ci: version {_text(moved_to)} of {_code(model_name)} already holds {_text(where)}"
    return "\n".join([head, "", *ledger_markdown(entries)]) + "\n"


def summary_markdown(result: Result) -> str:
    lines = [
        f"### {_icon(result)} mlflow-ci: {_text(verdict(result))}",
        "",
        *_comparison(result),
        "",
        *_same_data(result),
        *_gate(result),
        *_registry(result),
        *ledger_markdown(result.promotion.ledger if result.promotion else ()),
        *_candidates(result),
        *_model_card(result),
        f"<sub>mlflow-ci {__version__} · `{result.command.name}` · experiment id {result.experiment_id}</sub>",
    ]
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
    if report.data is not None:
        sha = report.data.lock_sha256
        shown = f"`dvc.lock` sha256 `{sha[:12]}`" if sha else "no `dvc.lock`"
        lines += [
            "",
            f"Data (DVC): {shown}, {len(report.data.stage_deps)} stages, tagged `mlflow_ci.dvc.*` on each run",
        ]
    return "\n".join(lines) + "\n"
