"""The sales-journal rules for invoices (docs/DESIGN.md, "Accounting rules")."""

from dataclasses import replace
from datetime import date

import pytest

from backend.core.invoices import journal_invoice
from backend.core.journal import journal_document
from backend.core.model import Anomaly, Entry, Skipped
from builders import invoice, line, ts


def lines_of(entry):
    return [(l.account, l.debit, l.credit, l.sections) for l in entry.lines]


def journal(doc, catalog, settings):
    catalog.add(doc)
    return journal_invoice(doc, catalog, settings)


def test_invoice_debits_customer_credits_revenue_and_vat(catalog, settings):
    doc = invoice("in_1", "MDC-0001", "cus_simplon", [line("il_1", "prod_bureau", 50000)])
    entry = journal(doc, catalog, settings)
    assert isinstance(entry, Entry)
    assert (entry.journal, entry.piece, entry.ref, entry.date) == ("VT", "MDC-0001", "in_1",
                                                                   date(2026, 10, 5))
    assert lines_of(entry) == [
        ("411SIMPL", 60000, 0, ("", "", "")),
        ("706100", 0, 50000, ("BUREAUX", "LYON", "ABONNEMENT")),
        ("445711", 0, 10000, ("", "", "")),
    ]
    assert entry.lines[0].label == "Facture MDC-0001 Simplon"


def test_drafts_are_ignored(catalog, settings):
    doc = invoice("in_d", None, "cus_simplon", [line("il_1", "prod_bureau", 100)], status="draft")
    assert journal(doc, catalog, settings) == Skipped("in_d", "", "draft")


@pytest.mark.parametrize("status", ["open", "paid", "uncollectible"])
def test_finalized_statuses_are_journaled(catalog, settings, status):
    doc = invoice("in_s", "F-9", "cus_simplon", [line("il_1", "prod_bureau", 100)], status=status)
    assert isinstance(journal(doc, catalog, settings), Entry)


def test_several_vat_rates_each_to_its_account(catalog, settings):
    doc = invoice("in_2", "F-2", "cus_simplon", [
        line("il_1", "prod_bureau", 10000, ("txr_20", 20)),
        line("il_2", "prod_cafe", 3000, ("txr_10", 10)),
        line("il_3", "prod_salle", 1000, ("txr_55", 5.5)),
    ])
    entry = journal(doc, catalog, settings)
    vat = {l.account: l.credit for l in entry.lines if l.account.startswith("4457")}
    assert vat == {"445711": 2000, "445712": 300, "445713": 55}
    assert entry.balanced and entry.total_debit == 16355


def test_lines_with_same_account_and_sections_are_merged(catalog, settings):
    doc = invoice("in_3", "F-3", "cus_simplon", [line("il_1", "prod_bureau", 10000),
                                                   line("il_2", "prod_bureau", 2500),
                                                   line("il_3", "prod_salle", 4000)])
    revenue = [(l.account, l.credit) for l in journal(doc, catalog, settings).lines
               if l.account.startswith("7")]
    assert revenue == [("706100", 12500), ("706200", 4000)]


def test_discount_is_netted_into_revenue_by_default(catalog, settings):
    doc = invoice("in_4", "F-4", "cus_simplon", [line("il_1", "prod_bureau", 10000, discount=1000)])
    entry = journal(doc, catalog, settings)
    assert lines_of(entry) == [("411SIMPL", 10800, 0, ("", "", "")),
                               ("706100", 0, 9000, ("BUREAUX", "LYON", "ABONNEMENT")),
                               ("445711", 0, 1800, ("", "", ""))]


def test_discount_account_setting_posts_discount_to_709(catalog, settings):
    doc = invoice("in_5", "F-5", "cus_simplon", [line("il_1", "prod_bureau", 10000, discount=1000)])
    entry = journal(doc, catalog, replace(settings, discount_account="709000"))
    assert lines_of(entry) == [("411SIMPL", 10800, 0, ("", "", "")),
                               ("706100", 0, 10000, ("BUREAUX", "LYON", "ABONNEMENT")),
                               ("709000", 1000, 0, ("BUREAUX", "LYON", "ABONNEMENT")),
                               ("445711", 0, 1800, ("", "", ""))]


def test_vat_included_in_the_price_is_taken_out_of_revenue(catalog, settings):
    doc = invoice("in_6", "F-6", "cus_dupont",
                  [line("il_1", "prod_bureau", 12000, ("txr_20i", 20), inclusive=True)])
    assert doc["total"] == 12000
    entry = journal(doc, catalog, settings)
    assert lines_of(entry)[1:] == [("706100", 0, 10000, ("BUREAUX", "LYON", "ABONNEMENT")),
                                   ("445711", 0, 2000, ("", "", ""))]
    assert lines_of(entry)[0] == ("411DUPON", 12000, 0, ("", "", ""))


