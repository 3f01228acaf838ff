"""The Google sheet checks: the sheet (the backend's identity can open it) and its tabs (the
header of each tab the product writes has the columns a run needs).

The sheet's check runs first and leaves what it read in `shared` (the adapter, the tabs'
titles): the tabs' check reads that, and says it cannot check when the sheet could not be
opened.
"""

from __future__ import annotations

from backend.preflight.helpers import scrubbed_quote
from backend.preflight.report import (
    ERROR,
    LABEL_SHEET,
    LABEL_TABS,
    OK,
    WARNING,
    CheckLine,
)
from backend.preflight.setup import PreflightSetup
from backend.secrets import SecretMissing


def _service_account(credentials) -> str | None:
    email = getattr(credentials, "service_account_email", None)
    return email if email and "@" in email else None


def check_sheet(setup: PreflightSetup, shared: dict) -> CheckLine:
    from googleapiclient.errors import HttpError

    from backend.adapters.google_sheets import GoogleSheetsAdapter
    from backend.backoff import Backoff
    from backend.errors import ServiceError
    label = LABEL_SHEET
    sheet_id = setup.company.spreadsheet_id
    try:
        credentials = setup.google_credentials()
    except SecretMissing as exc:
        return CheckLine(ERROR, label, f"identifiants Google introuvables : secret "
                         f"« {exc.name} » absent ({exc.where})",
                         "Créez le secret du compte de service (sa clé JSON), ou retirez "
                         "\"google\" des secrets de la société pour utiliser celui d'App Engine.")
    except Exception as exc:  # noqa: BLE001 - google.auth's DefaultCredentialsError and kin
        return CheckLine(ERROR, label, "identifiants Google introuvables : "
                         + scrubbed_quote(f"{type(exc).__name__}: {exc}", 200),
                         "Sur App Engine, le compte de service de l'application sert ; ailleurs, "
                         "donnez une clé de compte de service (secret « google » de la société).")
    who = _service_account(credentials)
    share = (f"Partagez la feuille avec {who} (Éditeur)." if who else
             "Partagez la feuille (Éditeur) avec le compte de service du backend "
             "(App Engine : <projet>@appspot.gserviceaccount.com).")
    adapter = GoogleSheetsAdapter(sheet_id, credentials, base_url=setup.urls.sheets,
                                  timeout=setup.client_timeout, backoff=Backoff(retries=0))
    shared["sheet"] = adapter
    try:
        titles = adapter.tab_titles()
    except (ServiceError, HttpError) as exc:
        status = getattr(exc, "status", None) or getattr(getattr(exc, "resp", None), "status", 0)
        if status in (403, 404):
            return CheckLine(ERROR, label, f"la feuille {sheet_id} est inaccessible ({status} : "
                             "non partagée avec le backend, ou introuvable)",
                             share + " Vérifiez aussi spreadsheet_id dans la configuration.")
        if status == 401:
            return CheckLine(ERROR, label, "identifiants Google refusés (401)",
                             "Renouvelez la clé du compte de service (secret « google »).")
        return CheckLine(ERROR, label, "Google Sheets n'a pas répondu comme attendu : "
                         + scrubbed_quote(str(exc), 200), "Relancez la vérification.")
    shared["tabs"] = titles
    return CheckLine(OK, label, f"feuille {sheet_id} accessible"
                     + (f" par {who}" if who else "") + f" ({len(titles)} onglet(s))")


def _expected_headers(settings) -> dict[str, tuple[list[str], list[str]]]:
    """Per tab family: (columns the product needs, columns it writes but can do without)."""
    from backend import spreadsheet
    from backend.formats.inexweb import FIXED_COLUMNS
    # In the order she works in (spreadsheet.TAB_ORDER): the check's line lists them so.
    headers = {spreadsheet.ENTRIES: (list(FIXED_COLUMNS), list(settings.axis_names)),
               spreadsheet.ANOMALIES: (spreadsheet.ANOMALY_HEADER, []),
               spreadsheet.HISTORY: (spreadsheet.HISTORY_HEADER, []),
               spreadsheet.SETTINGS: (spreadsheet.SETTINGS_HEADER, [])}
    return {family: headers[family] for family in spreadsheet.TAB_ORDER}


