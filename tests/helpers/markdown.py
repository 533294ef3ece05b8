"""Read Markdown the way GitHub does: cmark-gfm (GitHub's own renderer, PyPI `cmarkgfm`) with its extensions,
then take the tables and the Mermaid blocks out of the HTML, and check a Mermaid xychart against its grammar."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import cmarkgfm
import yaml
from cmarkgfm.cmark import Options


def render(markdown: str) -> str:
    """HTML as github.com makes it: GFM tables, <pre lang=...> for fenced code, raw HTML (<details>, <sub>,
    comments) kept for GitHub's sanitizer."""
    return cmarkgfm.github_flavored_markdown_to_html(
        markdown, options=Options.CMARK_OPT_GITHUB_PRE_LANG | Options.CMARK_OPT_UNSAFE
    )


@dataclass
class Table:
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    def column(self, name: str) -> list[str]:
        index = self.header.index(name)
        return [row[index] for row in self.rows]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[Table] = []
        self.mermaid: list[str] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in_head = False
        self._pre_lang = ""
        self._pre_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(Table())
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "pre":
            self._pre_lang = dict(attrs).get("lang") or ""
            self._pre_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            table = self.tables[-1]
            if self._in_head:
                table.header = self._row
            else:
                table.rows.append(self._row)
            self._row = None
        elif tag == "pre":
            if self._pre_lang == "mermaid":
                self.mermaid.append("".join(self._pre_text))
            self._pre_lang = ""

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._pre_lang:
            self._pre_text.append(data)


def parse(rendered: str) -> _Parser:
    parser = _Parser()
    parser.feed(rendered)
    return parser


def tables(rendered: str) -> list[Table]:
    return parse(rendered).tables


def mermaid_blocks(rendered: str) -> list[str]:
    return [html.unescape(block) for block in parse(rendered).mermaid]


_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def markdown_table_widths(markdown: str) -> list[list[int]]:
    """For each table in the source, the cell count of every line. GFM silently drops extra cells and pads
    missing ones, so a table can render and still be wrong: every count must equal the header's."""
    found: list[list[int]] = []
    current: list[int] = []
    for line in markdown.splitlines():
        if line.startswith("|") and line.rstrip().endswith("|"):
            current.append(len(_UNESCAPED_PIPE.split(line.strip())) - 2)
        elif current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


@dataclass
class XyChart:
    config: dict
    title: str
    x_labels: list[str]
    y_range: tuple[float, float]
    bars: list[list[float]]
    lines: list[list[float]]


_NUMBER = r"-?\d+(?:\.\d+)?"
_LIST = rf"\[\s*({_NUMBER}(?:\s*,\s*{_NUMBER})*)\s*\]"


def _numbers(text: str) -> list[float]:
    return [float(n) for n in re.split(r"\s*,\s*", text.strip())]


def parse_xychart(text: str) -> XyChart:
    """Check a Mermaid xychart against the grammar (frontmatter, `xychart-beta`, title, x-axis, y-axis, bar and
    line statements) and its sense (as many values as labels, values inside the axis range)."""
    lines = text.strip("\n").splitlines()
    config: dict = {}
    if lines[0] == "---":
        end = lines.index("---", 1)
        config = yaml.safe_load("\n".join(lines[1:end])) or {}
        lines = lines[end + 1 :]
    assert lines[0] == "xychart-beta", lines[0]
    chart = XyChart(config, "", [], (0.0, 0.0), [], [])
    for raw in lines[1:]:
        line = raw.strip()
        if match := re.fullmatch(r'title "([^"]*)"', line):
            chart.title = match.group(1)
        elif match := re.fullmatch(r"x-axis \[(.*)\]", line):
            chart.x_labels = re.findall(r'"([^"]*)"', match.group(1))
            assert len(chart.x_labels) == match.group(1).count(",") + 1, line
        elif match := re.fullmatch(rf'y-axis "[^"]*" ({_NUMBER}) --> ({_NUMBER})', line):
            chart.y_range = (float(match.group(1)), float(match.group(2)))
        elif match := re.fullmatch(rf"bar {_LIST}", line):
            chart.bars.append(_numbers(match.group(1)))
        elif match := re.fullmatch(rf"line {_LIST}", line):
            chart.lines.append(_numbers(match.group(1)))
        else:
            raise AssertionError(f"not xychart syntax: {raw!r}")
    low, high = chart.y_range
    assert low < high, chart.y_range
    for series in [*chart.bars, *chart.lines]:
        assert len(series) == len(chart.x_labels), (series, chart.x_labels)
        assert all(low <= v <= high for v in series), (series, chart.y_range)
    return chart
