"""The company registry: the companies the backend serves, in the ledger database.

`python -m backend companies ...` (backend/cli_companies.py) manages it; the web app serves
from it (backend/web/services.py). It answers like `Companies` (get, by_spreadsheet,
client_ids, iteration, len) with the same `Company` objects, checked by the same code
(`company_from_mapping`: the id rule, the secret kinds, the settings).

No cache: every read is one small query on the primary key, the unique spreadsheet or the
whole (small) table. A company added, changed or removed by the command, from another process,
is therefore seen by the very next request of every instance, with no restart and no window
in which a removed company's people are still let in. A request costs two or three indexed
reads, far below what the action it asks for costs.

What is stored is the companies file's shape (secret NAMES, never values; settings as their
raw mapping), emails lower-cased: `show` and an export give back what was given.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from backend.auth.companies import (
    CompaniesError,
    Company,
    companies_from_mapping,
    company_from_mapping,
    company_mapping,
)
from backend.store.schema import begin_write
from backend.store.schema import companies as table

log = logging.getLogger(__name__)

FIELDS = ("name", "spreadsheet_id", "allowed_emails", "client_ids", "secrets", "settings")


class RegistryError(CompaniesError):
    """A change the registry refuses (duplicate id, spreadsheet taken, unknown id, bad
    fields); nothing was written. The message (English) is for the integrator's command."""


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # keep_existing: companies of the file that differ from the registry, left as they are.
    differing: list[str] = field(default_factory=list)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _json_value(value):
    """Settings may come from TOML, whose dates JSON cannot hold: kept as their text."""
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def stored_fields(company_id: str, raw: Mapping) -> dict:
    """One company's fields (the companies-file shape), checked with `company_from_mapping`
    and normalised as the table keeps them. CompaniesError names the company."""
    company = company_from_mapping(company_id, raw)
    return {
        "name": company.name,
        "spreadsheet_id": company.spreadsheet_id,
        "allowed_emails": sorted(company.allowed_emails),
        "client_ids": list(dict.fromkeys(company.client_ids)),
        "secrets": dict(sorted(company.secrets.items())),
        "settings": _json_value(dict(raw.get("settings") or {})),
    }


