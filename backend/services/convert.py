"""Stripe objects -> the Inexweb month file or the FEC, for back-filling and audits."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

from backend.core.catalog import Catalog
from backend.core.customers import generate_missing_codes
from backend.core.journal import JOURNALED_KINDS, JournalResult, journal_documents
from backend.core.model import Entry, customer_names, journal_rows
from backend.core.settings import Settings
from backend.formats import fec, inexweb
from backend.formats.fec_validator import validate_fec

FORMATS = ("inexweb", "fec")


@dataclass
class Journaled:
    result: JournalResult
    objects_read: int
    new_codes: dict[str, str] = field(default_factory=dict)


@dataclass
class Conversion:
    content: bytes
    journaled: Journaled
    replaced: set[str] = field(default_factory=set)


def latest_documents(objects: list[dict]) -> list[dict]:
    """Invoices and credit notes, one per id: a later copy (a later export) replaces an earlier."""
    documents: dict[str, dict] = {}
    for obj in objects:
        if obj.get("object") in JOURNALED_KINDS:
            documents[obj["id"]] = obj
    return list(documents.values())


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def journal_objects(objects: list[dict], settings: Settings,
                    journaled: frozenset[str] = frozenset()) -> Journaled:
    """Entries, anomalies and skips for the invoices and credit notes among `objects`,
    customers without a code getting one by the nomenclature."""
    catalog = Catalog().add_all(objects)
    new_codes = generate_missing_codes(catalog, settings)
    result = journal_documents(latest_documents(objects), catalog, settings, journaled)
    return Journaled(result, len(objects), new_codes)


def render(entries: list[Entry], settings: Settings, fmt: str, replaced: set[str]) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    rows = journal_rows(entries)
    if fmt == "inexweb":
        return inexweb.month_file(rows, settings, replaced)
    return fec_checked(rows, settings, customer_names(entries), replaced)


def convert(objects: list[dict], settings: Settings, fmt: str,
            journaled: frozenset[str] = frozenset()) -> Conversion:
    done = journal_objects(objects, settings, journaled)
    replaced: set[str] = set()
    content = render(done.result.entries, settings, fmt, replaced)
    return Conversion(content, done, replaced)


def fec_checked(rows, settings: Settings, names: dict[str, str], replaced: set[str]) -> bytes:
    """The FEC, refused (fec.FecError) unless it passes every check of the DGFiP's validator."""
    content = fec.fec_file(rows, settings, names, replaced)
    problems = [p for p in validate_fec(content, encoding=settings.fec_encoding)
                if p.severity == "error"]
    if problems:
        listed = "; ".join(p.message for p in problems[:5])
        raise fec.FecError(f"the FEC fails {len(problems)} check(s) of the DGFiP validator: {listed}")
    return content
