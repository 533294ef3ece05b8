"""The result as a person reads it in a terminal (off GitHub): a compact table of the top runs."""

from __future__ import annotations

from mlflow_ci.report.markdown import number, short_id, started
from mlflow_ci.select.decision import Result

TOP = 5
MAX_NAME = 24


def top_runs(result: Result, limit: int = TOP) -> list[str]:
    """The best runs, best first: rank, name, short id, start time and the metric; the best run marked."""
    shown = result.candidates[:limit]
    if not shown:
        return []
    rows = [["#", "run", "run id", "started (UTC)", result.metric]]
    for rank, c in enumerate(shown, 1):
        name = c.run_name or "-"
        name = name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"
        best = " *" if c.run_id == result.run_id else ""
        rows.append([f"{rank}{best}", name, short_id(c.run_id), started(c.start_time), number(c.metric_value)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    more = len(result.candidates) - len(shown)
    if more > 0:
        lines.append(f"  ... and {more} more in the report")
    return [line.rstrip() for line in lines]
