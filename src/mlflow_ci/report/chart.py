"""A small Mermaid `xychart-beta` of the candidates' metric: GitHub draws it from the Markdown, no image hosting."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 600, 260
BAR_COLOR = "#4e79a7"


@dataclass(frozen=True)
class Line:
    """A horizontal reference line: the threshold or the production model's value."""

    label: str
    value: float
    color: str


def number(value: float) -> str:
    """A number Mermaid parses: no exponent, at most 6 significant digits."""
    text = f"{value:.6g}"
    if "e" in text:
        text = f"{Decimal(text):f}"
    return text


def _quoted(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def axis_range(values: Sequence[float]) -> tuple[float, float]:
    """A y range around the values with some room, its ends rounded to the size of that room."""
    low, high = min(values), max(values)
    pad = (high - low) * 0.15 or abs(high) * 0.05 or 1.0
    unit = 10 ** math.floor(math.log10(pad))
    return math.floor((low - pad) / unit) * unit, math.ceil((high + pad) / unit) * unit


def xychart(metric: str, greater_is_better: bool, values: Sequence[float], lines: Sequence[Line]) -> list[str]:
    """The fenced ```mermaid block: one bar per run, labelled by rank (#1 is the best), one line per reference
    value. Rank labels stay legible whatever the run names; the table under the chart names the runs."""
    low, high = axis_range([*values, *(line.value for line in lines)])
    palette = ", ".join([BAR_COLOR, *(line.color for line in lines)])
    direction = "higher" if greater_is_better else "lower"
    out = [
        "```mermaid",
        "---",
        "config:",
        "  xyChart:",
        f"    width: {WIDTH}",
        f"    height: {HEIGHT}",
        "  themeVariables:",
        "    xyChart:",
        f'      plotColorPalette: "{palette}"',
        "---",
        "xychart-beta",
        f"  title {_quoted(f'{metric} of the top {len(values)} runs ({direction} is better)')}",
        f"  x-axis [{', '.join(_quoted(f'#{rank}') for rank in range(1, len(values) + 1))}]",
        f"  y-axis {_quoted(metric)} {number(low)} --> {number(high)}",
        f"  bar [{', '.join(number(v) for v in values)}]",
    ]
    out += [f"  line [{', '.join([number(line.value)] * len(values))}]" for line in lines]
    out.append("```")
    return out
