"""The backend's collaborators, built once per app from its config: the companies, the token
verifier, the secrets, the ledger store, the job store and the job runner.

The stores are opened on first use (so that the health check and a start with no database
at hand work), then migrated. Tests and the local preview pass ready-made objects in the
config instead: COMPANIES, SECRETS, LEDGER_STORE, JOB_STORE, DISPATCHER, TOKEN_REQUEST,
CLOCK, ACTIONS.

The companies come from the company registry in the ledger database (backend/auth/
registry.py, managed with `python -m backend companies`), the source of truth: it is read at
each request, so a company added, changed or removed there is served (or refused) at once,
with no restart. COMPANIES_FILE, when the file exists, is read at start (a wrong file stops
the start in production, as does a COMPANIES_FILE set to a file that is not there) and its
companies that the registry lacks are added to it when the registry is first used, so that a
deployment made with a companies file keeps working; a company already in the registry is
left as the registry has it (a difference is logged: `companies import FILE` applies it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from pathlib import Path

from backend.auth.companies import CompaniesError, read_companies_file
from backend.auth.registry import CompanyRegistry, RegistryError
from backend.auth.tokens import CachingRequest, TokenVerifier
from backend.jobs.actions import ACTIONS
from backend.jobs.connections import ServiceUrls, connector
from backend.jobs.dispatch import CloudTasksDispatcher, ThreadDispatcher
from backend.jobs.runner import JobRunner, PendingStarts, utcnow
from backend.jobs.sql_store import SqlJobStore
from backend.secrets import secret_source_from_env
from backend.store.ledger import LedgerStore, with_driver
from backend.web.config import public_base_url

log = logging.getLogger(__name__)

# Read at start when it exists even if COMPANIES_FILE is not set (deploy/ ships one there).
DEFAULT_COMPANIES_FILE = "companies.json"


def _public_base(config: Mapping) -> str | None:
    # create_app already refused a malformed PUBLIC_BASE_URL; a Backend built alone says None.
    try:
        return public_base_url(config)
    except ValueError:
        return None


class Backend:
    def __init__(self, config: Mapping) -> None:
        self.config = config
        self.clock = config.get("CLOCK") or utcnow
        self.actions = config["ACTIONS"] if config.get("ACTIONS") is not None else ACTIONS
        # Ready-made companies (tests, the preview), else the registry, opened on first use.
        self._companies = config.get("COMPANIES")
        self._companies_file = self._read_companies_file() if self._companies is None else None
        self._companies_lock = threading.Lock()
        self.secrets = (config["SECRETS"] if config.get("SECRETS") is not None
                        else secret_source_from_env())
        self.verifier = TokenVerifier(config["GOOGLE_CERTS_URL"],
                                      config.get("TOKEN_REQUEST") or CachingRequest())
        self.urls = ServiceUrls(config.get("STRIPE_API_BASE"), config.get("SHEETS_API_BASE"),
                                config.get("HUBSPOT_API_BASE"), _public_base(config))
        self._lock = threading.Lock()
        self._ledger: LedgerStore | None = config.get("LEDGER_STORE")
        self._job_store = None
        self._runner: JobRunner | None = None

    # --- the companies served -------------------------------------------------------------

    @property
    def companies(self):
        """The ready-made companies of the config, else the registry (Companies' interface)."""
        if self._companies is None:
            with self._companies_lock:
                if self._companies is None:
                    registry = CompanyRegistry(self.ledger().engine)
                    if self._companies_file is not None:
                        self._import_companies_file(registry)
                    if not len(registry):
                        log.warning("the company registry is empty: every request but the "
                                    "health check is refused until `python -m backend "
                                    "companies add` (or import) adds one; no restart needed")
                    self._companies = registry
        return self._companies

    def _read_companies_file(self) -> dict | None:
        """COMPANIES_FILE's mapping, checked now: a wrong file is said at start, not at the
        first request. No file at the default path: the registry alone."""
        explicit = str(self.config.get("COMPANIES_FILE") or "").strip()
        path = Path(explicit or DEFAULT_COMPANIES_FILE)
        if not path.is_file() and not explicit:
            return None
        try:
            return read_companies_file(path)
        except CompaniesError as exc:
            if self.config.get("PRODUCTION"):
                raise
            log.warning("%s: the company registry alone is served", exc)
            return None

    def _import_companies_file(self, registry: CompanyRegistry) -> None:
        for attempt in (1, 2):
            try:
                report = registry.import_mapping(self._companies_file, keep_existing=True)
                break
            except RegistryError as exc:
                # Another instance starting at the same moment imported them first (then the
                # second attempt finds them), or a file company takes a registry company's
                # spreadsheet: the registry wins, said in the log.
                if attempt == 2:
                    log.error("companies file not imported into the registry: %s", exc)
                    return
        if report.added:
            log.info("companies file: added to the registry: %s", ", ".join(report.added))
        if report.differing:
            log.warning("companies file: %s differ(s) from the registry, which is the source "
                        "of truth and is served as it is (`python -m backend companies import "
                        "FILE` applies the file)", ", ".join(report.differing))

    # --- who may call -----------------------------------------------------------------

    def user_audiences(self) -> set[str]:
        # The add-on's client ids and every company's own, read now: a company added with its
        # bound script's client id is accepted from its first request.
        return set(self.config["ID_TOKEN_AUDIENCES"]) | self.companies.client_ids()

    # --- stores -----------------------------------------------------------------------

    def ledger(self) -> LedgerStore:
        with self._lock:
            return self._ledger_locked()

    def _ledger_locked(self) -> LedgerStore:
        if self._ledger is None:
            store = LedgerStore(self._database_url())
            store.migrate()
            self._ledger = store
        return self._ledger

    def _database_url(self) -> str:
        if self.config.get("DATABASE_URL"):
            return with_driver(self.config["DATABASE_URL"])
        if self.config.get("DATABASE_URL_SECRET"):
            return with_driver(self.secrets.get(self.config["DATABASE_URL_SECRET"]).reveal())
        if self.config.get("PRODUCTION"):
            raise RuntimeError("no database: set DATABASE_URL or DATABASE_URL_SECRET")
        return "sqlite:///ledger.db"

    def job_store(self):
        with self._lock:
            if self._job_store is None:
                store = self.config.get("JOB_STORE")
                if store is None:
                    store = SqlJobStore(self._ledger_locked().engine)
                    store.ensure_tables()
                self._job_store = store
            return self._job_store

    # --- jobs -------------------------------------------------------------------------

    def _dispatcher(self):
        if self.config.get("DISPATCHER") is not None:
            return self.config["DISPATCHER"]
        if self.config["JOB_DISPATCH"] == "cloud-tasks":
            return CloudTasksDispatcher(self.config["TASKS_QUEUE"], self.config["TASKS_URL"],
                                        self.config["TASKS_SERVICE_ACCOUNT"],
                                        self.config.get("SERVICE_AUDIENCE") or None)
        return ThreadDispatcher()

    def runner(self) -> JobRunner:
        store = self.job_store()
        companies = self.companies      # before the lock: the registry opens the ledger
        with self._lock:
            if self._runner is None:
                self._runner = JobRunner(
                    store, self._dispatcher(), self.actions, companies,
                    connector(self.ledger, self.secrets, self.urls, self.clock), clock=self.clock,
                    pending=PendingStarts(self.ledger))
            return self._runner
