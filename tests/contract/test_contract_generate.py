"""Contract: the daily generation on a Stripe account and a Google Sheet.

The run makes a tax rate, a product with its accounting fields, a customer and three
invoices (two finalized, one left a draft), generates into tabs of its own with a fresh ledger
store, voids one journaled invoice, generates again (its reversing entry, nothing else), and a
third time (nothing). Each entry is checked to the cent, and the sheet holds each exactly once.
"""

from collections import Counter
from datetime import date

import pytest
from contract_isolation import RunSource, RunTabs
from contract_targets import Item, needs, today_in_paris

from backend.core.settings import Settings
from backend.journal_sheet import REF_COLUMN
from backend.services.generate import CURSOR_DOCUMENTS, generate

pytestmark = pytest.mark.contract

SECTIONS = ("BUREAUX", "CONTRAT", "TEST")


def entry_lines(entry) -> list[tuple[str, int, int]]:
    return sorted((line.account, line.debit, line.credit) for line in entry.lines)


@needs("stripe", "sheets")
def test_generate(target, tmp_path):
    from backend.store.ledger import LedgerStore
    run = target.run
    vat = target.tax_rate(20)
    product, price = target.product(f"Bureau contrat {run.short}", "706100", SECTIONS, 10_000)
    customer = target.customer(f"Contrat {run.short}", f"contrat+{run.short}@example.com")
    kept = target.invoice(customer, [Item(price, product, 10_000, 2, vat, 20)])
    voided = target.invoice(customer, [Item(price, product, 10_000, 1, vat, 20)])
    draft = target.invoice(customer, [Item(price, product, 10_000, 3, vat, 20)])
    target.finalize(kept)
    target.finalize(voided)

    source = RunSource(target.source(), {customer})
    adapter = target.sheet_adapter()
    run.cleanup.add(f"tabs {run.tab_prefix}… of the sheet", lambda: target.drop_run_tabs(adapter))
    sheet = RunTabs(adapter, run.tab_prefix)
    store = LedgerStore(f"sqlite:///{tmp_path / 'ledger.db'}")   # fresh: nothing journaled yet
    store.migrate()
    run.cleanup.add("ledger store", store.close)
    # The window starts at the run (a minute early, for clocks), as if a run had ended then;
    # with the run's customers only, the generation sees the run's documents only.
    start = int(run.started) - 60
    store.set_cursor(run.company, CURSOR_DOCUMENTS, str(start))
    settings = Settings()

    def listed(*ids, status=None):
        def check():
            seen = {d["id"]: d.get("status") for d in source.invoices(created_gte=start)}
            return all(i in seen and (status is None or seen[i] == status) for i in ids)
        return check

    target.wait_for(listed(kept, voided, draft), "the run's invoices listed by Stripe")

    def generation():
        return generate(source, sheet, store, settings, run.company, trigger="tests de contrat")

    first = generation()
    assert not first.result.anomalies, [a.reason for a in first.result.anomalies]
    written = {e.ref: e for e in first.written}
    assert sorted(written) == sorted([kept, voided])          # the draft waits
    code = next(line.account for line in written[kept].lines if line.is_customer)
    assert code.startswith("411CONTR")
    assert entry_lines(written[kept]) == sorted([(code, 24_000, 0), ("706100", 0, 20_000),
                                                 ("445711", 0, 4_000)])
    assert entry_lines(written[voided]) == sorted([(code, 12_000, 0), ("706100", 0, 10_000),
                                                   ("445711", 0, 2_000)])
    revenue = next(line for line in written[kept].lines if line.account == "706100")
    assert tuple(revenue.sections) == SECTIONS
    assert written[kept].date == date.fromisoformat(today_in_paris())

    target.void(voided)
    target.wait_for(listed(voided, status="void"), "the void invoice listed as void")
    second = generation()
    assert [e.ref for e in second.written] == [f"{voided}/annulation"]
    assert entry_lines(second.written[0]) == sorted([(code, 0, 12_000), ("706100", 10_000, 0),
                                                     ("445711", 2_000, 0)])
    third = generation()
    assert third.written == [] and not third.result.anomalies

    # The sheet as the accountant sees it: each entry once, in the run's own tabs, balanced.
    tabs = sheet.read(sheet.tab_titles())
    assert {"Écritures", "Anomalies", "Paramètres", "Historique"} <= set(tabs)
    rows = tabs["Écritures"]
    header, body = rows[0], rows[1:]
    refs = Counter(r[header.index(REF_COLUMN)] for r in body)
    assert refs == Counter({kept: 3, voided: 3, f"{voided}/annulation": 3})
    debit, credit = header.index("Débit"), header.index("Crédit")

    def cents(row, column):   # the API leaves out a row's empty cells at its end
        value = row[column] if column < len(row) else ""
        return round(float(value or 0) * 100)
    assert sum(cents(r, debit) for r in body) == sum(cents(r, credit) for r in body) == 48_000
    assert len(tabs["Historique"]) - 1 == 3
