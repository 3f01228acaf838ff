"""Settings from the Paramètres tab through the web layer, as the sidebar runs them (issue 13,
finding 4): a bad value is a settings refusal naming its cell, never a raw 500 or an
"erreur inattendue"; what the company is stays the configuration's; downloads name their file
the RFC 5987 way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from conftest import DEMO_SHEET

from backend.jobs.model import Job, JobFile


def set_parameter(web, key: str, value: str) -> str:
    """Type `value` in the Paramètres row of `key` (a new row when the tab has none); the cell."""
    sheet = web.sandbox.sheet_adapter(DEMO_SHEET)
    rows = sheet.read(["Paramètres"])["Paramètres"]
    index = next((i for i, r in enumerate(rows) if r and r[0] == key), None)
    if index is None:
        sheet.append("Paramètres", [[key, value, ""]])
        return f"Paramètres!B{len(rows) + 1}"
    sheet.values.update(spreadsheetId=DEMO_SHEET, range=f"'Paramètres'!B{index + 1}",
                        valueInputOption="RAW", body={"values": [[value]]}).execute(http=sheet.http)
    return f"Paramètres!B{index + 1}"


@pytest.mark.parametrize("value", ["utf\n8", "utf-16", "idna"])
def test_a_fec_encoding_outside_the_list_refuses_the_export_naming_the_cell(web, value):
    web.run("generate")
    where = set_parameter(web, "fec_encoding", value)
    export = web.run("export", {"month": "2026-10"})
    assert (export["state"], export["outcome"]) == ("done", "refused"), export["message"]
    assert export["message"].startswith(f"Paramètres invalides : {where} : ")
    assert "encodage" in export["message"] and not export.get("files")


def test_rates_that_used_to_escape_are_a_settings_refusal(web):
    web.run("generate")
    where = set_parameter(web, "vat_accounts", "20=445711;1e999999999=445799")
    job = web.run("generate")
    assert (job["outcome"], job["message"].startswith(f"Paramètres invalides : {where} : ")) == \
        ("refused", True), job["message"]
    set_parameter(web, "vat_accounts", "20=445711;sNaN=445799")
    job = web.run("validate")
    assert job["outcome"] == "refused" and "erreur inattendue" not in job["message"]


def test_the_sheet_cannot_change_the_siren_of_the_fec(web):
    web.run("generate")
    set_parameter(web, "siren", "١٢٣٤٥٦٧٨٩")
    export = web.run("export", {"month": "2026-10"})
    assert export["outcome"] == "ok", export["message"]
    names = [f["name"] for f in export["files"]]
    # The configuration's SIREN:
    assert names == ["inexweb-2026-10.txt", "FEC-extrait-918345620-2026-10.txt"]
    for name in names:
        answer = web.get(f"/jobs/{export['id']}/files/{name}")
        assert answer.status_code == 200
        assert f"filename={name}" in answer.headers["Content-Disposition"]


def test_a_file_name_beyond_latin_1_is_sent_rfc_5987(web):
    """A file whose name holds characters a Latin-1 header cannot: the download answers 200
    with an ASCII fallback and the UTF-8 name in `filename*`."""
    name = "journal-١٢٣-Société\u2028x.txt"
    store = web.backend.job_store()
    now = datetime.now(UTC)
    job, _ = store.create(Job.new("demo", "export", {}, "test", now), timedelta(minutes=5))
    store.finish(job.id, "done", "ok", "x", {}, now, files=[
        JobFile(name, "text/plain; charset=utf-8", b"x"),
        JobFile("bad-type.txt", "text/plain; charset=utf\n8", b"y")])
    job = {"id": job.id}
    answer = web.get(f"/jobs/{job['id']}/files/{quote(name)}")
    assert answer.status_code == 200, answer.data[:200]
    disposition = answer.headers["Content-Disposition"]
    disposition.encode("ascii")
    assert disposition.startswith("attachment; filename=")
    assert "filename*=UTF-8''journal-%D9%A1%D9%A2%D9%A3-Soci%C3%A9t%C3%A9" in disposition
    assert answer.data == b"x"
    other = web.get(f"/jobs/{job['id']}/files/bad-type.txt")
    assert other.status_code == 200 and other.data == b"y"
    assert "\n" not in other.headers["Content-Type"] and "utf" not in other.headers["Content-Type"]


def test_the_sheet_cannot_choose_which_hubspot_records_become_stripe_customers(web):
    """The demo's HubSpot has a company whose deal is still at `appointmentscheduled` and one
    whose only quote is a DRAFT: the configuration's rules leave both out of Stripe, whatever
    the Paramètres tab says."""
    web.run("generate")                     # creates the Paramètres tab
    set_parameter(web, "hubspot_deal_stages", "closedwon;appointmentscheduled;qualifiedtobuy")
    set_parameter(web, "hubspot_quote_statuses", "DRAFT;APPROVED;APPROVAL_NOT_NEEDED")
    web.run("sync_products")
    customers = web.run("sync_customers")
    assert customers["message"].startswith("5 créé(s), 59 mis à jour, 2 relié(s)"), \
        customers["message"]
