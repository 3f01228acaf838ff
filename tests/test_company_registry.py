"""The company registry (backend/auth/registry.py) and its command, `python -m backend
companies ...` (backend/cli_companies.py), on SQLite and on a real PostgreSQL server.

The command is run in-process through `backend.cli.main`, as a person types it; what it
prints is checked, and every refusal is checked to leave the registry exactly as it was.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.auth.companies import Company, load_companies
from backend.auth.registry import CompanyRegistry, RegistryError
from backend.cli import main
from backend.core.settings import from_mapping
from backend.store import schema
from backend.store.ledger import LedgerStore

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "backend" / "auth" / "companies.example.json"
MAISON_SHEET = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEFG"
ATELIER_SHEET = "1ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210zyxWVU"
ATELIER_CLIENT = "123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com"
# A Google spreadsheet id may start with '-'.
DASH_SHEET = "-WIvseZru6tkQ0bCkN3xY8dPz1Lm4Rt7Uv9Wx2Yz5Ab"


# --- Fixtures: an empty database of each kind, as tests/test_store.py -----------------------

@pytest.fixture
def store(db_url):
    ledger = LedgerStore(db_url)
    ledger.migrate()            # creates `companies` (migration 0004)
    yield ledger
    ledger.close()


@pytest.fixture
def registry(store) -> CompanyRegistry:
    return CompanyRegistry(store.engine)


@pytest.fixture
def cli(db_url, capsys):
    """Run `python -m backend companies ...` on the test database: (exit code, out, err)."""
    def run(*words: str) -> tuple[int, str, str]:
        code = main(["companies", *words, "--database-url", db_url])
        captured = capsys.readouterr()
        return code, captured.out, captured.err
    return run


def snapshot(registry: CompanyRegistry) -> dict:
    """Everything stored, timestamps included: a refusal must leave it all as it was."""
    with registry.engine.connect() as conn:
        return {row["id"]: dict(row)
                for row in conn.execute(sa.select(schema.companies)).mappings()}


# --- The registry answers as Companies did --------------------------------------------------

def test_the_registry_serves_the_same_companies_as_the_file(registry):
    from_file = load_companies(EXAMPLE)
    report = registry.import_mapping(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    assert report.added == ["maison-coworking", "atelier-velo"]
    assert list(registry) == sorted(from_file, key=lambda c: c.id) == registry.all()
    assert len(registry) == 2
    maison = registry.get("maison-coworking")
    assert maison == from_file.get("maison-coworking")
    assert maison.allows("Comptable@Maison-Coworking.fr")
    assert maison.settings.axis_names == ("Activité", "Site", "Offre")
    assert registry.by_spreadsheet(MAISON_SHEET) == maison
    assert registry.by_spreadsheet(ATELIER_SHEET).settings.journal_code == "VE"
    assert registry.client_ids() == from_file.client_ids() == {ATELIER_CLIENT}
    assert registry.get("nobody") is None and registry.by_spreadsheet("nowhere") is None
    # What is stored is the file's shape: settings as given, secret names only.
    assert registry.as_mapping()["companies"]["maison-coworking"]["settings"] == {
        "company_name": "La Maison du Coworking", "siren": "918345620",
        "axis_names": "Activité;Site;Offre"}


def test_a_company_built_in_code_comes_back_equal(registry):
    company = Company("demo", "Démo", "sheet-demo", frozenset({"a@demo.fr"}),
                      {"stripe": "demo-stripe-key"}, ("client-1",),
                      from_mapping({"siren": "918345620", "tab_per_month": "oui",
                                    "axis_names": "A;B;C", "vat_accounts": {"20": "445710"},
                                    "fec_separator": "|", "customer_code_length": "9"}))
    assert registry.add(company) == company
    assert registry.get("demo") == company
    assert registry.update("demo", name="Démo 2").name == "Démo 2"
    assert registry.get("demo").settings == company.settings


def test_every_read_goes_to_the_database(store, registry):
    """Another process's change (its own engine) is seen by the very next read."""
    other = CompanyRegistry(LedgerStore(str(store.engine.url.render_as_string(
        hide_password=False))).engine)
    assert registry.get("demo") is None and registry.client_ids() == set()
    other.add_fields("demo", {"spreadsheet_id": "s1", "allowed_emails": ["a@b.fr"],
                              "client_ids": ["c1"]})
    assert registry.get("demo").spreadsheet_id == "s1"
    assert registry.client_ids() == {"c1"}
    other.update("demo", spreadsheet_id="s2")
    assert registry.by_spreadsheet("s1") is None and registry.by_spreadsheet("s2").id == "demo"
    other.remove("demo")
    assert registry.get("demo") is None and len(registry) == 0
    other.engine.dispose()