def test_discount_on_vat_included_price_goes_to_709_without_its_vat(catalog, settings):
    doc = invoice("in_7", "F-7", "cus_dupont",
                  [line("il_1", "prod_bureau", 12000, ("txr_20i", 20), discount=1200,
                        inclusive=True)])
    entry = journal(doc, catalog, replace(settings, discount_account="709000"))
    by_account = {l.account: (l.debit, l.credit) for l in entry.lines}
    # 10,800 TTC = 9,000 HT + 1,800 VAT; the 12,00 discount is 10,00 before VAT.
    assert by_account == {"411DUPON": (10800, 0), "706100": (0, 10000), "709000": (1000, 0),
                          "445711": (0, 1800)}


def test_negative_line_swaps_its_side(catalog, settings):
    doc = invoice("in_8", "F-8", "cus_simplon", [line("il_1", "prod_bureau", 10000),
                                                   line("il_2", "prod_salle", -4000)])
    entry = journal(doc, catalog, settings)
    assert ("706200", 4000, 0, ("SALLES", "LYON", "PONCTUEL")) in lines_of(entry)
    assert all((l.debit > 0) != (l.credit > 0) for l in entry.lines)


def test_negative_total_credits_the_customer(catalog, settings):
    doc = invoice("in_9", "F-9", "cus_simplon", [line("il_1", "prod_bureau", -5000)])
    entry = journal(doc, catalog, settings)
    assert lines_of(entry)[0] == ("411SIMPL", 0, 6000, ("", "", ""))
    assert entry.balanced


def test_zero_total_makes_no_entry_and_is_skipped(catalog, settings):
    doc = invoice("in_0", "F-0", "cus_simplon", [line("il_1", "prod_bureau", 5000, discount=5000)])
    assert doc["total"] == 0
    assert journal(doc, catalog, settings) == Skipped("in_0", "F-0", "zero_total")


def test_late_finalization_is_journaled_when_finalized_even_across_month_end(catalog, settings):
    doc = invoice("in_l", "F-10", "cus_simplon", [line("il_1", "prod_bureau", 100)],
                  created="2026-09-30 18:00", finalized="2026-10-02 09:00")
    assert journal(doc, catalog, settings).date == date(2026, 10, 2)


def test_the_day_is_the_companys_not_utcs(catalog, settings):
    from zoneinfo import ZoneInfo
    doc = invoice("in_u", "F-11", "cus_simplon", [line("il_1", "prod_bureau", 100)])
    doc["status_transitions"]["finalized_at"] = ts("2026-10-31 23:30", ZoneInfo("UTC"))
    assert journal(doc, catalog, settings).date == date(2026, 11, 1)
    assert journal(doc, catalog, replace(settings, timezone="UTC")).date == date(2026, 10, 31)


def test_date_falls_back_to_effective_at_then_created(catalog, settings):
    doc = invoice("in_e", "F-12", "cus_simplon", [line("il_1", "prod_bureau", 100)],
                  created="2026-09-20 10:00")
    doc["status_transitions"]["finalized_at"] = None
    doc["effective_at"] = ts("2026-09-25 10:00")
    assert journal(doc, catalog, settings).date == date(2026, 9, 25)
    doc["effective_at"] = None
    assert journal(doc, catalog, settings).date == date(2026, 9, 20)


def test_customer_balance_never_changes_the_entry(catalog, settings):
    plain = invoice("in_b", "F-13", "cus_simplon", [line("il_1", "prod_bureau", 10000)])
    with_credit = invoice("in_b", "F-13", "cus_simplon", [line("il_1", "prod_bureau", 10000)],
                          starting_balance=-5000)
    assert with_credit["amount_due"] == 7000
    assert journal(with_credit, catalog, settings) == journal(plain, catalog, settings)