class CompanyRegistry:
    def __init__(self, engine: Engine, clock: Callable[[], datetime] = _utcnow) -> None:
        self.engine = engine
        self._clock = clock

    # --- reads: each one a query (see the module docstring) --------------------------------

    def get(self, company_id: str) -> Company | None:
        return self._one(table.c.id == company_id)

    def by_spreadsheet(self, spreadsheet_id: str) -> Company | None:
        return self._one(table.c.spreadsheet_id == spreadsheet_id)

    def all(self) -> list[Company]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(table).order_by(table.c.id)).mappings().all()
        return [c for c in map(_company, rows) if c is not None]

    def __iter__(self) -> Iterator[Company]:
        return iter(self.all())

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(sa.select(sa.func.count()).select_from(table))

    def client_ids(self) -> set[str]:
        """Every company's own OAuth client ids (ID-token audiences)."""
        with self.engine.connect() as conn:
            lists = conn.scalars(sa.select(table.c.client_ids)).all()
        return {cid for ids in lists if isinstance(ids, list) for cid in ids
                if isinstance(cid, str) and cid}

    def fields(self, company_id: str) -> dict | None:
        """A company's stored fields, as in a companies file (plus created_at, updated_at)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(table).where(table.c.id == company_id)).mappings().first()
        return dict(row) if row else None

    def as_mapping(self) -> dict:
        """The whole registry in the companies-file shape (what `import` reads back)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(table).order_by(table.c.id)).mappings().all()
        return {"companies": {row["id"]: {k: row[k] for k in FIELDS} for row in rows}}

    def _one(self, where) -> Company | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(table).where(where)).mappings().first()
        return _company(row) if row else None

    # --- changes: each one transaction, checked first, nothing written on a refusal --------

    def add(self, company: Company) -> Company:
        """Add a company (a `Company`, as tests and code build them)."""
        return self.add_fields(company.id, company_mapping(company))

    def add_fields(self, company_id: str, raw: Mapping) -> Company:
        """Add a company from its companies-file fields (the command's way: the settings are
        kept as given)."""
        values = self._checked(company_id, raw)
        now = self._clock()
        with self._writing() as conn:
            self._refuse_taken(conn, company_id, values["spreadsheet_id"], adding=True)
            conn.execute(table.insert().values(id=company_id, created_at=now, updated_at=now,
                                               **values))
        return company_from_mapping(company_id, values)

    def update(self, company_id: str, **changes) -> Company:
        """Replace the given fields (of FIELDS) of a company; the others are kept."""
        unknown = sorted(set(changes) - set(FIELDS))
        if unknown:
            raise RegistryError(f"cannot change {', '.join(unknown)}: the fields are "
                                f"{', '.join(FIELDS)}")
        with self._writing() as conn:
            current = self._stored(conn, company_id)
            if current is None:
                raise RegistryError(f"no company {company_id!r} in the registry")
            values = self._checked(company_id, {**{k: current[k] for k in FIELDS}, **changes})
            if values["spreadsheet_id"] != current["spreadsheet_id"]:
                self._refuse_taken(conn, company_id, values["spreadsheet_id"], adding=False)
            conn.execute(table.update().where(table.c.id == company_id)
                         .values(updated_at=self._clock(), **values))
        return company_from_mapping(company_id, values)

    def remove(self, company_id: str) -> Company:
        """Remove a company from the registry (its ledger rows stay: they are its books).
        Returns what was removed."""
        with self._writing() as conn:
            current = self._stored(conn, company_id)
            if current is None:
                raise RegistryError(f"no company {company_id!r} in the registry")
            conn.execute(table.delete().where(table.c.id == company_id))
        return company_from_mapping(company_id, {k: current[k] for k in FIELDS})

    def import_mapping(self, raw: Mapping, replace: bool = False,
                       keep_existing: bool = False) -> ImportReport:
        """Bring a companies file's mapping (`{"companies": {id: fields}}`) in, all or
        nothing: one bad company and nothing is written, the message naming it.

        Companies of the file that are new are added and those already there are updated
        to the file's fields; `replace` also removes the companies the file does not list.
        `keep_existing` (the app's start with COMPANIES_FILE) adds the new ones only: the
        registry is the source of truth, a change made with `companies update` is not undone
        by the next start; those that differ are listed in `differing`."""
        if replace and keep_existing:
            raise ValueError("replace and keep_existing exclude each other")
        try:
            companies_from_mapping(raw)     # each company, shared ids and spreadsheets
        except CompaniesError as exc:
            raise RegistryError(f"{exc}; nothing imported") from None
        wanted = {cid: self._checked(cid, fields) for cid, fields in raw["companies"].items()}
        report = ImportReport()
        now = self._clock()
        with self._writing() as conn:
            rows = {row["id"]: row for row in conn.execute(sa.select(table)).mappings()}
            final: dict[str, dict] = {} if replace else {i: dict(r) for i, r in rows.items()}
            for cid, values in wanted.items():
                current = rows.get(cid)
                if current is None:
                    report.added.append(cid)
                elif {k: current[k] for k in FIELDS} == values:
                    report.unchanged.append(cid)
                elif keep_existing:
                    report.differing.append(cid)
                    continue
                else:
                    report.updated.append(cid)
                final[cid] = values
            report.removed = sorted(set(rows) - set(final)) if replace else []
            _refuse_shared_spreadsheets(final, set(wanted))
            for cid in report.removed:
                conn.execute(table.delete().where(table.c.id == cid))
            # The final state is checked above; on the way to it the unique spreadsheet could
            # still clash (A takes B's while B moves on): the moving ones first get a
            # placeholder no real id can equal (ids are stripped of spaces).
            moving = [cid for cid in report.updated
                      if wanted[cid]["spreadsheet_id"] != rows[cid]["spreadsheet_id"]]
            for cid in moving:
                conn.execute(table.update().where(table.c.id == cid)
                             .values(spreadsheet_id=f" moving {cid}"))
            for cid in report.updated:
                conn.execute(table.update().where(table.c.id == cid)
                             .values(updated_at=now, **wanted[cid]))
            for cid in report.added:
                conn.execute(table.insert().values(id=cid, created_at=now, updated_at=now,
                                                   **wanted[cid]))
        return report

    # --- helpers ------------------------------------------------------------------------

    def _writing(self):
        return _translated(begin_write(self.engine))

    @staticmethod
    def _checked(company_id: str, raw: Mapping) -> dict:
        # company_from_mapping checks the id too (COMPANY_ID), as for a companies file.
        try:
            return stored_fields(company_id, raw)
        except CompaniesError as exc:
            raise RegistryError(str(exc)) from None

    @staticmethod
    def _stored(conn: Connection, company_id: str):
        return conn.execute(sa.select(table).where(table.c.id == company_id)).mappings().first()

    @staticmethod
    def _refuse_taken(conn: Connection, company_id: str, spreadsheet_id: str,
                      adding: bool) -> None:
        if adding:
            existing = conn.execute(sa.select(table.c.name, table.c.spreadsheet_id)
                                    .where(table.c.id == company_id)).first()
            if existing:
                raise RegistryError(f"company {company_id!r} is already in the registry "
                                    f"({existing.name}, spreadsheet {existing.spreadsheet_id})")
        owner = conn.execute(sa.select(table.c.id, table.c.name)
                             .where(table.c.spreadsheet_id == spreadsheet_id)).first()
        if owner and owner.id != company_id:
            raise RegistryError(f"spreadsheet {spreadsheet_id} already belongs to company "
                                f"{owner.id!r} ({owner.name}): company {company_id!r} cannot "
                                "use it")


def _refuse_shared_spreadsheets(final: Mapping[str, Mapping], importing: set[str]) -> None:
    seen: dict[str, str] = {}
    for cid in sorted(final, key=lambda c: (c in importing, c)):
        sheet = final[cid]["spreadsheet_id"]
        if sheet in seen:
            raise RegistryError(f"spreadsheet {sheet} already belongs to company "
                                f"{seen[sheet]!r} ({final[seen[sheet]]['name']}): company "
                                f"{cid!r} cannot use it; nothing imported")
        seen[sheet] = cid


class _translated:
    """A write transaction whose constraint violations (two writers racing past the checks)
    become RegistryError: the database, not only the check, keeps ids and spreadsheets
    unique."""

    def __init__(self, context) -> None:
        self._context = context

    def __enter__(self) -> Connection:
        return self._context.__enter__()

    def __exit__(self, kind, exc, tb) -> bool:
        try:
            self._context.__exit__(kind, exc, tb)
        except IntegrityError as error:
            raise RegistryError(f"the registry changed meanwhile: {error.orig}; nothing "
                                "written, try again") from None
        if isinstance(exc, IntegrityError):
            raise RegistryError(f"the registry changed meanwhile: {exc.orig}; nothing written, "
                                "try again") from None
        return False


def _company(row: Mapping) -> Company | None:
    """The Company of a stored row; a row the current code no longer accepts (a setting
    since removed, say) is left out with an error in the log, the others still served."""
    try:
        return company_from_mapping(row["id"], {k: row[k] for k in FIELDS})
    except CompaniesError as exc:
        log.error("company registry: %s: the company is not served until it is fixed "
                  "(python -m backend companies update)", exc)
        return None