def check_tabs(setup: PreflightSetup, shared: dict) -> CheckLine:
    from backend import spreadsheet
    from backend.adapters.google_sheets import quote
    from backend.core.settings import SettingsError
    from backend.journal_sheet import is_entries_tab
    from backend.sheet_settings import load_sheet_settings
    label = LABEL_TABS
    # The sheet's check runs first: its answer (or its failure) is what this one reads.
    if "tabs" not in shared:
        return CheckLine(ERROR, label, "non vérifiables : la feuille est inaccessible (voir "
                         "« Feuille Google »)", "Corrigez d'abord l'accès à la feuille.")
    titles, adapter = shared["tabs"], shared["sheet"]
    # The Paramètres tab wins over the company's settings (the axis names among them), and a
    # value there that a run could not read would stop the run: read as a run reads it.
    settings, unreadable, ignored = setup.company.settings, "", []
    try:
        settings = load_sheet_settings(adapter, settings, ignored)
    except SettingsError as exc:
        unreadable = str(exc)
    expected = _expected_headers(settings)
    present = {family: [t for t in titles if (is_entries_tab(t) if family == spreadsheet.ENTRIES
                                                 else t == family)] for family in expected}
    missing = [family for family, found in present.items() if not found]
    to_read = [t for found in present.values() for t in found]
    headers = {}
    if to_read:
        answer = adapter.values.batchGet(
            spreadsheetId=adapter.spreadsheet_id, ranges=[f"{quote(t)}!1:1" for t in to_read],
            majorDimension="ROWS", valueRenderOption="FORMATTED_VALUE").execute(http=adapter.http, num_retries=0)
        for title, value_range in zip(to_read, answer.get("valueRanges", [])):
            rows = value_range.get("values") or [[]]
            headers[title] = [str(c).strip() for c in rows[0]]
    wrong, optional = [], []
    for family, found in present.items():
        needed, extra = expected[family]
        for title in found:
            lacking = [c for c in needed if c not in headers.get(title, [])]
            if lacking:
                wrong.append(f"« {title} » sans la colonne "
                             + ", ".join(f"« {c} »" for c in lacking))
            absent = [c for c in extra if c not in headers.get(title, [])]
            if absent:
                optional.append(f"« {title} » sans " + ", ".join(f"« {c} »" for c in absent))
    created = (" ; créés à la première génération : " + ", ".join(missing)) if missing else ""
    if wrong or unreadable:
        problems = (["en-tête incorrect : " + " ; ".join(wrong)] if wrong else []) \
            + ([f"Paramètres : valeur illisible ({unreadable})"] if unreadable else [])
        restore = ("Rétablissez ces noms de colonne en ligne 1 (l'ordre est libre), ou "
                   "renommez l'onglet pour que la prochaine génération en crée un neuf.")
        fixes = ([restore] if wrong else []) \
            + (["Corrigez la valeur dans l'onglet Paramètres."] if unreadable else [])
        return CheckLine(ERROR, label, " ; ".join(problems) + created, " ".join(fixes))
    if optional or ignored:
        # A value the tab may not change (the SIREN, the HubSpot rules...): ignored, said.
        said = (["axes analytiques absents : " + " ; ".join(optional)] if optional else []) \
            + ignored
        fixes = (["Ajoutez ces colonnes en ligne 1 pour que les sections analytiques soient "
                  "lues à l'export."] if optional else []) \
            + (["Effacez ces lignes de l'onglet Paramètres : ces réglages viennent de la "
                "configuration de la société (voir la personne qui a installé le service)."]
               if ignored else [])
        return CheckLine(WARNING, label, " ; ".join(said) + created, " ".join(fixes))
    return CheckLine(OK, label, (f"en-têtes conformes ({', '.join(to_read)})" if to_read
                                 else "aucun onglet encore") + created)
