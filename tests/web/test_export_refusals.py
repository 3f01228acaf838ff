"""Every refusal of an action is said in French (months as she says them, never a row 0) and
written in Historique once, with the action, "Refusé" and the reason, in the company's time
zone: the export's (no entry, bad or blank month, lines unfit, no SIREN) and any other
action's. Through the web layer on the demo company in the sandboxes; jobs run inline."""

from conftest import DEMO_SHEET, USER

NO_ENTRY = "Aucune écriture datée d'octobre 2026 dans la feuille : rien à exporter."


def history(web) -> list[list]:
    return web.sheet().get("Historique", [[]])[1:]


def refusals(web) -> list[list]:
    return [row for row in history(web) if str(row[3]).startswith("Refusé")]


def test_a_month_with_no_entry_is_refused_in_one_french_sentence(web):
    web.run("generate")
    refused = web.run("export", {"month": "2026-09"})
    assert (refused["state"], refused["outcome"]) == ("done", "refused")
    assert refused["message"] == ("Aucune écriture datée de septembre 2026 dans la feuille : "
                                  "rien à exporter.")
    assert "ligne 0" not in refused["message"] and "2026-09" not in refused["message"]
    [line] = refusals(web)
    assert line[1:] == [f"{USER} (panneau)", "Exporter le mois",
                        "Refusé : Aucune écriture datée de septembre 2026 dans la feuille : "
                        "rien à exporter."]


def test_an_empty_sheet_names_the_month_and_the_missing_tab(web):
    refused = web.run("export", {"month": "2026-10"})          # nothing generated yet
    assert refused["outcome"] == "refused"
    assert refused["message"].startswith("Aucune écriture datée d'octobre 2026 dans la feuille ; "
                                         "la feuille n'a pas d'onglet « Écritures »")
    assert refused["message"].endswith(" : rien à exporter.")
    [line] = refusals(web)
    assert line[2:] == ["Exporter le mois", f"Refusé : {refused['message']}"]


def local_minutes(cell) -> float:
    """Minutes between the Historique cell (a Sheets serial, the wall clock it shows) and the
    wall clock in Paris now."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from backend.journal_sheet import SHEETS_EPOCH
    shown = datetime.combine(SHEETS_EPOCH, datetime.min.time()) + timedelta(days=float(cell))
    paris = datetime.now(ZoneInfo("Europe/Paris")).replace(tzinfo=None)
    return abs((shown - paris).total_seconds()) / 60


def test_the_refusal_time_is_the_companys_local_time(web):
    web.run("generate")
    web.run("export", {"month": "2026-04"})
    [line] = refusals(web)
    assert local_minutes(line[0]) < 5           # Paris is an hour or two off UTC: not UTC
    assert line[3] == "Refusé : Aucune écriture datée d'avril 2026 dans la feuille : rien à exporter."


def test_a_blank_month_is_refused_not_taken_as_the_previous_month(web):
    web.run("generate")
    for blank in ("", "  ", None):
        answer = web.post("/actions/export", {"params": {"month": blank}})
        assert answer.status_code == 400
        assert answer.get_json()["error"] == "Choisissez le mois à exporter."
    assert [row[2:] for row in refusals(web)] == [
        ["Exporter le mois", "Refusé : Choisissez le mois à exporter."]] * 3
    assert not any(str(row[2]).startswith("Export du mois") for row in history(web))


def test_a_bad_month_is_refused_and_written_once(web):
    answer = web.post("/actions/export", {"params": {"month": "octobre"}})
    assert answer.status_code == 400
    message = "Mois invalide « octobre » : attendu AAAA-MM, par exemple 2026-10."
    assert answer.get_json()["error"] == message
    assert [row[1:] for row in refusals(web)] == [
        [f"{USER} (panneau)", "Exporter le mois", f"Refusé : {message}"]]


def test_unbalanced_lines_refuse_the_export_and_say_so_in_historique(web):
    web.run("generate")
    sheet = web.sandbox.sheet_adapter(DEMO_SHEET)
    rows = sheet.read(["Écritures"])["Écritures"]
    sheet.append("Écritures", [rows[1]])                  # one line of the first pièce, again
    refused = web.run("export", {"month": "2026-10"})
    assert refused["outcome"] == "refused"
    assert "pièce déséquilibrée" in refused["message"]
    [line] = refusals(web)
    assert line[2:] == ["Exporter le mois", f"Refusé : {refused['message']}"]


def test_no_siren_refuses_the_export_in_historique(make_web):
    web = make_web()
    company = web.backend.companies.get("demo")
    from dataclasses import replace
    web.backend.companies.get = lambda cid: replace(
        company, settings=replace(company.settings, siren="")) if cid == "demo" else None
    web.run("generate")
    refused = web.run("export", {"month": "2026-10"})
    assert refused["outcome"] == "refused"
    assert "SIREN" in refused["message"]
    [line] = refusals(web)
    assert line[2:] == ["Exporter le mois", f"Refusé : {refused['message']}"]


def test_another_actions_refusal_is_written_once(web):
    from test_web_actions import set_parameter
    web.run("generate")
    set_parameter(web, "timezone", "Mars/Olympus")
    refused = web.run("validate")
    assert refused["outcome"] == "refused"
    [line] = refusals(web)
    assert line[2:] == ["Contrôler l'équilibre", f"Refusé : {refused['message']}"]
    # The tab's own time zone is the refusal's cause: the company's configured one is used.
    assert local_minutes(line[0]) < 5


def test_a_success_writes_no_refusal(web):
    web.run("generate")
    assert web.run("export", {"month": "2026-10"})["outcome"] == "ok"
    assert refusals(web) == []


def test_the_export_says_which_lines_go_with_another_month(web):
    web.run("generate")
    export = web.run("export", {"month": "2026-10"})
    assert export["summary"]["lines"] == 1719
    assert export["summary"]["elsewhere"] == {"2026-11": 3}
    assert export["summary"]["elsewhere_french"] == ("3 lignes datées de novembre 2026 : "
                                                     "exportées avec novembre 2026")
    assert history(web)[-1][3] == ("1719 lignes exportées (Inexweb et FEC) ; 3 lignes datées "
                                   "de novembre 2026 : exportées avec novembre 2026")
    # The sidebar's message says it too, before the files.
    assert export["message"].startswith("Mois exporté (octobre 2026) : 1719 ligne(s) ; 3 lignes "
                                        "datées de novembre 2026 : exportées avec novembre 2026 ; "
                                        "fichiers prêts : ")
