"""The fiscal year's FEC from the sidebar (action export_fec_year): the period comes from the
Paramètres' fiscal_year_start, the file has the legal name and one numbering; on the demo
company in the sandboxes, through the web layer (the production adapters over HTTP)."""

from conftest import DEMO_SHEET

from backend.formats.fec_validator import validate_fec


def set_parameter(web, key: str, value: str) -> None:
    from backend.services.generate import settings_spec
    sheet = web.sandbox.sheet_adapter(DEMO_SHEET)
    rows = sheet.read(["Paramètres"])["Paramètres"]
    assert key in [r[0] for r in rows[1:]]
    body = [[r[0], value if r[0] == key else r[1], *r[2:]] for r in rows[1:]]
    sheet.replace(settings_spec(), body)


def numbers(content: bytes) -> list[int]:
    lines = content.decode("utf-8").split("\r\n")[1:-1]
    return sorted({int(line.split("\t")[2]) for line in lines})


def test_the_fiscal_years_fec_is_one_file_with_the_legal_name(web):
    web.run("generate")
    job = web.run("export_fec_year", {"year": "2026"})
    assert (job["state"], job["outcome"]) == ("done", "ok"), job["message"]
    assert job["label"] == "Exporter le FEC de l'exercice"
    assert job["message"] == ("FEC de l'exercice (janvier 2026 à décembre 2026) : 498 pièce(s), "
                              "1722 ligne(s) ; fichier prêt : 918345620FEC20261231.txt")
    assert [f["name"] for f in job["files"]] == ["918345620FEC20261231.txt"]
    answer = web.get(f"/jobs/{job['id']}/files/918345620FEC20261231.txt")
    assert answer.status_code == 200
    assert validate_fec(answer.data, "918345620FEC20261231.txt") == []
    assert numbers(answer.data) == list(range(1, 499))     # October and 1 November, one sequence
    assert web.sheet()["Historique"][-1][2] == "Export du FEC (janvier 2026 à décembre 2026)"


def test_the_fiscal_year_follows_the_parametres_tab(web):
    web.run("generate")
    set_parameter(web, "fiscal_year_start", "11")
    job = web.run("export_fec_year", {"year": "2026"})      # November 2026 to October 2027
    assert job["outcome"] == "ok", job["message"]
    assert job["message"].startswith("FEC de l'exercice (novembre 2026 à octobre 2027) : "
                                     "1 pièce(s), 3 ligne(s)")
    assert [f["name"] for f in job["files"]] == ["918345620FEC20271031.txt"]
    earlier = web.run("export_fec_year", {"year": "2025"})  # November 2025 to October 2026
    assert earlier["message"].startswith("FEC de l'exercice (novembre 2025 à octobre 2026) : "
                                         "497 pièce(s), 1719 ligne(s)")
    set_parameter(web, "fiscal_year_start", "juillet")
    refused = web.run("export_fec_year", {"year": "2026"})
    assert (refused["state"], refused["outcome"]) == ("done", "refused")
    assert "mois de début d'exercice invalide : « juillet » (un mois de 01 à 12)" in \
        refused["message"]


def test_a_fiscal_year_without_entries_or_year_is_refused_in_french(web):
    web.run("generate")
    empty = web.run("export_fec_year", {"year": "2024"})
    assert (empty["state"], empty["outcome"]) == ("done", "refused")
    assert empty["message"] == ("Aucune écriture sur la période (janvier 2024 à décembre 2024) "
                                "dans la feuille : aucun FEC écrit.")
    for year, said in (("", "Indiquez l'année de l'exercice : AAAA, par exemple 2026."),
                       ("26", "Année de l'exercice « 26 » invalide : attendu AAAA, par exemple 2026.")):
        bad = web.post("/actions/export_fec_year", {"params": {"year": year}})
        assert bad.status_code == 400
        assert bad.get_json()["error"] == said
