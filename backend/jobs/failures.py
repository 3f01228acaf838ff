"""What the accountant reads when an action does not go through, in French, and never a
secret: each message is built from what failed, not copied from a library's text (those go to
the log, scrubbed)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from backend.core.settings import SettingsError
from backend.errors import AlreadyRunning, ServiceError
from backend.formats.fec import FecError
from backend.jobs.model import DONE, FAILED
from backend.logs import stack
from backend.secrets import SecretMissing, scrub

log = logging.getLogger(__name__)

SERVICE_NAMES = {"stripe": "Stripe", "sheets": "Google Sheets", "hubspot": "HubSpot"}


class ActionRefused(Exception):
    """An action that would be wrong declines (French message): nothing was changed."""


REFUSED, FAILED_WORD = "Refusé", "Échec"


def record_failure(conn, label: str, message: str, at: datetime, refused: bool = True) -> bool:
    """The line in Historique of an action that did not go through: the action, "Refusé"
    (it declined: nothing was changed) or "Échec" (it failed) and the reason, at `at` (UTC)
    in the company's time zone. `conn` is the job's ActionConnections (sheet, settings,
    trigger). The one writer of these lines: the use cases write Historique only when they
    go through. If the sheet cannot be reached (or refuses the line), the failure stays in
    the job and in the log, and the action's answer is unchanged: False then."""
    from backend import spreadsheet
    try:
        zone = conn.settings.timezone
    except Exception:   # the Paramètres tab itself may be why it was refused
        zone = conn.company.settings.timezone
    word = REFUSED if refused else FAILED_WORD
    try:
        spreadsheet.append_history(conn.sheet, conn.trigger, label, f"{word} : {message}",
                                   at, zone=zone)
    except Exception:
        log.warning("%s of %s for %s not written in Historique: %s", word, label,
                    conn.company.id, stack())
        return False
    return True


def explain(exc: BaseException, label: str) -> tuple[str, str, str]:
    """(state, outcome, French message) for an exception out of an action."""
    from backend.journal_sheet import LayoutError
    from backend.services.sheet_journal import ExportRefused
    if isinstance(exc, (ActionRefused, ExportRefused)):
        return DONE, "refused", scrub(str(exc))
    if isinstance(exc, LayoutError):   # the sheet's header or tabs, as the accountant left them
        return DONE, "refused", f"{label} impossible : {scrub(str(exc))}"
    if isinstance(exc, AlreadyRunning):
        return FAILED, "error", ("Une autre exécution est déjà en cours pour cette société ; "
                                 "réessayez dans quelques minutes.")
    if isinstance(exc, SecretMissing):
        return FAILED, "error", (f"{label} : une clé d'accès de la société n'est pas configurée "
                                 f"(secret « {exc.name} ») ; prévenez la personne qui a installé "
                                 "le service.")
    if isinstance(exc, SettingsError):
        return DONE, "refused", f"Paramètres invalides : {scrub(str(exc))}"
    if isinstance(exc, FecError):
        return DONE, "refused", f"Le FEC serait invalide : {scrub(str(exc))}"
    if isinstance(exc, ServiceError):
        service = SERVICE_NAMES.get(exc.service, exc.service)
        own = getattr(exc, "french", None)
        if isinstance(own, str) and own:
            # The adapter knows what a person must do (a HubSpot scope to grant, say).
            return FAILED, "error", f"{label} : {scrub(own)}"
        if exc.status in (401, 403):
            return FAILED, "error", (f"{service} refuse l'accès avec la clé configurée pour cette "
                                     "société ; prévenez la personne qui a installé le service.")
        status = f" (code {exc.status})" if exc.status else ""
        return FAILED, "error", (f"{service} n'a pas répondu correctement{status} ; relancez "
                                 "plus tard : l'action reprendra là où elle s'est arrêtée.")
    if isinstance(exc, (OperationalError, InterfaceError)) or (
            isinstance(exc, DBAPIError) and exc.connection_invalidated):
        # The ledger store did not answer (a restart, a lost connection, a lock held too long):
        # every write of a run is one transaction, so a rerun picks up where this one stopped.
        return FAILED, "error", (f"{label} : la base de suivi n'a pas répondu ; relancez dans "
                                 "quelques minutes : l'action reprendra là où elle s'est "
                                 "arrêtée, sans rien écrire deux fois.")
    return FAILED, "error", (f"{label} : erreur inattendue ; elle est enregistrée dans le journal "
                             "du serveur.")
