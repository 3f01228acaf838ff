"""Throwaway ledger stores for the fault campaigns, on SQLite (files) or on PostgreSQL (the
production database: databases of a server the campaign starts, stress/postgres.py).

A `StoreSite` is plain data, so that the campaign's worker processes get it: each schedule
takes a fresh store (a copy of an empty migrated one), or a copy of a saved one (the sync's
second phase starts from the store a first sync left), and drops it after.

    with open_site("postgresql", tmp) as site:
        url = site.fresh("run-7")          # migrated, empty
        saved = site.copy(url, "phase")    # the same rows, in a store of its own
        site.drop(url)

`taking_over` gives the clean run after a faulted one the lease the faulted run left.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from backend.services.locked import Lease
from backend.store.ledger import LedgerStore

KINDS = ("sqlite", "postgresql")
BLANK = "blank"
_names = itertools.count(1)


@dataclass(frozen=True)
class StoreSite:
    kind: str                 # "sqlite" | "postgresql"
    folder: str               # SQLite: where the files go
    server: str = ""          # PostgreSQL: the server's URL, without a database name

    def url(self, name: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{Path(self.folder) / f'{name}.db'}"
        return f"{self.server}/{name}"

    def fresh(self, name: str) -> str:
        """An empty store (migrated), its URL; `name` unique among this site's stores."""
        return self.copy(self.url(BLANK), name)

    def copy(self, source: str, name: str) -> str:
        """A store holding what `source` holds (nobody may be connected to `source`)."""
        name = _unique(name)
        if self.kind == "sqlite":
            shutil.copy(_sqlite_path(source), Path(self.folder) / f"{name}.db")
        else:
            _admin(self.server, f'CREATE DATABASE "{name}" TEMPLATE "{_database(source)}"'
                                f"{_file_copy(self.server)}")
        return self.url(name)

    def drop(self, url: str) -> None:
        if self.kind == "sqlite":
            path = _sqlite_path(url)
            for leftover in (path, Path(f"{path}-journal")):
                leftover.unlink(missing_ok=True)
        else:
            # FORCE: a killed run's connection the server has not noticed yet does not block.
            _admin(self.server, f'DROP DATABASE IF EXISTS "{_database(url)}" WITH (FORCE)')


@contextmanager
def open_site(kind: str, folder: Path) -> Iterator[StoreSite]:
    """The site, with its blank store; for PostgreSQL a server of its own, stopped after."""
    if kind not in KINDS:
        raise ValueError(f"store must be one of {KINDS}, not {kind!r}")
    if kind == "sqlite":
        site = StoreSite(kind, str(folder))
        _migrate(site.url(BLANK))
        yield site
        return
    from stress.postgres import PostgresServer
    with PostgresServer.start() as server:
        site = StoreSite(kind, str(folder), server.url("").rstrip("/"))
        _admin(site.server, f'CREATE DATABASE "{BLANK}"')
        _migrate(site.url(BLANK))
        yield site


def taking_over(store: LedgerStore, company: str) -> Lease:
    """The next run's lease: its clock past the expiry of a lease a faulted run left (killed,
    or its release failed). The next run waits that minute at most in production; the
    campaign does not wait it."""
    held = store.lock_holder(company)
    if held is None:
        return Lease()
    expires = held[1] if held[1].tzinfo else held[1].replace(tzinfo=timezone.utc)
    skew = max(timedelta(0), expires + timedelta(seconds=1) - datetime.now(timezone.utc))
    return Lease(clock=lambda: datetime.now(timezone.utc) + skew)


def _migrate(url: str) -> None:
    store = LedgerStore(url)
    try:
        store.migrate()
    finally:
        store.close()


def _unique(name: str) -> str:
    """Database and file names unique across the campaign's processes."""
    return f"{name}_{os.getpid()}_{next(_names)}".replace("-", "_").lower()


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _database(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?")[0]


def _admin(server: str, sql: str) -> None:
    import psycopg
    with psycopg.connect(_libpq(server, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _libpq(server: str, database: str) -> str:
    return server.replace("postgresql+psycopg://", "postgresql://") + f"/{database}"


_FILE_COPY: dict[str, str] = {}


def _file_copy(server: str) -> str:
    """PostgreSQL 15+ copies a small template faster file by file than through the WAL."""
    if server not in _FILE_COPY:
        import psycopg
        with psycopg.connect(_libpq(server, "postgres"), autocommit=True) as conn:
            version = conn.info.server_version
        _FILE_COPY[server] = " STRATEGY FILE_COPY" if version >= 150000 else ""
    return _FILE_COPY[server]
