"""The actions of the sidebar, the menu and the daily trigger: one entry each in ACTIONS.

An entry names the action, its French label (the button's, the Historique's), the stages its
progress goes through (for the progress bar), how its parameters are checked, and the
function that does it: `run(connections, progress) -> report`, where `connections` is an
`ActionConnections` (jobs/connections.py), `progress(stage, done, total)` the callback the
use cases already take, and the report anything with `.french()` (one line for the
accountant) and `.summary()` (a JSON-ready dict); optionally `.outcome` ("ok", "warning",
"refused", "unavailable"), `.files` (JobFile list, offered for download) and `.anomalies`.

An action whose use case is not there yet gets `run=not_yet("Sa description")` and
`available=False`: it answers, in French, that it is not available, and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from backend.auth.companies import Company
from backend.jobs.connections import ActionConnections
from backend.jobs.failures import ActionRefused
from backend.jobs.model import JobFile
from backend.ports import Progress

PREPARE = "Lecture des paramètres"


class ParamError(ValueError):
    """The request's parameters are wrong (French message, shown as is)."""


@dataclass
class ActionReport:
    """A report for actions whose use case returns something else (or nothing)."""
    message: str
    data: dict = field(default_factory=dict)
    outcome: str = "ok"
    files: list[JobFile] = field(default_factory=list)
    anomalies: int | None = None

    def french(self) -> str:
        return self.message

    def summary(self) -> dict:
        return dict(self.data)


def no_params(raw: dict, company: Company, now: datetime) -> dict:
    return {}


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    run: Callable[[ActionConnections, Progress], object]
    stages: tuple[str, ...] = ()
    params: Callable[[dict, Company, datetime], dict] = no_params
    available: bool = True
    scheduled: bool = False         # may the daily trigger / the scheduler start it

    @property
    def all_stages(self) -> tuple[str, ...]:
        return (PREPARE,) + self.stages


# --- not yet available --------------------------------------------------------------------

def not_yet(what: str) -> Callable[[ActionConnections, Progress], ActionReport]:
    """The `run` of an action announced in the sidebar before its use case exists."""
    def run(conn: ActionConnections, progress: Progress) -> ActionReport:
        return ActionReport(f"{what} n'est pas encore disponible. Rien n'a été modifié.",
                            {"available": False}, outcome="unavailable")
    return run


# --- sync: HubSpot and Stripe kept in step -------------------------------------------------

# What needs her, first in the sidebar: a short list of {"title", "items"}, the title a count
# ("1 client à vérifier"), the items the first few records or documents, each said in full.
ATTENTION_ITEMS = 5


def attention(title: str, items: list[str]) -> dict:
    return {"title": title, "items": items[:ATTENTION_ITEMS]
            + ([f"… et {len(items) - ATTENTION_ITEMS} autre(s)"] if len(items) > ATTENTION_ITEMS
               else [])}


