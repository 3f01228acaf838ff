"""The app's setup: companies from their file, settings from the environment, the health
check, the production rules (no preview, a companies file is required), and the preview's
routes."""

import json
from pathlib import Path

import pytest

from backend.auth.companies import CompaniesError, load_companies
from backend.web import create_app
from backend.web.config import settings_from_env
from backend.web.preview.template import render, server_code

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "backend" / "auth" / "companies.example.json"


def test_the_example_companies_file_loads():
    companies = load_companies(EXAMPLE)
    assert [c.id for c in companies] == ["maison-coworking", "atelier-velo"]
    maison = companies.get("maison-coworking")
    assert maison.allows("Comptable@Maison-Coworking.fr")
    assert maison.secret_name("stripe") == "maison-coworking-stripe-key"
    assert maison.settings.axis_names == ("Activité", "Site", "Offre")
    assert companies.by_spreadsheet(maison.spreadsheet_id) is maison
    assert companies.client_ids() == {
        "123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com"}


@pytest.mark.parametrize("change, message", [
    (lambda c: c["companies"]["atelier-velo"].update(spreadsheet_id=c["companies"]["maison-coworking"]["spreadsheet_id"]), "share a spreadsheet"),
    (lambda c: c["companies"]["atelier-velo"].update(allowed_emails="compta"), "allowed_emails"),
    (lambda c: c["companies"]["atelier-velo"].update(secrets={"stripe": "x", "paypal": "y"}), "secrets"),
    (lambda c: c["companies"]["atelier-velo"].update(settings={"timezone": "Mars/Olympus"}), "settings"),
    (lambda c: c["companies"]["atelier-velo"].update(password="hunter2"), "unknown field"),
    (lambda c: c["companies"]["atelier-velo"].pop("spreadsheet_id"), "spreadsheet_id is required"),
    (lambda c: c["companies"].update({"Bad Id": c["companies"]["atelier-velo"]}), "an id is"),
])
def test_a_wrong_companies_file_says_where(tmp_path, change, message):
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "companies.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(CompaniesError, match=message):
        load_companies(path)


def test_companies_in_toml(tmp_path):
    path = tmp_path / "companies.toml"
    path.write_text('[companies.demo]\nspreadsheet_id = "s1"\nallowed_emails = ["a@b.fr"]\n'
                    '[companies.demo.secrets]\nstripe = "demo-stripe-key"\n', encoding="utf-8")
    assert load_companies(path).get("demo").secret_name("stripe") == "demo-stripe-key"


def test_settings_from_the_environment():
    config = settings_from_env({"BACKEND_ENV": "production", "ID_TOKEN_AUDIENCES": " a , b ,",
                                "SERVICE_ACCOUNTS": "s@p.iam.gserviceaccount.com",
                                "SERVICE_AUDIENCE": "https://p.ew.r.appspot.com"})
    assert config["PRODUCTION"] and config["JOB_DISPATCH"] == "cloud-tasks"
    assert config["ID_TOKEN_AUDIENCES"] == ["a", "b"]
    assert config["TASKS_URL"] == "https://p.ew.r.appspot.com"
    assert settings_from_env({})["JOB_DISPATCH"] == "thread"


def test_production_needs_its_companies_and_never_serves_the_preview(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKEND_ENV", "production")
    monkeypatch.setenv("COMPANIES_FILE", str(tmp_path / "none.json"))
    with pytest.raises(CompaniesError):
        create_app()
    monkeypatch.setenv("COMPANIES_FILE", str(EXAMPLE))
    with pytest.raises(RuntimeError, match="preview"):
        create_app({"PREVIEW": True})
    app = create_app()
    assert app.test_client().get("/healthz").get_json() == {"status": "ok"}
    assert app.test_client().get("/preview/").status_code == 404


def test_the_sidebar_template_includes_its_css_and_js():
    folder = ROOT / "appsscript"
    html = render(folder, "Sidebar")
    assert "<?" not in html and "<style>" in html and "google.script.run" in html
    code = server_code(folder)
    for name in ("Backend.gs", "Code.gs", "Triggers.gs"):
        assert f"// --- {name} ---" in code


def test_the_template_refuses_scriptlets_it_does_not_render(tmp_path):
    (tmp_path / "Page.html").write_text("<p><?= user.name ?></p>", encoding="utf-8")
    with pytest.raises(ValueError, match="scriptlets"):
        render(tmp_path, "Page")


def test_the_preview_serves_the_page_the_sidebar_and_the_stand_in(make_web):
    from backend.web.preview.__main__ import EMAIL
    web = make_web(PREVIEW=True, PREVIEW_ISSUER=None, PREVIEW_EMAIL=EMAIL,
                   PREVIEW_AUDIENCE="x", PREVIEW_SPREADSHEET="sheet-maison-coworking",
                   PREVIEW_COMPANY="demo", PREVIEW_SHEET=lambda: {"Écritures": [["Date", "Débit"], [46296, 12.5]]})
    web.app.config["PREVIEW_ISSUER"] = web.issuer
    client = web.client
    page = client.get("/preview/")
    assert page.status_code == 200 and b'<iframe id="sidebar"' in page.data
    sidebar = client.get("/preview/sidebar").get_data(as_text=True)
    assert '<script src="/preview/static/standin.js"></script>' in sidebar and "<?" not in sidebar
    assert client.get("/preview/appsscript.js").get_data(as_text=True).count("function startGenerate()") == 1
    assert client.get("/preview/static/standin-worker.js").status_code == 200
    assert client.get("/preview/sheet").get_json()["tabs"] == [
        {"title": "Écritures", "count": 1, "rows": [["Date", "Débit"], ["01/10/2026", "12,50"]]}]
    token = client.post("/preview/token").get_json()["token"]
    identity = web.backend.verifier.verify(token, ["x"])
    assert identity.email == EMAIL


def test_the_preview_command_helps():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "backend.web.preview", "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "--month" in out.stdout
