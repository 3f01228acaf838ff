"""The preflight (`python -m backend check`): every check against the Stripe, HubSpot and
Sheets sandboxes over HTTP through the real client libraries, a real SQLite ledger store;
a healthy company (every line ok) and broken ones (every line fails, each for its reason)."""

import copy
import json
import time

import pytest
from google.oauth2.credentials import Credentials

from backend import preflight as pf
from backend import spreadsheet
from backend.auth.companies import Company
from backend.cli import main
from backend.core.settings import Settings
from backend.demo import build_demo_company
from backend.demo.hubspot import build_demo_hubspot
from backend.formats import inexweb
from backend.jobs.connections import ServiceUrls
from backend.ports import TabSpec
from backend.sandbox import hubspot_scopes
from backend.sandbox.local import HUBSPOT_TOKEN, SHEETS_TOKEN, STRIPE_KEY, LocalSandbox
from backend.sandbox.stripe_params import API_VERSION
from backend.secrets import MemorySecrets
from backend.services.webhooks import STRIPE_EVENTS
from backend.store.ledger import LedgerStore

BASE = "https://journal.example.fr"
SHEET = "sheet-of-the-check"
SERVICE_ACCOUNT = "journal@projet-demo.iam.gserviceaccount.com"
ALL_SECRETS = {"mdc-stripe": STRIPE_KEY, "mdc-hubspot": HUBSPOT_TOKEN,
               "mdc-stripe-webhook": "whsec_sandbox", "mdc-hubspot-webhook": "hubspot-secret"}
SECRET_NAMES = {"stripe": "mdc-stripe", "hubspot": "mdc-hubspot",
                "stripe_webhook": "mdc-stripe-webhook", "hubspot_webhook": "mdc-hubspot-webhook"}


class ServiceAccountToken(Credentials):
    """The sandbox's bearer token, carrying the e-mail a service account's credentials have
    (the sandbox takes no real Google key)."""
    service_account_email = SERVICE_ACCOUNT


def company(secrets=SECRET_NAMES, settings=None) -> Company:
    return Company("mdc", "La Maison du Coworking", SHEET, frozenset({"compta@mdc.fr"}),
                   dict(secrets), (), settings or Settings())


@pytest.fixture(scope="module")
def demo():
    stripe_company = build_demo_company()
    return stripe_company, build_demo_hubspot(stripe_company)


@pytest.fixture
def box(demo, tmp_path):
    stripe_company, hubspot = demo
    with LocalSandbox() as sandbox:
        sandbox.stripe.load(copy.deepcopy(stripe_company))
        sandbox.hubspot.load(copy.deepcopy(hubspot))
        sandbox.sheets.create_spreadsheet("Journal", ["Feuille 1"], spreadsheet_id=SHEET)
        sandbox.store = LedgerStore(f"sqlite:///{tmp_path / 'ledger.db'}")
        sandbox.store.migrate()
        yield sandbox
        sandbox.store.close()


def healthy(box) -> None:
    """What a company ready for its first run has: an endpoint for its URL with the events,
    an event in the account's version, the sheet's tabs with their headers."""
    box.stripe.add_webhook_endpoint(f"{BASE}/webhooks/stripe/mdc", sorted(STRIPE_EVENTS))
    box.stripe.record_event("customer.created", box.catalog_adapter().customers()[0],
                           at=int(time.time()))
    sheet = box.sheet_adapter(SHEET)
    sheet.ensure_tabs([TabSpec(spreadsheet.ENTRIES, inexweb.header(Settings())),
                       TabSpec(spreadsheet.ANOMALIES, spreadsheet.ANOMALY_HEADER)])


def setup(box, *, the_company=None, secrets=ALL_SECRETS, base=BASE, engine=None,
          credentials=None, **kwargs) -> pf.PreflightSetup:
    return pf.PreflightSetup(
        the_company or company(), MemorySecrets(secrets),
        ServiceUrls(box.stripe_url, box.sheets_url, box.hubspot_url),
        credentials or (lambda: ServiceAccountToken(token=SHEETS_TOKEN)),
        engine or (lambda: box.store.engine), public_base_url=base, **kwargs)


def statuses(report) -> dict[str, str]:
    return {line.label: line.status for line in report.lines}


LABELS = [pf.LABEL_STRIPE_KEY, pf.LABEL_API_VERSION, pf.LABEL_HUBSPOT, pf.LABEL_SHEET,
          pf.LABEL_TABS, pf.LABEL_STRIPE_WEBHOOK, pf.LABEL_HUBSPOT_WEBHOOK, pf.LABEL_DATABASE]


