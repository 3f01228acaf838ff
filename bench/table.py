"""The one table `make bench` prints: a row per figure, a column per month size, the target
and whether it is met."""

from __future__ import annotations

from dataclasses import dataclass, field


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


def render(title: list[str], sizes: list[int], rows: list[Row], notes: list[str]) -> str:
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
