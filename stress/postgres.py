"""A throwaway PostgreSQL server for the tests and `make stress --store postgresql`: its own data
directory in a temp dir, on a free loopback port, durability off (it is thrown away), stopped
and deleted at the end.

Uses the server binaries of the machine (Debian's postgresql package puts them in
/usr/lib/postgresql/<version>/bin; PG_BINDIR overrides). PostgreSQL refuses to run as root:
as root, initdb and pg_ctl run as the `postgres` system user (created by the package).

    with PostgresServer.start() as server:
        url = server.create_database()       # postgresql+psycopg://...
        test_url = server.create_schema(url) # the same database, its own empty schema

tests/postgres.py adds the policy for pytest (no binaries: skip on a laptop, fail on CI).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SUPERUSER = "postgres"
# A test database is cheap; the server is not: tune for a fast start and fast writes.
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "16MB",
    "max_connections": "100",
    "log_min_messages": "warning",
}


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def find_bindir() -> Path:
    """The directory of initdb and pg_ctl: PG_BINDIR, else Debian's newest, else PATH."""
    if os.environ.get("PG_BINDIR"):
        candidates = [Path(os.environ["PG_BINDIR"])]
    else:
        debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: _version_key(Path(p).parent.parent.name))
        candidates = [Path(p).parent for p in reversed(debian)]
        on_path = shutil.which("initdb")
        if on_path:
            candidates.append(Path(on_path).parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin "
        "or on PATH; install them with `apt-get install -y postgresql` (or set PG_BINDIR)")


def _version_key(name: str) -> tuple:
    return tuple(int(part) if part.isdigit() else 0 for part in name.split("."))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self, bindir: Path, root: Path, port: int) -> None:
        self.bindir = bindir
        self.root = root          # temp dir: data/, socket dir, log
        self.port = port
        self._names = itertools.count(1)
        self.start_seconds = 0.0  # how long start() took (reported by the tests)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    # --- lifecycle ----------------------------------------------------------------------

    @classmethod
    def start(cls, bindir: Path | None = None, attempts: int = 3) -> PostgresServer:
        bindir = bindir or find_bindir()
        started = time.perf_counter()
        # A short path (unix socket paths are limited to about 100 characters), and one the
        # `postgres` user can reach when we are root (pytest's own temp dirs are private).
        root = Path(tempfile.mkdtemp(prefix="ledger-pg-",
                                     dir="/tmp" if os.geteuid() == 0 else None))
        try:
            _give_to_server_user(root)
            server = cls(bindir, root, _free_port())
            server._initdb()
            for attempt in range(1, attempts + 1):
                try:
                    server._start()
                    break
                except RuntimeError:
                    if attempt == attempts:
                        raise
                    server.port = _free_port()   # the free port was taken meanwhile?
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        server.start_seconds = time.perf_counter() - started
        return server

    def stop(self) -> None:
        # Immediate: no checkpoint to wait for, the data is thrown away.
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop",
                  check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _initdb(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# throwaway test server\n")
            conf.writelines(f"{name} = {value}\n" for name, value in SETTINGS.items())

    def _start(self) -> None:
        options = f"-p {self.port} -k '{self.root}'"
        result = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                           "-w", "-t", "30", "start", check=False)
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start (pg_ctl exit {result.returncode}):\n"
                               f"{result.stdout}{result.stderr}\n{self._log_tail()}")

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n"
                               f"{result.stdout}{result.stderr}")
        return result

    # --- databases ----------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "test") -> str:
        """A new empty database; its SQLAlchemy URL."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        # FORCE (PostgreSQL 13+): connections a failed test left open do not block the drop.
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create_schema(self, database_url: str, prefix: str = "t") -> str:
        """A new empty schema in a database; a URL whose connections use it (search_path).

        Much cheaper than a database per test (1 ms against 300 ms for CREATE DATABASE)."""
        name = f"{prefix}_{next(self._names)}"
        database = database_url.rsplit("/", 1)[1]
        self._admin(f'CREATE SCHEMA "{name}"', database)
        return schema_url(database_url, name)

    def drop_schema(self, url: str) -> None:
        database, _, query = url.rsplit("/", 1)[1].partition("?")
        name = query.rsplit("%3D", 1)[1]
        self._admin(f'DROP SCHEMA IF EXISTS "{name}" CASCADE', database)

    def _admin(self, sql: str, database: str = "postgres") -> None:
        import psycopg   # imported here: the module is usable to find binaries without it

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER,
                             dbname=database, autocommit=True) as conn:
            conn.execute(sql)


def schema_url(database_url: str, schema: str) -> str:
    """database_url, its connections working in schema (libpq's `options`, URL-encoded)."""
    return f"{database_url.split('?')[0]}?options=-csearch_path%3D{schema}"


def _give_to_server_user(root: Path) -> None:
    """As root, the server runs as `postgres`: it must own its directory."""
    if os.geteuid() != 0:
        return
    try:
        shutil.chown(root, user="postgres", group="postgres")
    except LookupError as exc:
        raise RuntimeError("running as root, but there is no `postgres` system user to run "
                           "the server (install Debian's postgresql package)") from exc


def ci_requires_postgres() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