def test_a_healthy_company_passes_every_check(box):
    healthy(box)
    report = pf.preflight(setup(box))
    assert [line.label for line in report.lines] == LABELS
    assert statuses(report) == dict.fromkeys(LABELS, "ok"), report.text()
    assert report.outcome == "ok"
    assert "mode test" in report.line(pf.LABEL_STRIPE_KEY).message
    assert f"en {API_VERSION}" in report.line(pf.LABEL_API_VERSION).message
    # In the order she works in (Écritures, Anomalies, Historique, Paramètres).
    assert "créés à la première génération : Historique, Paramètres" \
        in report.line(pf.LABEL_TABS).message
    assert f"{BASE}/webhooks/hubspot/mdc" in report.line(pf.LABEL_HUBSPOT_WEBHOOK).message
    assert "ne la montre qu'à la création" in report.line(pf.LABEL_STRIPE_WEBHOOK).message
    assert report.summary()["checks"][0] == {"status": "ok", "label": "Clé Stripe",
                                             "message": report.lines[0].message, "fix": ""}
    assert report.french().startswith("Configuration vérifiée : les 8 points")


def test_every_line_fails_for_its_own_reason(box, tmp_path):
    # A revoked Stripe key, a HubSpot token short of two scopes, a sheet not shared with the
    # service account, no webhook secrets, a database never migrated.
    box.hubspot.scopes = frozenset(hubspot_scopes.PRODUCT_SCOPES
                                   - {"e-commerce", "crm.objects.deals.read"})
    box.sheets.not_shared.add(SHEET)
    secrets = {"mdc-stripe": "sk_test_revoked00000000WXYZ", "mdc-hubspot": HUBSPOT_TOKEN}
    bare = LedgerStore(f"sqlite:///{tmp_path / 'empty.db'}")
    report = pf.preflight(setup(box, secrets=secrets, engine=lambda: bare.engine))
    bare.close()
    assert statuses(report) == dict.fromkeys(LABELS, "error"), report.text()
    assert report.outcome == "refused"
    line = report.line
    assert "clé refusée par Stripe (401" in line(pf.LABEL_STRIPE_KEY).message
    assert "Clés API" in line(pf.LABEL_STRIPE_KEY).fix
    assert "non vérifiable" in line(pf.LABEL_API_VERSION).message
    assert "crm.objects.deals.read, e-commerce" in line(pf.LABEL_HUBSPOT).message
    assert "cochez crm.objects.deals.read, e-commerce" in line(pf.LABEL_HUBSPOT).fix
    assert "inaccessible (403" in line(pf.LABEL_SHEET).message
    assert f"Partagez la feuille avec {SERVICE_ACCOUNT}" in line(pf.LABEL_SHEET).fix
    assert "la feuille est inaccessible" in line(pf.LABEL_TABS).message
    assert "secret de signature absent" in line(pf.LABEL_STRIPE_WEBHOOK).message
    assert "endpoints non vérifiables" in line(pf.LABEL_STRIPE_WEBHOOK).message
    assert "« mdc-stripe-webhook » est introuvable" in line(pf.LABEL_STRIPE_WEBHOOK).message
    assert "secret des webhooks absent" in line(pf.LABEL_HUBSPOT_WEBHOOK).message
    assert "non à jour : révision aucune (base vide)" in line(pf.LABEL_DATABASE).message
    # No secret value in any line, the revoked key included (Stripe masks it, we quote none).
    text = report.text() + json.dumps(report.summary(), ensure_ascii=False)
    for value in (*secrets.values(), "whsec_sandbox"):
        assert value not in text
    assert "erreur(s)" in report.french()


def test_stripe_endpoint_with_the_wrong_url_or_events_or_disabled(box):
    box.stripe.add_webhook_endpoint("https://old.example.fr/webhooks/stripe/mdc",
                                    sorted(STRIPE_EVENTS))
    line = pf.preflight(setup(box)).line(pf.LABEL_STRIPE_WEBHOOK)
    assert line.status == "error"
    assert f"aucun endpoint n'appelle {BASE}/webhooks/stripe/mdc" in line.message
    assert "un endpoint appelle https://old.example.fr/webhooks/stripe/mdc" in line.message
    assert "Ajouter un endpoint" in line.fix

    box.stripe.add_webhook_endpoint(f"{BASE}/webhooks/stripe/mdc", ["customer.created"],
                                    status="disabled")
    line = pf.preflight(setup(box)).line(pf.LABEL_STRIPE_WEBHOOK)
    assert line.status == "error"
    assert "est désactivé" in line.message
    assert ("ne reçoit pas credit_note.created, credit_note.voided, customer.updated, "
            "invoice.finalized, invoice.marked_uncollectible, invoice.voided, product.created, "
            "product.updated") in line.message

    box.stripe.add_webhook_endpoint(f"{BASE}/webhooks/stripe/mdc", ["*"])
    assert pf.preflight(setup(box)).line(pf.LABEL_STRIPE_WEBHOOK).status == "ok"


