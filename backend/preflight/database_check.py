"""The database check: the ledger store answers, and its schema is at the last Alembic
revision (else a run would fail on a missing table or column).
"""

from __future__ import annotations

from backend.preflight.helpers import scrubbed_quote
from backend.preflight.report import ERROR, LABEL_DATABASE, OK, CheckLine
from backend.preflight.setup import PreflightSetup


def _revisions(engine) -> tuple[str | None, str, bool]:
    """(current, head, up to date) of the Alembic revisions."""
    from backend.store import migrations
    current = migrations.current_revision(engine)
    return current, migrations.head_revision(), migrations.is_up_to_date(engine)


def check_database(setup: PreflightSetup, shared: dict) -> CheckLine:
    label = LABEL_DATABASE
    if setup.engine is None:
        return CheckLine(ERROR, label, "aucune base configurée",
                         "Réglez DATABASE_URL (ou DATABASE_URL_SECRET) du backend.")
    engine = setup.engine()
    try:
        import sqlalchemy as sa
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        current, head, up_to_date = _revisions(engine)
    except Exception as exc:  # noqa: BLE001 - OperationalError, a driver's own, a bad URL
        return CheckLine(ERROR, label, f"base injoignable ({engine.dialect.name}) : "
                         + scrubbed_quote(_first_line(exc), 200),
                         "Vérifiez DATABASE_URL (hôte, port, utilisateur, mot de passe) et que "
                         "le serveur (Cloud SQL) accepte les connexions du backend.")
    if not up_to_date:
        return CheckLine(ERROR, label, f"base joignable ({engine.dialect.name}) mais non à jour "
                         f": révision {current or 'aucune (base vide)'}, attendue {head}",
                         "Appliquez les migrations : python -m backend db upgrade (avec "
                         "DATABASE_URL de cette base ; deploy/ le fait à chaque déploiement).")
    return CheckLine(OK, label, f"base joignable ({engine.dialect.name}), à la dernière "
                     f"révision ({head})")


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
