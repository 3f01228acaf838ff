"""What a run did, in lines for a person reading a terminal (English, like the logs)."""

from __future__ import annotations

from collections import Counter

from backend.core.journal import JournalResult
from backend.core.money import comma


def result_summary(result: JournalResult, limit: int = 20) -> list[str]:
    debit = sum(e.total_debit for e in result.entries)
    credit = sum(e.total_credit for e in result.entries)
    lines = [
        f"documents: {result.documents} (entries {len(result.entries)}, "
        f"skipped {len(result.skipped)}, anomalies {len(result.anomalies)})",
        f"journal lines: {sum(len(e.lines) for e in result.entries)}, "
        f"debit {comma(debit)} EUR, credit {comma(credit)} EUR, "
        + ("balanced" if debit == credit else "NOT BALANCED"),
    ]
    if result.skipped:
        counts = Counter(s.reason_en for s in result.skipped)
        lines.append("skipped: " + "; ".join(f"{n} x {why}" for why, n in sorted(counts.items())))
    for anomaly in result.anomalies[:limit]:
        lines.append(f"anomaly: {anomaly.document_id} {anomaly.number or '(no number)'}: "
                     f"{anomaly.reason_en}")
    if len(result.anomalies) > limit:
        lines.append(f"anomaly: ... and {len(result.anomalies) - limit} more")
    return lines


def print_sync(report, indent: str = "", limit: int | None = None) -> None:
    """What a sync did (or would do, in a dry run): each change, conflict and problem."""
    prefix = "would be " if report.dry_run else ""
    lines = []
    for title, items in (("created", report.created), ("updated", report.updated),
                         ("linked", report.linked), ("archived", report.archived)):
        lines += [f"{prefix}{title}: {item}" for item in items]
    lines += [f"conflict: {c.french()}" for c in report.conflicts]
    lines += [f"to check: {p}" for p in report.problems]
    shown = lines if limit is None else lines[:limit]
    for line in shown:
        print(indent + line)
    if len(shown) < len(lines):
        print(f"{indent}... and {len(lines) - len(shown)} more")
    print(f"{indent}{prefix}created {len(report.created)}, updated {len(report.updated)}, linked "
          f"{len(report.linked)}, archived {len(report.archived)}; conflicts waiting for a person: "
          f"{len(report.conflicts)}; calls: " + ", ".join(f"{k} {v}" for k, v in report.calls.items())
          + f"; time {report.seconds:.2f} s")