def test_tabs_with_wrong_headers_name_the_columns(box):
    sheet = box.sheet_adapter(SHEET)
    sheet.ensure_tabs([TabSpec(spreadsheet.ENTRIES, ["Date", "Pièce", "Libellé", "Débit"]),
                       TabSpec(spreadsheet.HISTORY, ["Date", "Qui", "Action", "Résultat"])])
    line = pf.preflight(setup(box)).line(pf.LABEL_TABS)
    assert line.status == "error"
    assert ("« Écritures » sans la colonne « Code journal », « Ref. Pièce », "
            "« Numéro du compte », « Crédit »") in line.message
    assert "« Historique » sans la colonne « Déclencheur »" in line.message
    assert "créés à la première génération : Anomalies, Paramètres" in line.message


def test_a_restricted_key_without_a_permission_says_which(box):
    healthy(box)
    granted = {"rak_balance_read", "rak_invoice_read", "rak_credit_note_read",
               "rak_customer_write", "rak_product_write", "rak_plan_write",
               "rak_tax_rate_read", "rak_event_read"}
    box.stripe.restricted_keys = {"rk_test_restricted0000ABCD": frozenset(granted)}
    secrets = dict(ALL_SECRETS, **{"mdc-stripe": "rk_test_restricted0000ABCD"})
    report = pf.preflight(setup(box, secrets=secrets))
    line = report.line(pf.LABEL_STRIPE_KEY)
    assert line.status == "error"
    assert "clé restreinte, mode test, valide, mais sans les permissions rak_webhook_read" \
        in line.message
    assert report.line(pf.LABEL_STRIPE_WEBHOOK).status == "error"
    assert "rak_webhook_read" in report.line(pf.LABEL_STRIPE_WEBHOOK).message
    box.stripe.restricted_keys = {"rk_test_restricted0000ABCD": frozenset(
        granted | {"rak_webhook_read"})}
    line = pf.preflight(setup(box, secrets=secrets)).line(pf.LABEL_STRIPE_KEY)
    assert line.status == "ok" and "ne peuvent être vérifiées sans écrire" in line.message


def test_the_account_version_differs_from_the_pinned_one(box):
    healthy(box)
    box.stripe.account_api_version = "2024-06-20"
    box.stripe.record_event("customer.updated", box.catalog_adapter().customers()[0],
                           at=int(time.time()) + 1)
    line = pf.preflight(setup(box)).line(pf.LABEL_API_VERSION)
    assert line.status == "ok"
    assert f"le compte est en 2024-06-20 (dernier événement), le paquet stripe " \
           f"épingle {API_VERSION}" in line.message


def test_locally_and_without_hubspot_the_lines_are_honest_warnings(box):
    healthy(box)
    no_hubspot = {k: v for k, v in SECRET_NAMES.items() if not k.startswith("hubspot")}
    report = pf.preflight(setup(box, the_company=company(no_hubspot), base=None))
    assert statuses(report) == {**dict.fromkeys(LABELS, "ok"),
                                pf.LABEL_HUBSPOT: "warning", pf.LABEL_STRIPE_WEBHOOK: "warning",
                                pf.LABEL_HUBSPOT_WEBHOOK: "warning"}, report.text()
    assert report.line(pf.LABEL_HUBSPOT).message.startswith("non configuré")
    assert "PUBLIC_BASE_URL non configurée" in report.line(pf.LABEL_STRIPE_WEBHOOK).message
    assert report.outcome == "warning"


