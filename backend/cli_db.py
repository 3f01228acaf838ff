"""Command line: `python -m backend db upgrade|current`, the ledger store's schema.

The web app and the other commands migrate the store when they open it; `db upgrade` does
it alone, e.g. before a deploy, or to see what a release would apply.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import OperationalError

from backend.store import migrations
from backend.store.ledger import database_url
from backend.store.schema import make_engine

EXIT_DATABASE = 1   # the database could not be reached, or a migration failed (rolled back)


def cmd_upgrade(args: argparse.Namespace) -> int:
    engine = make_engine(database_url(args.database_url))
    try:
        applied = migrations.migrate(engine)
    except OperationalError as exc:
        print(f"error: {exc.orig or exc}; nothing applied", file=sys.stderr)
        return EXIT_DATABASE
    finally:
        engine.dispose()
    head = migrations.head_revision()
    if applied:
        print(f"database at {head} (head); applied: {', '.join(applied)}")
    else:
        print(f"already up to date at {head}")
    return 0


def cmd_current(args: argparse.Namespace) -> int:
    engine = make_engine(database_url(args.database_url))
    try:
        current = migrations.current_revision(engine)
    except OperationalError as exc:
        print(f"error: {exc.orig or exc}", file=sys.stderr)
        return EXIT_DATABASE
    finally:
        engine.dispose()
    head = migrations.head_revision()
    if current is None:
        print(f"empty database (no revision); head is {head}")
    elif current == head:
        print(f"database at {current} (head)")
    else:
        print(f"database at {current}; head is {head}: run `python -m backend db upgrade`")
    return 0


def register(commands) -> None:
    """Add `db` to the CLI's subcommands (the argparse subparsers object)."""
    db = commands.add_parser("db", help="the ledger store's schema: upgrade, current")
    actions = db.add_subparsers(dest="db_command", required=True)
    for name, run, text in (
            ("upgrade", cmd_upgrade, "apply the migrations the database has not had yet"),
            ("current", cmd_current, "the database's revision, and the code's (head)")):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("--database-url", "--database", dest="database_url",
                         help="ledger store URL (or DATABASE_URL; sqlite:///ledger.db)")
        sub.set_defaults(run=run)
