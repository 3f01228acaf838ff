"""The one table `make bench` prints: a row per figure, a column per month size, the target
and whether it is met. Drawn by rich on a terminal; the same figures as plain text lines
(`|` between columns) when printed to a file or a pipe, where they are read back or diffed."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text


@dataclass
class Row:
    label: str
    cells: list[str] = field(default_factory=list)
    target: str = ""
    met: str = ""
    section: bool = False      # a heading spanning the table


def count(n: float) -> str:
    return f"{round(n):,}"


def rate(n: float) -> str:
    return f"{n:,.0f}/s"


def duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def megabytes(mb: float) -> str:
    return f"{mb:,.0f} MB"


def ratio(x: float) -> str:
    return f"{x:,.0f}x" if x >= 10 else f"{x:.1f}x"


def render(title: list[str], sizes: list[int], rows: list[Row], notes: list[str],
           stream=None) -> str:
    """The table as text for `stream` (standard output by default): with rich's box drawing
    and colours if it is a terminal, plain otherwise."""
    console = Console(file=stream or sys.stdout)
    if console.is_terminal:
        return _rich(title, sizes, rows, notes, console)
    return plain(title, sizes, rows, notes)


def _rich(title: list[str], sizes: list[int], rows: list[Row], notes: list[str],
          terminal: Console) -> str:
    """A table per section under its heading (rich has no cell spanning the columns), every
    table with the same column widths so that they line up as one."""
    head = Row("", [f"N = {count(n)}" for n in sizes], "target", "met")
    figures = [r for r in rows if not r.section] + [head]
    widths = [max(len(r.label) for r in figures)]
    widths += [max(len(r.cells[i]) if i < len(r.cells) else 0 for r in figures)
               for i in range(len(sizes))]
    widths += [max(len(r.target) for r in figures), max(len(r.met) for r in figures)]

    def table(heading: str | None) -> Table:
        t = Table(title=Text(heading, style="bold") if heading else None, title_justify="left")
        for i, (name, width) in enumerate(zip([head.label, *head.cells, head.target, head.met],
                                              widths)):
            t.add_column(name, min_width=width,
                         justify="right" if 0 < i <= len(sizes) else "left")
        return t

    parts: list = [Text("\n".join(title))]
    current = None
    for row in rows:
        if row.section or current is None:
            current = table(row.label if row.section else None)
            parts.append(current)
            if row.section:
                continue
        cells = row.cells + [""] * (len(sizes) - len(row.cells))
        verdict = "green" if row.met.startswith("yes") else "red" if row.met.startswith("no") else ""
        current.add_row(*(Text(c) for c in (row.label, *cells, row.target)),
                        Text(row.met, style=verdict))
    parts.append(Text("\n".join(notes)))
    # Rendered to text at the terminal's width and colours, for the caller to print.
    out = Console(file=io.StringIO(), force_terminal=True, width=terminal.width,
                  color_system=terminal.color_system)
    out.print(Group(*parts))
    return out.file.getvalue().rstrip("\n")


def plain(title: list[str], sizes: list[int], rows: list[Row], notes: list[str]) -> str:
    head = Row("", [f"N = {count(n)}" for n in sizes], "target", "met")
    width = [max(len(r.label) for r in rows + [head] if not r.section)]
    for i in range(len(sizes)):
        width.append(max(len(r.cells[i]) if i < len(r.cells) else 0
                         for r in rows + [head] if not r.section))
    width.append(max(len(r.target) for r in rows + [head] if not r.section))
    width.append(max(len(r.met) for r in rows + [head] if not r.section))
    total = sum(width) + 3 * (len(width) - 1)

    def line(row: Row) -> str:
        cells = row.cells + [""] * (len(sizes) - len(row.cells))
        parts = [row.label.ljust(width[0])]
        parts += [c.rjust(w) for c, w in zip(cells, width[1:-2])]
        parts += [row.target.ljust(width[-2]), row.met.ljust(width[-1])]
        return " | ".join(parts).rstrip()

    out = list(title)
    out.append("=" * total)
    out.append(line(head))
    for row in rows:
        if row.section:
            out.append("-" * total)
            out.append(row.label)
        else:
            out.append(line(row))
    out.append("=" * total)
    out += notes
    return "\n".join(out)