@pytest.mark.parametrize("change, code", [
    (lambda d: d["lines"]["data"][0]["pricing"]["price_details"].update(product="prod_casier"),
     "missing_product_code"),
    (lambda d: d["total_taxes"][0]["tax_rate_details"].update(tax_rate="txr_unknown"),
     "unknown_tax_rate"),
    (lambda d: d.update(currency="usd"), "currency"),
    (lambda d: d.update(customer="cus_nobody"), "unknown_customer"),
    (lambda d: d["lines"]["data"][0]["pricing"]["price_details"].update(product="prod_gone"),
     "unknown_product"),
    (lambda d: d.update(total=d["total"] + 1), "unbalanced"),
])
def test_what_cannot_be_journaled_is_an_anomaly_with_its_reason(catalog, settings, change, code):
    doc = invoice("in_a", "F-14", "cus_simplon", [line("il_1", "prod_bureau", 10000)])
    change(doc)
    outcome = journal_invoice(doc, catalog, settings)
    assert isinstance(outcome, Anomaly), outcome
    assert outcome.codes == (code,)
    assert outcome.document_id == "in_a" and outcome.number == "F-14"
    assert outcome.reason and "?" not in outcome.reason_en.replace("(?)", "")


def test_a_rate_with_no_vat_account_is_an_anomaly(catalog, settings):
    doc = invoice("in_r", "F-15", "cus_simplon", [line("il_1", "prod_bureau", 10000, ("txr_x", 8.5))])
    from builders import tax_rate
    catalog.add(tax_rate("txr_x", 8.5))
    outcome = journal(doc, catalog, settings)
    assert outcome.codes == ("no_vat_account",)
    assert "8.5 %" in outcome.reason


def test_every_problem_of_a_document_is_reported_at_once(catalog, settings):
    doc = invoice("in_m", "F-16", "cus_nobody", [line("il_1", "prod_casier", 100),
                                                  line("il_2", "prod_casier", 100)])
    assert journal(doc, catalog, settings).codes == ("unknown_customer", "missing_product_code")


def test_void_before_journaling_is_never_journaled(catalog, settings):
    doc = invoice("in_v", "F-17", "cus_simplon", [line("il_1", "prod_bureau", 10000)],
                  status="void", voided="2026-10-07 12:00")
    assert journal_document(doc, catalog, settings) == Skipped("in_v", "F-17",
                                                               "void_before_journaled")


def test_void_after_journaling_gets_a_reversing_entry_at_voided_at(catalog, settings):
    paid = invoice("in_v", "F-17", "cus_simplon", [line("il_1", "prod_bureau", 10000)])
    original = journal(paid, catalog, settings)
    void = invoice("in_v", "F-17", "cus_simplon", [line("il_1", "prod_bureau", 10000)],
                   status="void", voided="2026-11-03 12:00")
    reversing = journal_document(void, catalog, settings, journaled={"in_v"})
    assert reversing.kind == "reversal" and reversing.date == date(2026, 11, 3)
    assert reversing.ref == "in_v/annulation" and reversing.piece == "F-17"
    assert [(l.account, l.debit, l.credit) for l in reversing.lines] == \
        [(l.account, l.credit, l.debit) for l in original.lines]


def test_malformed_invoice_is_an_anomaly_not_a_crash(catalog, settings):
    doc = invoice("in_x", "F-18", "cus_simplon", [line("il_1", "prod_bureau", 10000)])
    doc["lines"]["data"][0]["amount"] = "100"
    del doc["total"]
    outcome = journal_document(doc, catalog, settings)
    assert isinstance(outcome, Anomaly) and set(outcome.codes) == {"malformed"}


@pytest.mark.parametrize("code", ["=1+1", "ventes", "70 6100", "@SUM(A1)", "7061-00"])
def test_a_product_code_that_is_not_an_account_makes_an_anomaly(catalog, settings, code):
    from builders import product
    catalog.add(product("prod_odd", "Bureau étrange", code))
    doc = invoice("in_odd", "MDC-0099", "cus_simplon", [line("il_1", "prod_odd", 10000)])
    outcome = journal(doc, catalog, settings)
    assert isinstance(outcome, Anomaly) and outcome.codes == ("invalid_product_code",)
    assert "prod_odd" in outcome.reason and code in outcome.reason


@pytest.mark.parametrize("finalized", ["1970-01-01 01:00", "2150-03-01 10:00"])
def test_an_implausible_date_makes_an_anomaly(catalog, settings, finalized):
    doc = invoice("in_old", "MDC-0100", "cus_simplon", [line("il_1", "prod_bureau", 10000)],
                  finalized=finalized)
    outcome = journal(doc, catalog, settings)
    assert isinstance(outcome, Anomaly) and "invraisemblable" in outcome.reason


def test_codes_that_are_accounts():
    from backend.core.codes import is_auxiliary_account, is_general_account
    assert is_general_account("706100") and is_general_account("706ABC")
    assert not any(map(is_general_account, ["", "=1+1", "ventes", "70", "706 100"]))
    assert is_auxiliary_account("411SIMPL")
    assert not any(map(is_auxiliary_account, ["", "411-SIMPL", "=A1", "411 SIMPL"]))