def test_an_unreachable_database_and_a_silent_service(box, tmp_path):
    healthy(box)
    gone = LedgerStore(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    line = pf.preflight(setup(box, engine=lambda: gone.engine)).line(pf.LABEL_DATABASE)
    assert line.status == "error" and line.message.startswith("base injoignable (sqlite)")
    box.plan.latency = 1.5          # every answer takes longer than the check's timeout
    report = pf.preflight(setup(box, timeout=0.5))
    assert report.line(pf.LABEL_STRIPE_KEY).message == "pas de réponse en 0.5 s"
    assert report.line(pf.LABEL_DATABASE).status == "ok"


def test_the_scopes_the_check_wants_are_the_products():
    assert pf.HUBSPOT_SCOPES == hubspot_scopes.PRODUCT_SCOPES
    assert pf.HUBSPOT_TOKEN_INFO == hubspot_scopes.TOKEN_INFO_PATH


def test_the_command_prints_the_lines_and_exits_1_on_an_error(box, tmp_path, capsys,
                                                             monkeypatch):
    healthy(box)
    companies = tmp_path / "companies.json"
    companies.write_text(json.dumps({"companies": {"mdc": {
        "name": "La Maison du Coworking", "spreadsheet_id": SHEET,
        "allowed_emails": ["compta@mdc.fr"], "secrets": SECRET_NAMES}}}), encoding="utf-8")
    secrets_file = tmp_path / "secrets.json"
    secrets_file.write_text(json.dumps(ALL_SECRETS), encoding="utf-8")
    monkeypatch.setenv("SECRETS", "file")
    monkeypatch.setenv("SECRETS_FILE", str(secrets_file))
    argv = ["check", "--company", "mdc", "--companies-file", str(companies),
            "--database", f"sqlite:///{tmp_path / 'ledger.db'}",
            "--stripe-url", box.stripe_url, "--sheets-url", box.sheets_url,
            "--hubspot-url", box.hubspot_url, "--public-base-url", BASE]
    LedgerStore(f"sqlite:///{tmp_path / 'ledger.db'}").migrate()
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Vérification de « La Maison du Coworking » (mdc)" in out
    for label in LABELS:
        assert f"✓ {label} : " in out
    assert STRIPE_KEY not in out and HUBSPOT_TOKEN not in out

    box.sheets.not_shared.add(SHEET)
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "✗ Feuille Google : la feuille sheet-of-the-check est inaccessible (403" in out
    assert "→ Partagez la feuille" in out
    assert main(argv[:2] + ["nobody"] + argv[3:]) == 2


def test_a_revoked_hubspot_token_a_missing_sheet_and_a_live_key_for_a_demo(box):
    healthy(box)
    box.hubspot.access_token = "pat-eu1-rotated-since"
    box.stripe.api_key = "sk_live_demoaccount0000LIVE"
    secrets = dict(ALL_SECRETS, **{"mdc-stripe": "sk_live_demoaccount0000LIVE"})
    gone = company(settings=None)
    gone = Company(gone.id, gone.name, "no-such-sheet", gone.allowed_emails, gone.secrets)
    report = pf.preflight(setup(box, the_company=gone, secrets=secrets, demo=True))
    assert report.line(pf.LABEL_HUBSPOT).status == "error"
    assert "jeton refusé par HubSpot (401" in report.line(pf.LABEL_HUBSPOT).message
    assert "inaccessible (404" in report.line(pf.LABEL_SHEET).message
    key = report.line(pf.LABEL_STRIPE_KEY)
    assert key.status == "warning"
    assert key.message == "clé secrète, mode live, valide, pour une société de démonstration"


def test_missing_axis_columns_are_a_warning(box):
    healthy(box)
    three_axes = Settings(axis_names=("Activité", "Site", "Offre"))
    report = pf.preflight(setup(box, the_company=company(settings=three_axes)))
    line = report.line(pf.LABEL_TABS)
    assert (line.status, report.outcome) == ("warning", "warning"), report.text()
    assert "« Écritures » sans « Activité », « Site », « Offre »" in line.message


def test_the_sandboxes_answer_the_checks_calls_as_the_services_do(box):
    """What the checks rely on: HubSpot's token information ({userId, hubId, appId, scopes}),
    Stripe's 403 naming the restricted key's missing permission, Google's 403 for a sheet
    the caller may not open."""
    import stripe
    from googleapiclient.errors import HttpError
    from hubspot import HubSpot

    options = {"method": "POST", "path": hubspot_scopes.TOKEN_INFO_PATH,
               "body": {"tokenKey": HUBSPOT_TOKEN}, "base_url": box.hubspot_url}
    answer = HubSpot(access_token=HUBSPOT_TOKEN).api_request(options)
    assert answer.status_code == 200
    assert answer.json() == {"userId": box.hubspot.user_id, "hubId": box.hubspot.portal_id,
                             "appId": box.hubspot.app_id,
                             "scopes": sorted(hubspot_scopes.PRODUCT_SCOPES)}
    other = dict(options, body={"tokenKey": "pat-na1-someone-else"})
    refused = HubSpot(access_token=HUBSPOT_TOKEN).api_request(other)
    assert refused.status_code == 401
    assert refused.json()["category"] == "INVALID_AUTHENTICATION"

    box.stripe.restricted_keys = {"rk_test_onlybalance000WXYZ": {"rak_balance_read"}}
    client = stripe.StripeClient("rk_test_onlybalance000WXYZ", max_network_retries=0,
                                 base_addresses={"api": box.stripe_url})
    assert client.v1.balance.retrieve()["object"] == "balance"
    with pytest.raises(stripe.PermissionError) as refused_key:
        client.v1.webhook_endpoints.list()
    assert refused_key.value.http_status == 403
    assert refused_key.value.error.type == "invalid_request_error"
    assert "Having the 'rak_webhook_read' permission would allow this request to continue." \
        in str(refused_key.value)
    assert "rk_test_onlybalance000WXYZ" not in str(refused_key.value)   # masked, as Stripe does

    box.sheets.not_shared.add(SHEET)
    with pytest.raises(HttpError) as denied:
        adapter = box.sheet_adapter(SHEET)
        adapter.sheets.get(spreadsheetId=SHEET).execute(http=adapter.http, num_retries=0)
    assert denied.value.resp.status == 403
    assert json.loads(denied.value.content)["error"] == {
        "code": 403, "message": "The caller does not have permission",
        "status": "PERMISSION_DENIED"}
    assert box.sheets.tabs(SHEET) == ["Feuille 1"]      # the test's own view is unaffected


def test_the_command_finds_the_company_in_the_registry(box, tmp_path, capsys, monkeypatch):
    from backend.auth.registry import CompanyRegistry
    healthy(box)
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = LedgerStore(url)
    ledger.migrate()
    CompanyRegistry(ledger.engine).add(company())
    monkeypatch.setenv("SECRETS", "env")
    for name, value in ALL_SECRETS.items():
        monkeypatch.setenv(name.upper().replace("-", "_"), value)
    monkeypatch.setenv("STRIPE_API_BASE", box.stripe_url)
    monkeypatch.setenv("SHEETS_API_BASE", box.sheets_url)
    monkeypatch.setenv("HUBSPOT_API_BASE", box.hubspot_url)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("SERVICE_AUDIENCE", raising=False)
    assert main(["check", "--company", "mdc", "--database", url]) == 0
    out = capsys.readouterr().out
    assert "! Webhook Stripe : adresse publique du backend inconnue" in out
    assert "✓ Base de données : base joignable (sqlite), à la dernière révision" in out
    assert main(["check", "--company", "nobody", "--database", url]) == 2
    assert "no company 'nobody' in the company registry" in capsys.readouterr().err
    ledger.close()


def test_a_parametres_value_a_run_could_not_read_is_an_error(box):
    healthy(box)
    sheet = box.sheet_adapter(SHEET)
    sheet.ensure_tabs([TabSpec(spreadsheet.SETTINGS, spreadsheet.SETTINGS_HEADER)])
    sheet.append(spreadsheet.SETTINGS, [["timezone", "Mars/Olympus", "Fuseau horaire"]])
    line = pf.preflight(setup(box)).line(pf.LABEL_TABS)
    assert line.status == "error"
    assert "Paramètres : valeur illisible (Paramètres!B2 : fuseau horaire inconnu : « Mars/Olympus »)" \
        in line.message
    assert line.fix == "Corrigez la valeur dans l'onglet Paramètres."


def test_a_parametres_value_the_tab_may_not_change_is_a_warning(box):
    healthy(box)
    sheet = box.sheet_adapter(SHEET)
    sheet.ensure_tabs([TabSpec(spreadsheet.SETTINGS, spreadsheet.SETTINGS_HEADER)])
    sheet.append(spreadsheet.SETTINGS, [["siren", "552100554", "SIREN"]])
    line = pf.preflight(setup(box)).line(pf.LABEL_TABS)
    assert line.status == "warning"
    assert "Paramètres!B2 : le SIREN ne se change pas depuis la feuille" in line.message
    assert "Effacez ces lignes de l'onglet Paramètres" in line.fix
