"""The app serves the company registry (backend/auth/registry.py) live: a company added,
changed or removed with `python -m backend companies ...` (run in-process here, on the
app's ledger database, with its own engine as another process would) is served or refused
from the very next request, with no restart; its own OAuth client id likewise. A companies
file (COMPANIES_FILE) is brought into the registry at start, and the registry stays the
source of truth."""

from __future__ import annotations

import json
import logging

import pytest
from conftest import DEMO_SHEET, OTHER_SHEET, OTHER_USER, USER

from backend.cli import main

ATELIER_CLIENT = "987654321-atelier-bound-script.apps.googleusercontent.com"


@pytest.fixture
def live(make_web, tmp_path):
    """The app on the registry (no ready-made companies), which starts empty."""
    return make_web(COMPANIES=None, COMPANIES_FILE="")


def companies(web, *words: str) -> int:
    """`python -m backend companies ...` on the app's ledger database."""
    url = web.store.engine.url.render_as_string(hide_password=False)
    return main(["companies", *words, "--database-url", url])


def add_demo(web) -> None:
    assert companies(web, "add", "demo", "--name", "La Maison du Coworking",
                     "--spreadsheet", DEMO_SHEET, "--email", USER,
                     "--secret", "stripe=demo-stripe-key", "--secret", "hubspot=demo-hubspot-token",
                     "--setting", "siren=918345620") == 0


def test_a_company_added_while_the_app_runs_is_served_at_once(live):
    refused = live.get("/status")
    assert refused.status_code == 403            # its spreadsheet is no company's yet
    assert refused.get_json()["code"] == "forbidden"

    add_demo(live)
    served = live.get("/status")
    assert served.status_code == 200, served.get_json()
    assert served.get_json()["company"] == {"id": "demo", "name": "La Maison du Coworking"}
    # Its jobs run too: the job runner finds the company in the registry.
    job = live.run("validate")
    assert job["state"] == "done", job

    # Someone else's email is still refused; then allowed once added to the company.
    assert live.get("/status", email=OTHER_USER).status_code == 403
    assert companies(live, "update", "demo", "--email", OTHER_USER) == 0
    assert live.get("/status", email=OTHER_USER).status_code == 200
    assert companies(live, "update", "demo", "--remove-email", OTHER_USER) == 0
    assert live.get("/status", email=OTHER_USER).status_code == 403

    assert companies(live, "remove", "demo") == 0
    assert live.get("/status").status_code == 403
    assert live.post("/actions/validate").status_code == 403


def test_a_company_s_own_client_id_is_accepted_at_once_and_only_for_it(live):
    add_demo(live)
    atelier = {"spreadsheet": OTHER_SHEET, "email": OTHER_USER, "audience": ATELIER_CLIENT}
    # Unknown audience: the token itself is refused (401), before any company is looked at.
    assert live.get("/status", **atelier).status_code == 401

    assert companies(live, "add", "atelier", "--spreadsheet", OTHER_SHEET, "--email", OTHER_USER,
                     "--client-id", ATELIER_CLIENT, "--secret", "stripe=atelier-stripe-key") == 0
    answer = live.get("/status", **atelier)
    assert answer.status_code == 200 and answer.get_json()["company"]["id"] == "atelier"
    # The company's own client id replaces the global one for it...
    assert live.get("/status", spreadsheet=OTHER_SHEET, email=OTHER_USER).status_code == 403
    # ...and is no key to another company (demo has none of its own: the global ones).
    assert live.get("/status", audience=ATELIER_CLIENT).status_code == 403
    assert live.get("/status").status_code == 200

    assert companies(live, "remove", "atelier") == 0
    assert live.get("/status", **atelier).status_code == 401
    assert live.get("/status").status_code == 200       # the other company is still served


def test_a_companies_file_is_imported_at_start_and_the_registry_wins(make_web, tmp_path,
                                                                     caplog):
    caplog.set_level(logging.INFO, logger="backend.web.services")
    path = tmp_path / "companies.json"
    path.write_text(json.dumps({"companies": {"demo": {
        "name": "La Maison du Coworking", "spreadsheet_id": DEMO_SHEET,
        "allowed_emails": [USER, OTHER_USER], "secrets": {"stripe": "demo-stripe-key"}}}}),
        encoding="utf-8")
    web = make_web(COMPANIES=None, COMPANIES_FILE=str(path))
    assert web.get("/status").status_code == 200
    assert web.get("/status", email=OTHER_USER).status_code == 200
    assert "added to the registry: demo" in caplog.text

    assert companies(web, "update", "demo", "--remove-email", OTHER_USER) == 0
    assert web.get("/status", email=OTHER_USER).status_code == 403
    # A restart (a new app on the same database and file): the file does not undo it.
    restarted = make_web(COMPANIES=None, COMPANIES_FILE=str(path))
    assert restarted.get("/status", email=OTHER_USER).status_code == 403
    assert restarted.get("/status").status_code == 200
    assert "demo differ(s) from the registry" in caplog.text


def test_a_wrong_companies_file_stops_a_production_start(make_web, tmp_path):
    from backend.auth.companies import CompaniesError
    path = tmp_path / "companies.json"
    path.write_text('{"companies": {"demo": {"spreadsheet_id": ""}}}', encoding="utf-8")
    with pytest.raises(CompaniesError, match="spreadsheet_id is required"):
        make_web(COMPANIES=None, COMPANIES_FILE=str(path), PRODUCTION=True)
    # Locally it is said in the log and the registry alone is served.
    web = make_web(COMPANIES=None, COMPANIES_FILE=str(path))
    assert web.get("/status").status_code == 403


def test_a_call_without_a_token_is_refused_before_the_registry_is_read(make_web):
    """No token: 401 without a query, even with the database out of reach (App Engine's
    front end answers probes and strangers without waking the database)."""
    web = make_web(COMPANIES=None, COMPANIES_FILE="", LEDGER_STORE=None,
                   DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")
    answer = web.client.get("/status", query_string={"spreadsheet_id": DEMO_SHEET})
    assert answer.status_code == 401
    assert answer.get_json()["code"] == "unauthenticated"
