"""The companies the backend serves: what a company is, and how one is read and checked.

The companies live in the ledger database (`registry.py`, managed with `python -m backend
companies`); a companies file (JSON or TOML, the shape of companies.example.json) is what
`companies import` and COMPANIES_FILE bring into it. `Companies` is the same interface over
a fixed list (tests, the local preview).

Each company has its spreadsheet, the emails allowed to act on it, the names of its secrets
(never the values: those live in Secret Manager, a local secrets file or the environment),
optionally its own OAuth client ids (the audience of its Apps Script's ID tokens) and its
settings (the keys of backend/core/settings.py; the sheet's Paramètres tab wins over them).
See companies.example.json beside this file.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from pathlib import Path

from backend.core.settings import Settings, SettingsError, from_mapping

COMPANY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
# The API keys, the Google service account, and the two webhook signing secrets.
SECRET_KINDS = ("stripe", "hubspot", "google", "hubspot_webhook", "stripe_webhook")


class CompaniesError(ValueError):
    """The companies file is missing or wrong (the message says where)."""


@dataclass(frozen=True)
class Company:
    id: str                                   # the ledger store's company key
    name: str
    spreadsheet_id: str
    allowed_emails: frozenset[str]            # lower-case
    secrets: Mapping[str, str] = field(default_factory=dict)   # kind -> secret name
    client_ids: tuple[str, ...] = ()          # ID token audiences; empty: the global ones
    settings: Settings = field(default_factory=Settings)

    def allows(self, email: str) -> bool:
        return email.strip().lower() in self.allowed_emails

    def secret_name(self, kind: str) -> str | None:
        return self.secrets.get(kind) or None


class Companies:
    def __init__(self, companies: Iterable[Company] = ()) -> None:
        self._by_id: dict[str, Company] = {}
        self._by_sheet: dict[str, Company] = {}
        for company in companies:
            if company.id in self._by_id:
                raise CompaniesError(f"company {company.id!r} is listed twice")
            other = self._by_sheet.get(company.spreadsheet_id)
            if other:
                raise CompaniesError(f"companies {other.id!r} and {company.id!r} share a spreadsheet")
            self._by_id[company.id] = company
            self._by_sheet[company.spreadsheet_id] = company

    def __iter__(self):
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, company_id: str) -> Company | None:
        return self._by_id.get(company_id)

    def by_spreadsheet(self, spreadsheet_id: str) -> Company | None:
        return self._by_sheet.get(spreadsheet_id)

    def client_ids(self) -> set[str]:
        return {cid for c in self for cid in c.client_ids}


def company_from_mapping(company_id: str, raw: Mapping) -> Company:
    where = f"company {company_id!r}"
    if not COMPANY_ID.match(company_id):
        raise CompaniesError(f"{where}: an id is lower-case letters, digits, - and _")
    if not isinstance(raw, Mapping):
        raise CompaniesError(f"{where}: expected a table of fields")
    unknown = set(raw) - {"name", "spreadsheet_id", "allowed_emails", "secrets", "client_ids",
                          "settings"}
    if unknown:
        raise CompaniesError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    sheet = str(raw.get("spreadsheet_id") or "").strip()
    if not sheet:
        raise CompaniesError(f"{where}: spreadsheet_id is required")
    emails = raw.get("allowed_emails") or []
    if not isinstance(emails, list) or not all(isinstance(e, str) and "@" in e for e in emails):
        raise CompaniesError(f"{where}: allowed_emails is a list of email addresses")
    secrets = raw.get("secrets") or {}
    if not isinstance(secrets, Mapping) or set(secrets) - set(SECRET_KINDS):
        raise CompaniesError(f"{where}: secrets maps {', '.join(SECRET_KINDS)} to secret names")
    client_ids = raw.get("client_ids") or []
    if not isinstance(client_ids, list) or not all(isinstance(c, str) and c for c in client_ids):
        raise CompaniesError(f"{where}: client_ids is a list of OAuth client ids")
    try:
        settings = from_mapping(dict(raw.get("settings") or {}))
    except SettingsError as exc:
        raise CompaniesError(f"{where}: settings: {exc}") from exc
    return Company(company_id, str(raw.get("name") or company_id), sheet,
                   frozenset(e.strip().lower() for e in emails),
                   {k: str(v) for k, v in secrets.items() if v}, tuple(client_ids), settings)


def settings_mapping(settings: Settings) -> dict:
    """The settings that differ from the defaults, as a companies file would write them:
    `company_from_mapping` reads them back to the same Settings."""
    default = Settings()
    out = {}
    for f in dataclass_fields(Settings):
        value = getattr(settings, f.name)
        if value != getattr(default, f.name):
            out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def company_mapping(company: Company) -> dict:
    """The company's fields as in a companies file (its id is the key, not a field)."""
    return {"name": company.name, "spreadsheet_id": company.spreadsheet_id,
            "allowed_emails": sorted(company.allowed_emails),
            "secrets": dict(company.secrets), "client_ids": list(company.client_ids),
            "settings": settings_mapping(company.settings)}


def companies_from_mapping(raw: Mapping) -> Companies:
    table = raw.get("companies") if isinstance(raw, Mapping) else None
    if not isinstance(table, Mapping) or not table:
        raise CompaniesError("expected a non-empty `companies` table")
    return Companies(company_from_mapping(cid, fields) for cid, fields in table.items())


def load_companies(path: str | Path) -> Companies:
    return companies_from_mapping(read_companies_file(path))


def read_companies_file(path: str | Path) -> dict:
    """A companies file's raw mapping, checked (CompaniesError saying where otherwise)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CompaniesError(f"no companies file at {path} (see "
                             "backend/auth/companies.example.json)") from None
    try:
        raw = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise CompaniesError(f"{path}: {exc}") from exc
    try:
        companies_from_mapping(raw)
    except CompaniesError as exc:
        raise CompaniesError(f"{path}: {exc}") from exc
    return raw
