"""Credit notes: the reversed entry, products found through the credited invoice lines."""

from datetime import date

from backend.core.catalog import Catalog
from backend.core.credit_notes import journal_credit_note
from backend.core.journal import journal_document
from backend.core.model import Anomaly, Entry, Skipped
from builders import credit_line, credit_note, custom_line, invoice, line


def paid_invoice(catalog):
    doc = invoice("in_1", "MDC-0001", "cus_simplon", [line("il_1", "prod_bureau", 50000),
                                                        line("il_2", "prod_cafe", 3000, ("txr_10", 10))])
    catalog.add(doc)
    return doc


def test_credit_note_reverses_revenue_and_vat_and_credits_the_customer(catalog, settings):
    inv = paid_invoice(catalog)
    items = inv["lines"]["data"]
    note = credit_note("cn_1", "MDC-0001-CN-01", inv,
                       [credit_line("cnli_1", items[0], 10000), credit_line("cnli_2", items[1], 3000,
                                                                          ("txr_10", 10))])
    entry = journal_credit_note(note, catalog, settings)
    assert isinstance(entry, Entry)
    assert (entry.piece, entry.ref, entry.kind, entry.date) == ("MDC-0001-CN-01", "cn_1",
                                                                "credit_note", date(2026, 10, 20))
    assert [(l.account, l.debit, l.credit, l.sections) for l in entry.lines] == [
        ("411SIMPL", 0, 15300, ("", "", "")),
        ("706100", 10000, 0, ("BUREAUX", "LYON", "ABONNEMENT")),
        ("706300", 3000, 0, ("RESTAURATION", "LYON", "PONCTUEL")),
        ("445711", 2000, 0, ("", "", "")),
        ("445712", 300, 0, ("", "", "")),
    ]
    assert entry.lines[0].label == "Avoir MDC-0001-CN-01 Simplon"


def test_custom_line_goes_to_the_configured_account(catalog, settings):
    inv = paid_invoice(catalog)
    note = credit_note("cn_2", "MDC-0001-CN-02", inv, [custom_line("cnli_3", 2000)])
    entry = journal_credit_note(note, catalog, settings)
    assert [(l.account, l.debit, l.credit, l.sections) for l in entry.lines] == [
        ("411SIMPL", 0, 2400, ("", "", "")), ("709000", 2000, 0, ("", "", "")),
        ("445711", 400, 0, ("", "", ""))]
    from dataclasses import replace
    other = journal_credit_note(note, catalog, replace(settings, credit_note_custom_account="708800"))
    assert other.lines[1].account == "708800"


def test_credit_note_for_an_unknown_invoice_line_is_an_anomaly(settings):
    catalog = Catalog().add_all(__import__("builders").standard_catalog())
    inv = invoice("in_9", "F-9", "cus_simplon", [line("il_9", "prod_bureau", 100)])  # not added
    note = credit_note("cn_3", "F-9-CN-01", inv, [credit_line("cnli_9", inv["lines"]["data"][0], 100)])
    outcome = journal_credit_note(note, catalog, settings)
    assert isinstance(outcome, Anomaly) and outcome.codes == ("unknown_invoice_line",)


def test_credit_note_on_uncoded_product_is_an_anomaly(catalog, settings):
    inv = invoice("in_c", "F-20", "cus_simplon", [line("il_c", "prod_casier", 1000)])
    catalog.add(inv)
    note = credit_note("cn_c", "F-20-CN-01", inv, [credit_line("cnli_c", inv["lines"]["data"][0], 1000)])
    assert journal_credit_note(note, catalog, settings).codes == ("missing_product_code",)


def test_void_credit_note(catalog, settings):
    inv = paid_invoice(catalog)
    note = credit_note("cn_v", "MDC-0001-CN-03", inv, [custom_line("cnli_v", 1000)],
                       status="void", voided="2026-10-25 10:00")
    assert journal_document(note, catalog, settings) == Skipped("cn_v", "MDC-0001-CN-03",
                                                                "void_before_journaled")
    reversing = journal_document(note, catalog, settings, journaled={"cn_v"})
    assert reversing.kind == "reversal" and reversing.date == date(2026, 10, 25)
    assert reversing.lines[0].account == "411SIMPL" and reversing.lines[0].debit == 1200
