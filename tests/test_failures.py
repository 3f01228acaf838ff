"""What the accountant reads when an action fails: French, specific, never a library's text."""

import sqlite3

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError

from backend.errors import ServiceError
from backend.jobs.failures import explain
from backend.jobs.model import FAILED


def test_a_database_hiccup_says_to_rerun_later():
    exc = OperationalError("UPDATE run_locks ...", {}, sqlite3.OperationalError("database is locked"))
    state, outcome, message = explain(exc, "Génération")
    assert (state, outcome) == (FAILED, "error")
    assert "base de suivi n'a pas répondu" in message and "relancez" in message
    assert "locked" not in message and "UPDATE" not in message


def test_a_real_database_error_is_still_unexpected():
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        conn.execute(sa.text("create table t (id integer primary key)"))
        conn.execute(sa.text("insert into t values (1)"))
        try:
            conn.execute(sa.text("insert into t values (1)"))
        except IntegrityError as exc:
            caught = exc
    assert "erreur inattendue" in explain(caught, "Génération")[2]


def test_a_service_error_names_the_service():
    message = explain(ServiceError("sheets", "backend error", transient=True, status=503), "Génération")[2]
    assert "Google Sheets" in message and "503" in message


def test_a_missing_hubspot_scope_says_which_to_grant():
    from backend.adapters.hubspot_crm import MissingScopes
    exc = MissingScopes([("crm.objects.deals.read",)], "POST /crm/v3/objects/deals/search")
    state, outcome, message = explain(exc, "Synchronisation des clients")
    assert (state, outcome) == (FAILED, "error")
    assert "« crm.objects.deals.read »" in message and "Applications privées" in message
    assert "refuse l'accès avec la clé" not in message
