"""The throwaway PostgreSQL server of the tests (stress/postgres.py, shared with `make stress`),
and the policy for pytest: `for_tests()`.

    with PostgresServer.start() as server:
        url = server.create_database()       # postgresql+psycopg://...
        test_url = server.create_schema(url) # the same database, its own empty schema
"""

from __future__ import annotations

from stress.postgres import (PostgresServer, PostgresUnavailable,  # noqa: F401 (re-exported)
                             ci_requires_postgres, find_bindir, schema_url)


def for_tests():
    """Start a server for a pytest session (a generator for a session-scoped fixture).

    No binaries: skip the PostgreSQL tests on a developer machine, but fail on CI (CI set),
    where a silently skipped half of the suite would hide PostgreSQL-only bugs."""
    import pytest

    try:
        bindir = find_bindir()
    except PostgresUnavailable as exc:
        if ci_requires_postgres():
            pytest.fail(f"CI is set but PostgreSQL is missing: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL not installed, its half of the tests is skipped: {exc}")
    server = PostgresServer.start(bindir)
    try:
        yield server
    finally:
        server.stop()