def test_a_row_the_code_no_longer_accepts_is_left_out_and_said(registry, caplog):
    registry.add_fields("good", {"spreadsheet_id": "s1"})
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with registry.engine.begin() as conn:
        conn.execute(schema.companies.insert().values(
            id="stale", name="Stale", spreadsheet_id="s2", allowed_emails=[], client_ids=[],
            secrets={}, settings={"a_setting_since_removed": "x"}, created_at=now,
            updated_at=now))
    with caplog.at_level(logging.ERROR):
        assert [c.id for c in registry] == ["good"]
        assert registry.by_spreadsheet("s2") is None
    assert "company 'stale'" in caplog.text and "not served" in caplog.text
    assert registry.get("good").spreadsheet_id == "s1"


def test_timestamps_are_utc_and_updated(store):
    clock = iter([datetime(2026, 12, 1, 9, tzinfo=UTC),
                  datetime(2026, 12, 2, 10, tzinfo=timezone(timedelta(hours=1)))])
    registry = CompanyRegistry(store.engine, clock=lambda: next(clock))
    registry.add_fields("demo", {"spreadsheet_id": "s1"})
    registry.update("demo", name="Démo")
    fields = registry.fields("demo")
    assert fields["created_at"] == datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert fields["updated_at"] == datetime(2026, 12, 2, 9, tzinfo=UTC)
    assert fields["updated_at"].tzinfo is not None


