"""The backend's collaborators, built once per app from its config: the companies, the token
verifier, the secrets, the ledger store, the job store and the job runner.

The stores are opened on first use (so that the health check and a start with no database
at hand work), then migrated. Tests and the local preview pass ready-made objects in the
config instead: COMPANIES, SECRETS, LEDGER_STORE, JOB_STORE, DISPATCHER, TOKEN_REQUEST,
CLOCK, ACTIONS.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from backend.auth.companies import Companies, CompaniesError, load_companies
from backend.auth.tokens import CachingRequest, TokenVerifier
from backend.jobs.actions import ACTIONS
from backend.jobs.connections import ServiceUrls, connector
from backend.jobs.dispatch import CloudTasksDispatcher, ThreadDispatcher
from backend.jobs.runner import JobRunner, PendingStarts, utcnow
from backend.jobs.sql_store import SqlJobStore
from backend.secrets import secret_source_from_env
from backend.store.ledger import LedgerStore

log = logging.getLogger(__name__)


class Backend:
    def __init__(self, config: Mapping) -> None:
        self.config = config
        self.clock = config.get("CLOCK") or utcnow
        self.actions = config["ACTIONS"] if config.get("ACTIONS") is not None else ACTIONS
        self.companies = (config["COMPANIES"] if config.get("COMPANIES") is not None
                          else self._load_companies())
        self.secrets = (config["SECRETS"] if config.get("SECRETS") is not None
                        else secret_source_from_env())
        self.verifier = TokenVerifier(config["GOOGLE_CERTS_URL"],
                                      config.get("TOKEN_REQUEST") or CachingRequest())
        self.urls = ServiceUrls(config.get("STRIPE_API_BASE"), config.get("SHEETS_API_BASE"),
                                config.get("HUBSPOT_API_BASE"))
        self._lock = threading.Lock()
        self._ledger: LedgerStore | None = config.get("LEDGER_STORE")
        self._job_store = None
        self._runner: JobRunner | None = None

    def _load_companies(self) -> Companies:
        try:
            return load_companies(self.config["COMPANIES_FILE"])
        except CompaniesError as exc:
            if self.config.get("PRODUCTION"):
                raise
            log.warning("%s: every request but the health check will be refused", exc)
            return Companies()

    # --- who may call -----------------------------------------------------------------

    def user_audiences(self) -> set[str]:
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
            return _driver(self.config["DATABASE_URL"])
        if self.config.get("DATABASE_URL_SECRET"):
            return _driver(self.secrets.get(self.config["DATABASE_URL_SECRET"]).reveal())
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
        with self._lock:
            if self._runner is None:
                self._runner = JobRunner(
                    store, self._dispatcher(), self.actions, self.companies,
                    connector(self.ledger, self.secrets, self.urls, self.clock), clock=self.clock,
                    pending=PendingStarts(self.ledger))
            return self._runner


def _driver(url: str) -> str:
    """postgres:// and postgresql:// with the psycopg 3 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