def counted(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


class SyncOutcome:
    """The sync's report, with an outcome: conflicts to settle or records left alone are a
    warning for the accountant, listed first (`attention`)."""

    def __init__(self, report, products: bool = True, customers: bool = True) -> None:
        self.report = report
        self.products_only = products and not customers
        data = report.summary()
        self.outcome = "warning" if data.get("conflicts") or data.get("problems") else "ok"
        kind = (("produit", "produits") if self.products_only
                else ("client", "clients") if not products else ("fiche", "fiches"))
        self.attention = []
        if report.problems:
            self.attention.append(attention(
                counted(len(report.problems), *kind) + " à vérifier", list(report.problems)))
        if report.conflicts:
            self.attention.append(attention(
                counted(len(report.conflicts), "conflit à arbitrer", "conflits à arbitrer"),
                [c.french() for c in report.conflicts]))

    def french(self) -> str:
        return self.report.french()

    def summary(self) -> dict:
        return {**self.report.summary(), "attention": self.attention}


def sync_runner(products: bool, customers: bool):
    def run(conn: ActionConnections, progress: Progress) -> SyncOutcome:
        from backend.services.sync import sync
        settings = conn.settings
        progress("Synchronisation HubSpot ↔ Stripe", 0, None)
        return SyncOutcome(sync(conn.hubspot, conn.stripe_catalog, conn.store, settings,
                                conn.company_id, products=products, customers=customers,
                                trigger=conn.trigger, sheet=conn.sheet, now=conn.now),
                           products, customers)
    return run


# --- generate, dedupe, validate, export ---------------------------------------------------

# Triggers of the daily run: it syncs HubSpot into Stripe first (when the company has HubSpot),
# so that yesterday's new products and customers carry their codes into today's entries.
SCHEDULED_TRIGGERS = ("déclencheur quotidien", "planificateur")


class GenerateOutcome:
    """The generation's report (or the daily run's), with what needs her first: the
    documents left as anomalies, each with its reason (the Anomalies tab has them all)."""

    def __init__(self, report) -> None:
        self.report = report
        self.outcome = getattr(report, "outcome", "ok")
        generated = getattr(report, "generate", None) or report
        result = getattr(generated, "result", None)
        anomalies = list(getattr(result, "anomalies", []) or [])
        self.attention = [attention(
            counted(len(anomalies), "anomalie à corriger", "anomalies à corriger"),
            [f"{a.number or a.document_id} : {a.reason}" for a in anomalies])] if anomalies else []
        synced = getattr(report, "sync", None)       # the daily run's sync, first
        if synced is not None:
            self.attention = SyncOutcome(synced).attention + self.attention

    def french(self) -> str:
        return self.report.french()

    def summary(self) -> dict:
        return {**self.report.summary(), "attention": self.attention}


def run_generate(conn: ActionConnections, progress: Progress) -> GenerateOutcome:
    if conn.trigger.startswith(SCHEDULED_TRIGGERS) and conn.company.secret_name("hubspot"):
        from backend.services.daily import daily
        progress("Synchronisation HubSpot ↔ Stripe", 0, None)
        return GenerateOutcome(daily(
            stripe=conn.stripe, sheet=conn.sheet, store=conn.store, settings=conn.settings,
            company=conn.company_id, hubspot=conn.hubspot, catalog=conn.stripe_catalog,
            trigger=conn.trigger, now=conn.now))
    from backend.services.generate import generate
    return GenerateOutcome(generate(conn.stripe, conn.sheet, conn.store, conn.settings,
                                    conn.company_id, trigger=conn.trigger, now=conn.now,
                                    progress=progress))


def run_dedupe(conn: ActionConnections, progress: Progress) -> ActionReport:
    from backend.services.sheet_journal import dedupe
    settings = conn.settings
    progress("Recherche des doublons", 0, None)
    report = dedupe(conn.sheet, settings, trigger=conn.trigger, now=conn.now)
    return ActionReport(report.french(), {"pieces": len(report.removed),
                                          "rows_removed": report.rows_removed})


def run_validate(conn: ActionConnections, progress: Progress) -> ActionReport:
    from backend.services.sheet_journal import validate
    settings = conn.settings
    progress("Contrôle des pièces", 0, None)
    report = validate(conn.sheet, settings, trigger=conn.trigger, now=conn.now)
    return ActionReport(report.french(), {"pieces": report.pieces, "lines": report.lines,
                                          "problems": len(report.problems)},
                        outcome="ok" if report.ok else "warning")


def month_label(month: str) -> str:
    """"2026-10" -> "octobre 2026": the one month-name table is sheet_journal's."""
    from backend.services.sheet_journal import french_month
    return french_month(month)


def previous_month(now: datetime, timezone: str) -> str:
    local = now.astimezone(ZoneInfo(timezone))
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def export_params(raw: dict, company: Company, now: datetime) -> dict:
    # A blank month is refused, never taken as the previous one: she exports the month she
    # chose (the sidebar fills the field with the previous month; the CLI requires --month).
    month = str(raw.get("month") or "").strip()
    if not month:
        raise ParamError("Choisissez le mois à exporter.")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise ParamError(f"Mois invalide « {month[:20]} » : attendu AAAA-MM, par exemple 2026-10.")
    return {"month": month}


def run_export(conn: ActionConnections, progress: Progress) -> ActionReport:
    from backend.services.sheet_journal import elsewhere_french, export_month
    month = conn.params["month"]
    settings = conn.settings
    progress("Lecture des écritures du mois", 0, None)
    try:
        export = export_month(conn.sheet, settings, month, trigger=conn.trigger, now=conn.now)
    except ValueError as exc:
        if type(exc) is not ValueError:      # ExportRefused: explained by the runner
            raise
        raise ActionRefused(str(exc)) from None
    charset = "windows-1252" if settings.export_encoding.lower() in ("cp1252", "windows-1252") \
        else settings.export_encoding
    files = [JobFile(f"inexweb-{month}.txt", f"text/plain; charset={charset}", export.inexweb),
             JobFile(export.fec_name, f"text/plain; charset={settings.fec_encoding}", export.fec)]
    # The sheet's lines of other months: why its count and the files' differ, said.
    others = elsewhere_french(export.elsewhere)
    return ActionReport(f"Mois exporté ({month_label(month)}) : {len(export.rows)} ligne(s) ; "
                        + (f"{others} ; " if others else "")
                        + f"fichiers prêts : {files[0].name} (Inexweb) et {files[1].name} (FEC)",
                        {"month": month, "lines": len(export.rows),
                         # the sheet's lines dated in other months (AAAA-MM -> lines), with why
                         "elsewhere": export.elsewhere,
                         "elsewhere_french": elsewhere_french(export.elsewhere)}, files=files)


# --- export_fec_year: the FEC of a fiscal year ---------------------------------------------

def fec_year_params(raw: dict, company: Company, now: datetime) -> dict:
    """`year`: the year the fiscal year starts in (the Paramètres' fiscal_year_start month)."""
    year = str(raw.get("year") or "").strip()
    if not year:
        raise ParamError("Indiquez l'année de l'exercice : AAAA, par exemple 2026.")
    if not re.fullmatch(r"(19|20)[0-9]{2}", year):
        raise ParamError(f"Année de l'exercice « {year[:20]} » invalide : attendu AAAA, par "
                         "exemple 2026.")
    return {"year": int(year)}


def run_export_fec_year(conn: ActionConnections, progress: Progress) -> ActionReport:
    from backend.services.sheet_journal import export_period, fiscal_year
    settings = conn.settings
    first, last = fiscal_year(conn.params["year"], settings)
    progress("Lecture des écritures de l'exercice", 0, None)
    try:
        export = export_period(conn.sheet, settings, first, last, trigger=conn.trigger,
                               now=conn.now)
    except ValueError as exc:
        if type(exc) is not ValueError:      # ExportRefused: explained by the runner
            raise
        raise ActionRefused(str(exc)) from None
    files = [JobFile(export.fec_name, f"text/plain; charset={settings.fec_encoding}", export.fec)]
    return ActionReport(f"FEC de l'exercice ({export.label}) : {export.pieces} pièce(s), "
                        f"{len(export.rows)} ligne(s) ; fichier prêt : {export.fec_name}",
                        {"first": first, "last": last, "pieces": export.pieces,
                         "lines": len(export.rows)}, files=files)


# --- check: the preflight ------------------------------------------------------------------

CHECK_STAGE = "Vérification de la configuration"


def run_check(conn: ActionConnections, progress: Progress):
    """Every check of the company's configuration (backend/preflight/); its report's
    outcome is "warning" if a line is, "refused" if a line is an error."""
    from backend.preflight import PreflightSetup, preflight
    progress(CHECK_STAGE, 0, None)
    return preflight(PreflightSetup(
        conn.company, conn.secrets, conn.urls, conn.google_credentials,
        lambda: conn.store.engine, public_base_url=conn.urls.public))


ACTIONS: dict[str, Action] = {action.name: action for action in (
    Action("sync_products", "Synchroniser les produits", sync_runner(True, False),
           ("Synchronisation HubSpot ↔ Stripe",)),
    Action("sync_customers", "Synchroniser les clients", sync_runner(False, True),
           ("Synchronisation HubSpot ↔ Stripe",)),
    Action("generate", "Générer les écritures", run_generate,
           ("Lecture de Stripe", "Rapprochement avec la feuille", "Écriture dans la feuille"),
           scheduled=True),
    Action("dedupe", "Supprimer les doublons", run_dedupe, ("Recherche des doublons",)),
    Action("validate", "Contrôler l'équilibre", run_validate, ("Contrôle des pièces",)),
    Action("export", "Exporter le mois", run_export, ("Lecture des écritures du mois",),
           params=export_params),
    Action("export_fec_year", "Exporter le FEC de l'exercice", run_export_fec_year,
           ("Lecture des écritures de l'exercice",), params=fec_year_params),
    Action("check", "Vérifier la configuration", run_check, (CHECK_STAGE,)),
)}