def test_two_writers_racing_for_one_spreadsheet_one_wins(db_url, store):
    """Checks are made in the write transaction, and the database's unique constraint holds
    when two processes pass them at the same moment (PostgreSQL: READ COMMITTED)."""
    count = 6
    registries = [CompanyRegistry(LedgerStore(db_url).engine) for _ in range(count)]
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def add(i: int) -> None:
        barrier.wait()
        try:
            results[i] = registries[i].add_fields(f"company-{i}", {"spreadsheet_id": "same"})
        except RegistryError as exc:
            results[i] = exc

    threads = [threading.Thread(target=add, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    added = [r for r in results if isinstance(r, Company)]
    assert len(added) == 1, results
    assert all(isinstance(r, RegistryError) for r in results if r is not added[0])
    assert [c.id for c in CompanyRegistry(store.engine)] == [added[0].id]
    for registry in registries:
        registry.engine.dispose()


# --- The command: round trips ----------------------------------------------------------------

def test_add_list_show_update_remove(cli, registry):
    code, out, err = cli("list")
    assert (code, out, err) == (0, "0 companies\n", "")

    code, out, err = cli("add", "atelier", "--name", "L'Atelier Vélo", "--spreadsheet", DASH_SHEET,
                         "--email", "Compta@Atelier-Velo.fr", "--email", "gerant@atelier-velo.fr",
                         "--client-id", ATELIER_CLIENT, "--secret", "stripe=atelier-stripe-key",
                         "--secret", "hubspot=atelier-hubspot-token",
                         "--setting", "siren=812345678", "--setting", "axis_names=Activité;Site;Offre")
    assert (code, err) == (0, "")
    assert out == (f"added company atelier (L'Atelier Vélo): spreadsheet {DASH_SHEET}, "
                   "2 allowed emails, 1 client id\n")
    assert registry.by_spreadsheet(DASH_SHEET).allows("compta@atelier-velo.fr")

    code, out, _ = cli("add", "demo", "--spreadsheet=-hSheet", "--email", "a@demo.fr")
    assert code == 0 and out == ("added company demo (demo): spreadsheet -hSheet, "
                                 "1 allowed email, 0 client ids\n")

    code, out, _ = cli("list")
    assert code == 0
    assert out.splitlines() == [
        f"atelier\t{DASH_SHEET}\tL'Atelier Vélo\t2 emails, 1 client id",
        "demo\t-hSheet\tdemo\t1 email, 0 client ids",
        "2 companies"]

    code, out, _ = cli("show", "atelier")
    lines = out.splitlines()
    assert code == 0
    assert lines[:11] == [
        "id: atelier",
        "name: L'Atelier Vélo",
        f"spreadsheet: {DASH_SHEET}",
        "allowed emails: compta@atelier-velo.fr, gerant@atelier-velo.fr",
        f"client ids: {ATELIER_CLIENT}",
        "secrets (names only, never values):",
        "  hubspot: atelier-hubspot-token",
        "  stripe: atelier-stripe-key",
        "settings:",
        '  siren: "812345678"',
        '  axis_names: "Activité;Site;Offre"']
    assert lines[11].startswith("created: 20") and ", updated: 20" in lines[11]
    assert len(lines) == 12

    code, out, _ = cli("update", "atelier", "--remove-email", "gerant@atelier-velo.fr",
                       "--email", "associe@atelier-velo.fr", "--remove-client-id", ATELIER_CLIENT,
                       "--remove-secret", "hubspot", "--secret", "google=atelier-sheets",
                       "--unset-setting", "axis_names", "--setting", "journal_code=VE",
                       "--spreadsheet", "-Another_Sheet")
    assert code == 0
    assert out == ("updated company atelier (L'Atelier Vélo): spreadsheet_id, allowed_emails, "
                   "client_ids, secrets, settings\n")
    atelier = registry.get("atelier")
    assert atelier.spreadsheet_id == "-Another_Sheet"
    assert atelier.allowed_emails == {"compta@atelier-velo.fr", "associe@atelier-velo.fr"}
    assert atelier.client_ids == () and dict(atelier.secrets) == {
        "stripe": "atelier-stripe-key", "google": "atelier-sheets"}
    assert atelier.settings.journal_code == "VE" and atelier.settings.axis_names == (
        "Axe 1", "Axe 2", "Axe 3")
    assert registry.by_spreadsheet(DASH_SHEET) is None
    code, out, _ = cli("show", "atelier")
    assert "client ids: (none: the global ID_TOKEN_AUDIENCES)" in out
    assert "  journal_code: \"VE\"" in out and "axis_names" not in out

    code, out, _ = cli("update", "atelier", "--name", "L'Atelier Vélo")
    assert (code, out) == (0, "company atelier: nothing to change\n")

    code, out, _ = cli("remove", "atelier")
    assert code == 0
    assert out.startswith("removed company atelier (L'Atelier Vélo), spreadsheet -Another_Sheet: "
                          "no longer served. Its ledger rows")
    assert "are kept in the database" in out
    assert [c.id for c in registry] == ["demo"]


def test_removing_a_company_keeps_its_ledger_rows(cli, store):
    assert cli("add", "demo", "--spreadsheet", "s1")[0] == 0
    run_id = store.start_run("demo", "generate", "manuel")
    assert cli("remove", "demo")[0] == 0
    assert [r["id"] for r in store.runs("demo")] == [run_id]
    assert cli("add", "demo", "--spreadsheet", "s1")[0] == 0     # finds its books again
    assert [r["id"] for r in store.runs("demo")] == [run_id]


def test_a_spreadsheet_id_starting_with_a_dash_is_kept_whatever_the_form(cli, registry):
    assert cli("add", "a", "--spreadsheet", "-x1")[0] == 0
    assert cli("add", "b", "--spreadsheet=-x2")[0] == 0
    assert cli("add", "c", "--email", "c@c.fr", "--spreadsheet", "--x3")[0] == 0
    assert [c.spreadsheet_id for c in registry] == ["-x1", "-x2", "--x3"]
    # An option name is not taken for a value: the missing value is said.
    with pytest.raises(SystemExit) as exit_:
        main(["companies", "add", "d", "--spreadsheet", "--email", "d@d.fr"])
    assert exit_.value.code == 2
    assert registry.get("d") is None


# --- The command: refusals leave everything as it was -----------------------------------

REFUSALS = {
    "duplicate id": (["add", "atelier-velo", "--spreadsheet", "new-sheet"],
                     ("company 'atelier-velo' is already in the registry (L'Atelier Vélo, "
                     f"spreadsheet {ATELIER_SHEET}); nothing written")),
    "spreadsheet of another company": (
        ["add", "newco", "--name", "NewCo", "--spreadsheet", MAISON_SHEET],
        (f"spreadsheet {MAISON_SHEET} already belongs to company 'maison-coworking' "
        "(La Maison du Coworking): company 'newco' cannot use it; nothing written")),
    "update to another company's spreadsheet": (
        ["update", "atelier-velo", "--spreadsheet", MAISON_SHEET],
        (f"spreadsheet {MAISON_SHEET} already belongs to company 'maison-coworking' "
        "(La Maison du Coworking): company 'atelier-velo' cannot use it; nothing written")),
    "update of an unknown company": (["update", "nobody", "--name", "X"],
                                     "no company 'nobody' in the registry; nothing written"),
    "remove of an unknown company": (["remove", "nobody"],
                                     "no company 'nobody' in the registry; nothing written"),
    "show of an unknown company": (["show", "nobody"],
                                   "no company 'nobody' in the registry; nothing written"),
    "bad id": (["add", "Bad Id", "--spreadsheet", "s"], "company 'Bad Id': an id is lower-case"),
    "bad email": (["add", "newco", "--spreadsheet", "s", "--email", "not-an-email"],
                  "company 'newco': allowed_emails is a list of email addresses"),
    "unknown secret kind": (["add", "newco", "--spreadsheet", "s", "--secret", "paypal=x"],
                            "company 'newco': secrets maps stripe, hubspot"),
    "secret not KIND=NAME": (["add", "newco", "--spreadsheet", "s", "--secret", "stripe"],
                             "--secret 'stripe': expected KEY=VALUE"),
    "bad setting": (["update", "maison-coworking", "--setting", "timezone=Mars/Olympus"],
                    "company 'maison-coworking': settings:"),
    "unknown setting": (["add", "newco", "--spreadsheet", "s", "--setting", "colour=blue"],
                        "company 'newco': settings: paramètre inconnu « colour »"),
    "removing an email it does not have": (
        ["update", "atelier-velo", "--remove-email", "nobody@x.fr", "--name", "Changed"],
        "company 'atelier-velo' has no allowed email nobody@x.fr; nothing written"),
    "unsetting a setting it does not have": (
        ["update", "atelier-velo", "--unset-setting", "timezone"],
        "company 'atelier-velo' has no setting timezone; nothing written"),
    "empty spreadsheet": (["add", "newco", "--spreadsheet", " "],
                          "company 'newco': spreadsheet_id is required"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refusals_say_why_and_write_nothing(cli, registry, case):
    assert cli("import", str(EXAMPLE))[0] == 0
    before = snapshot(registry)
    words, message = REFUSALS[case]
    code, out, err = cli(*words)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {message}"), err
    assert snapshot(registry) == before


def test_an_unreachable_database_is_exit_4_and_a_bad_url_exit_2(capsys):
    code = main(["companies", "list", "--database-url",
                 "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2"])
    assert code == 4 and "error: the ledger database failed" in capsys.readouterr().err
    code = main(["companies", "list", "--database-url", "mysql://x@localhost/y"])
    assert code == 2 and "unsupported database" in capsys.readouterr().err


# --- The command: import ----------------------------------------------------------------

def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def write(path: Path, raw: dict) -> str:
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_import_adds_updates_and_with_replace_removes(cli, registry, tmp_path):
    code, out, _ = cli("import", str(EXAMPLE))
    assert (code, out) == (0, (f"imported {EXAMPLE}: added maison-coworking, atelier-velo; "
                              "updated (none); unchanged (none); removed (none)\n"))
    assert cli("add", "other", "--spreadsheet", "other-sheet")[0] == 0
    raw = example()
    raw["companies"]["atelier-velo"]["allowed_emails"].append("associe@atelier-velo.fr")
    path = write(tmp_path / "companies.json", raw)
    code, out, _ = cli("import", path)
    assert (code, out) == (0, (f"imported {path}: added (none); updated atelier-velo; "
                              "unchanged maison-coworking; removed (none)\n"))
    assert registry.get("atelier-velo").allows("associe@atelier-velo.fr")
    assert registry.get("other") is not None          # not in the file, kept
    code, out, _ = cli("import", path, "--replace")
    assert (code, out) == (0, (f"imported {path}: added (none); updated (none); "
                              "unchanged maison-coworking, atelier-velo; removed other\n"))
    assert [c.id for c in registry] == ["atelier-velo", "maison-coworking"]


def test_import_lets_two_companies_swap_spreadsheets(cli, registry, tmp_path):
    assert cli("import", str(EXAMPLE))[0] == 0
    raw = example()
    table = raw["companies"]
    table["maison-coworking"]["spreadsheet_id"] = ATELIER_SHEET
    table["atelier-velo"]["spreadsheet_id"] = MAISON_SHEET
    assert cli("import", write(tmp_path / "swap.json", raw))[0] == 0
    assert registry.by_spreadsheet(MAISON_SHEET).id == "atelier-velo"
    assert registry.by_spreadsheet(ATELIER_SHEET).id == "maison-coworking"


def test_toml_files_import_too(cli, registry, tmp_path):
    path = tmp_path / "companies.toml"
    path.write_text('[companies.demo]\nspreadsheet_id = "-s1"\nallowed_emails = ["a@b.fr"]\n'
                    '[companies.demo.settings]\nstart_date = 2026-01-01\n'
                    '[companies.demo.secrets]\nstripe = "demo-stripe-key"\n', encoding="utf-8")
    assert cli("import", str(path))[0] == 0
    demo = registry.get("demo")
    assert demo.secret_name("stripe") == "demo-stripe-key"
    assert demo.settings.start_date == "2026-01-01"


IMPORT_REFUSALS = {
    "one bad company among good ones": (
        lambda t: t.update(newco={"spreadsheet_id": "new", "allowed_emails": "compta"}),
        "company 'newco': allowed_emails is a list of email addresses"),
    "a bad setting": (
        lambda t: t["atelier-velo"].update(settings={"timezone": "Mars/Olympus"}),
        "company 'atelier-velo': settings:"),
    "a spreadsheet of a company not in the file": (
        lambda t: t.update(newco={"spreadsheet_id": "other-sheet"}),
        ("spreadsheet other-sheet already belongs to company 'other' (other): company 'newco' "
        "cannot use it; nothing imported")),
    "two companies of the file sharing a spreadsheet": (
        lambda t: t["atelier-velo"].update(spreadsheet_id=MAISON_SHEET),
        "companies 'maison-coworking' and 'atelier-velo' share a spreadsheet"),
    "no companies": (lambda t: t.clear(), "expected a non-empty `companies` table"),
}


@pytest.mark.parametrize("case", IMPORT_REFUSALS)
def test_an_import_is_all_or_nothing(cli, registry, tmp_path, case):
    assert cli("add", "other", "--spreadsheet", "other-sheet")[0] == 0
    assert cli("add", "atelier-velo", "--spreadsheet", "a-sheet")[0] == 0
    before = snapshot(registry)
    change, message = IMPORT_REFUSALS[case]
    raw = example()
    change(raw["companies"])
    path = write(tmp_path / "companies.json", raw)
    # With --replace, `other` would go and free its spreadsheet: that import is valid.
    frees_it = case == "a spreadsheet of a company not in the file"
    for replace in ([], [] if frees_it else ["--replace"]):
        code, out, err = cli("import", path, *replace)
        assert code == 2 and out == ""
        assert message in err and "nothing" in err, err
        assert snapshot(registry) == before
    if frees_it:
        assert cli("import", path, "--replace")[0] == 0
        assert registry.by_spreadsheet("other-sheet").id == "newco"


def test_an_unreadable_file_is_refused(cli, tmp_path):
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    code, _, err = cli("import", str(tmp_path / "broken.json"))
    assert code == 2 and "broken.json" in err
    code, _, err = cli("import", str(tmp_path / "missing.json"))
    assert code == 2 and "no companies file" in err


def test_keep_existing_adds_only_what_is_missing(registry):
    """The app's start with COMPANIES_FILE: the registry wins over the file."""
    registry.import_mapping(example())
    registry.update("atelier-velo", allowed_emails=["nouvelle@atelier-velo.fr"])
    registry.remove("maison-coworking")
    report = registry.import_mapping(example(), keep_existing=True)
    assert (report.added, report.differing, report.updated) == (
        ["maison-coworking"], ["atelier-velo"], [])
    assert registry.get("atelier-velo").allowed_emails == {"nouvelle@atelier-velo.fr"}
