"""The Stripe journal's entries from balance transactions (DESIGN.md, "The Stripe journal").

Golden cases, one per reporting category, each expected line set worked out by hand in the
comment above it; then a hypothesis property: any balance transaction gives a balanced entry,
an anomaly or a skip, never a crash.
"""

from datetime import date, datetime, timezone

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from backend.core.model import Anomaly, Entry, Skipped
from backend.core.stripe_journal import (
    StripeJournalSettings,
    journal_transaction,
    journal_transactions,
)

CODES = {"cus_simplon": "411SIMPL", "cus_dupont": "411DUPON"}
NAMES = {"cus_simplon": "Simplon", "cus_dupont": "Dupont SARL"}
INVOICES = {"ch_card": "F-2026-0042"}


def at(utc: str) -> int:
    """"2026-11-12 10:00" (UTC) -> Stripe's Unix timestamp."""
    return int(datetime.strptime(utc, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc).timestamp())


def txn(id, category, amount, fee=0, details=(), source=None, currency="eur",
        created="2026-11-12 10:00", type=None):
    """A balance transaction as Stripe's API returns it; `details` are (type, amount)."""
    return {"id": id, "object": "balance_transaction", "amount": amount, "fee": fee,
            "fee_details": [{"amount": a, "currency": currency, "type": t,
                             "description": f"{t} fee", "application": None}
                            for t, a in details],
            "net": amount - fee, "currency": currency, "reporting_category": category,
            "type": type or category, "source": source, "created": at(created),
            "status": "available", "available_on": at(created), "exchange_rate": None,
            "description": None, "balance_type": "payments"}


def charge(id, customer):
    return {"id": id, "object": "charge", "customer": customer, "currency": "eur",
            "payment_intent": None}


def one(transaction, settings=None, payers=None):
    return journal_transaction(transaction, customer_codes=CODES, invoice_numbers=INVOICES,
                               payers=payers or {}, customer_names=NAMES, settings=settings)


def lines(entry: Entry) -> list[tuple[str, str, int]]:
    return [(line.account, "D" if line.debit else "C", line.debit or line.credit)
            for line in entry.lines]


def only_entry(outcomes) -> Entry:
    assert len(outcomes) == 1 and isinstance(outcomes[0], Entry), outcomes
    assert outcomes[0].balanced
    return outcomes[0]


def entry_and_anomaly(outcomes) -> tuple[Entry, Anomaly]:
    assert len(outcomes) == 2, outcomes
    entry, anomaly = outcomes
    assert isinstance(entry, Entry) and isinstance(anomaly, Anomaly) and entry.balanced
    return entry, anomaly


def test_card_charge_with_fee_and_vat_on_the_fee():
    # Charge 540,00, fee 8,10 of which 1,35 VAT, net 531,90:
    # 512200 D 531,90; 627800 D 6,75; 445660 D 1,35; 411SIMPL C 540,00 (D 540,00 = C 540,00).
    entry = only_entry(one(txn("txn_card", "charge", 54000, 810,
                               [("stripe_fee", 675), ("tax", 135)],
                               source=charge("ch_card", "cus_simplon"))))
    assert lines(entry) == [("512200", "D", 53190), ("627800", "D", 675), ("445660", "D", 135),
                            ("411SIMPL", "C", 54000)]
    # Pièce = the invoice it settles; Ref. Pièce = the balance transaction.
    assert (entry.journal, entry.piece, entry.ref, entry.date) == (
        "ST", "F-2026-0042", "txn_card", date(2026, 11, 12))
    customer = entry.lines[-1]
    assert customer.is_customer and customer.customer_name == "Simplon"
    assert customer.label == "Paiement F-2026-0042 Simplon"


def test_sepa_charge_given_by_id_finds_its_customer_through_payers():
    # SEPA debit 1 200,00, fee 0,35 of which 0,06 VAT, net 1 199,65; no invoice known:
    # Pièce = the charge's id. 512200 D 1 199,65; 627800 D 0,29; 445660 D 0,06;
    # 411DUPON C 1 200,00 (D 1 200,00 = C 1 200,00).
    entry = only_entry(one(txn("txn_sepa", "charge", 120000, 35, [("stripe_fee", 29), ("tax", 6)],
                               source="py_sepa"), payers={"py_sepa": "cus_dupont"}))
    assert lines(entry) == [("512200", "D", 119965), ("627800", "D", 29), ("445660", "D", 6),
                            ("411DUPON", "C", 120000)]
    assert entry.piece == "py_sepa"


def test_refund_is_negative_and_follows_its_charge_to_the_invoice():
    # Refund of 120,00 on the card charge, no fee: the money leaves Stripe, the customer's
    # account is debited back. 512200 C 120,00; 411SIMPL D 120,00.
    refund = {"id": "re_1", "object": "refund", "charge": charge("ch_card", "cus_simplon"),
              "customer": None}
    entry = only_entry(one(txn("txn_refund", "refund", -12000, source=refund)))
    assert lines(entry) == [("512200", "C", 12000), ("411SIMPL", "D", 12000)]
    assert entry.piece == "F-2026-0042"
    assert entry.lines[0].label.startswith("Remboursement F-2026-0042")


def test_refund_failure_returns_the_money():
    # The refund failed: the 120,00 come back to Stripe and to the customer's credit.
    # 512200 D 120,00; 411SIMPL C 120,00. Source as an id only: Pièce = the refund's id.
    entry = only_entry(one(txn("txn_refail", "refund_failure", 12000, source="re_1"),
                           payers={"re_1": "cus_simplon"}))
    assert lines(entry) == [("512200", "D", 12000), ("411SIMPL", "C", 12000)]
    assert entry.piece == "re_1"


def test_partial_capture_reversal_goes_to_the_customer():
    # 30,00 of an authorisation not captured: 512200 C 30,00; 411SIMPL D 30,00.
    entry = only_entry(one(txn("txn_pcr", "partial_capture_reversal", -3000,
                               source=charge("ch_other", "cus_simplon"))))
    assert lines(entry) == [("512200", "C", 3000), ("411SIMPL", "D", 3000)]


LOST = txn("txn_dispute", "dispute", -54000, 1500, [("stripe_fee", 1500)],
           source={"id": "dp_1", "object": "dispute", "charge": "ch_card"})


def test_dispute_lost_with_its_fee():
    # The 540,00 are taken back and Stripe charges its 15,00 dispute fee: net -555,00.
    # 512200 C 555,00; 627800 D 15,00; 411SIMPL D 540,00 (D 555,00 = C 555,00).
    entry = only_entry(one(LOST, payers={"ch_card": "cus_simplon"}))
    assert lines(entry) == [("512200", "C", 55500), ("627800", "D", 1500),
                            ("411SIMPL", "D", 54000)]
    assert entry.piece == "F-2026-0042"   # the dispute follows its charge to the invoice


def test_dispute_to_doubtful_customers_by_setting():
    # Same dispute, with the setting: 416000 instead of the customer's account.
    entry = only_entry(one(LOST, settings=StripeJournalSettings(disputes_to_doubtful=True)))
    assert lines(entry) == [("512200", "C", 55500), ("627800", "D", 1500), ("416000", "D", 54000)]
    assert not entry.lines[-1].is_customer


def test_dispute_won_returns_the_amount_and_the_fee():
    # Won: the 540,00 come back and here the 15,00 fee too (a negative fee): net 555,00.
    # 512200 D 555,00; 627800 C 15,00; 411SIMPL C 540,00 (D 555,00 = C 555,00).
    entry = only_entry(one(txn("txn_won", "dispute_reversal", 54000, -1500,
                               [("stripe_fee", -1500)],
                               source={"id": "dp_2", "object": "dispute",
                                       "charge": charge("ch_card", "cus_simplon")})))
    assert lines(entry) == [("512200", "D", 55500), ("627800", "C", 1500),
                            ("411SIMPL", "C", 54000)]
    assert entry.lines[0].label == "Litige gagné F-2026-0042 Simplon"


def test_payout_to_the_bank_goes_to_transit():
    # Payout of 1 500,00: 512200 C 1 500,00; 580000 D 1 500,00. Pièce = the payout.
    entry = only_entry(one(txn("txn_po", "payout", -150000, source="po_1")))
    assert lines(entry) == [("512200", "C", 150000), ("580000", "D", 150000)]
    assert (entry.piece, entry.kind) == ("po_1", "payout")


def test_payout_reversal_comes_back_from_transit():
    # The bank refused it: 512200 D 1 500,00; 580000 C 1 500,00.
    entry = only_entry(one(txn("txn_por", "payout_reversal", 150000, source="po_1")))
    assert lines(entry) == [("512200", "D", 150000), ("580000", "C", 150000)]


def test_stripe_billing_fee():
    # Stripe's monthly Billing fee, 23,45, with no source: the amount itself is the fee.
    # 512200 C 23,45; 627800 D 23,45. Pièce = the transaction's id.
    entry = only_entry(one(txn("txn_billing", "fee", -2345, type="stripe_fee")))
    assert lines(entry) == [("512200", "C", 2345), ("627800", "D", 2345)]
    assert entry.piece == "txn_billing"
    assert entry.lines[0].label == "Frais Stripe txn_billing"


def test_adjustment_goes_to_suspense_and_is_listed_to_classify():
    # An adjustment of -2,50: 512200 C 2,50; 471000 D 2,50, and an anomaly "à classer".
    entry, anomaly = entry_and_anomaly(one(txn("txn_adj", "other_adjustment", -250,
                                               source="adj_1", type="adjustment")))
    assert lines(entry) == [("512200", "C", 250), ("471000", "D", 250)]
    assert anomaly.document_id == "txn_adj" and anomaly.codes == ("txn_unknown_category",)
    assert "à classer" in anomaly.reason and "txn_adj" in anomaly.reason
    assert "other_adjustment" in anomaly.reason
    assert "to be classified" in anomaly.reason_en


def test_other_currency_is_an_anomaly_and_nothing_is_written():
    outcomes = one(txn("txn_usd", "charge", 10000, 320, [("stripe_fee", 320)], currency="usd",
                       source=charge("ch_usd", "cus_simplon")))
    assert len(outcomes) == 1 and isinstance(outcomes[0], Anomaly)
    assert outcomes[0].codes == ("txn_currency",)
    assert "USD" in outcomes[0].reason and "rien n'est écrit" in outcomes[0].reason
    assert "only EUR" in outcomes[0].reason_en


def test_charge_with_no_customer_goes_to_suspense():
    # A payment link paid by nobody we know: 50,00, fee 0,95, net 49,05.
    # 512200 D 49,05; 627800 D 0,95; 471000 C 50,00 (D 50,00 = C 50,00) + an anomaly.
    entry, anomaly = entry_and_anomaly(one(txn("txn_anon", "charge", 5000, 95,
                                               [("stripe_fee", 95)],
                                               source=charge("ch_anon", None))))
    assert lines(entry) == [("512200", "D", 4905), ("627800", "D", 95), ("471000", "C", 5000)]
    assert not entry.lines[-1].is_customer
    assert anomaly.codes == ("txn_no_customer",)
    assert "sans client" in anomaly.reason and "à classer" in anomaly.reason


def test_last_day_of_the_month_at_23_30_utc_is_the_next_day_in_paris():
    entry = only_entry(one(txn("txn_late", "payout", -1000, source="po_2",
                               created="2026-11-30 23:30")))
    assert entry.date == date(2026, 12, 1)
    # Summer time: 22:30 UTC on 31 August is already 1 September in Paris.
    entry = only_entry(one(txn("txn_summer", "payout", -1000, source="po_3",
                               created="2026-08-31 22:30")))
    assert entry.date == date(2026, 9, 1)
    # And 22:59 UTC on 30 November is still 30 November.
    entry = only_entry(one(txn("txn_early", "payout", -1000, source="po_4",
                               created="2026-11-30 22:59")))
    assert entry.date == date(2026, 11, 30)


def test_known_customer_without_a_code_waits():
    # Not suspense: the next sync gives the code, the transaction is journaled then.
    outcomes = one(txn("txn_nocode", "charge", 1000, source=charge("ch_x", "cus_nocode")))
    assert len(outcomes) == 1 and outcomes[0].codes == ("txn_customer_code",)
    assert "cus_nocode" in outcomes[0].reason
    # A code that is not letters and digits would be written into the books as is: it waits too.
    outcomes = journal_transaction(txn("txn_badcode", "charge", 1000,
                                       source=charge("ch_y", "cus_bad")),
                                   customer_codes={"cus_bad": "=HYPERLINK(1)"})
    assert len(outcomes) == 1 and outcomes[0].codes == ("txn_customer_code",)


def test_malformed_transactions_are_anomalies_with_every_reason():
    bad = txn("txn_bad", "charge", 1000, 30, [("stripe_fee", 20)], source=charge("ch_b", None))
    bad["net"] = 999
    bad["created"] = 0
    outcomes = one(bad)
    assert len(outcomes) == 1 and isinstance(outcomes[0], Anomaly)
    reason = outcomes[0].reason
    assert "net 999" in reason and "fee_details" in reason and "invraisemblable" in reason
    assert isinstance(one("txn_text")[0], Anomaly)
    assert isinstance(one({"id": "txn_float", "currency": "eur", "amount": 1.5})[0], Anomaly)


def test_zero_transaction_is_skipped():
    assert isinstance(one(txn("txn_zero", "charge", 0, source=charge("ch_z", "cus_simplon")))[0],
                      Skipped)


def test_a_list_journals_each_transaction_once_and_the_stripe_account_equals_the_nets():
    month = [
        txn("txn_card", "charge", 54000, 810, [("stripe_fee", 675), ("tax", 135)],
            source=charge("ch_card", "cus_simplon")),
        LOST,
        txn("txn_adj", "other_adjustment", -250, source="adj_1"),
        txn("txn_usd", "charge", 10000, currency="usd"),
        txn("txn_po", "payout", -20000, source="po_1"),
    ]
    result = journal_transactions(month + month[:1], customer_codes=CODES,
                                  invoice_numbers=INVOICES, payers={"ch_card": "cus_simplon"})
    assert [e.ref for e in result.entries] == ["txn_card", "txn_dispute", "txn_adj", "txn_po"]
    assert [a.document_id for a in result.anomalies] == ["txn_adj", "txn_usd"]
    # The Stripe account moves by the sum of the journaled nets, to the cent:
    # 531,90 - 555,00 - 2,50 - 200,00 = -225,60.
    stripe = sum(line.debit - line.credit for e in result.entries for line in e.lines
                 if line.account == "512200")
    assert stripe == 53190 - 55500 - 250 - 20000 == -22560


CATEGORIES = ["charge", "refund", "refund_failure", "partial_capture_reversal", "dispute",
              "dispute_reversal", "payout", "payout_reversal", "fee", "adjustment",
              "other_adjustment", "topup", "transfer", "", None, 7]
CUSTOMERS = ["cus_simplon", "cus_dupont", "cus_nocode", None, "", {"id": "cus_dupont"}]


@st.composite
def sources(draw):
    customer = draw(st.sampled_from(CUSTOMERS))
    kind = draw(st.sampled_from(["charge", "refund", "dispute", "id", "none", "junk"]))
    if kind == "charge":
        return charge(draw(st.sampled_from(["ch_card", "ch_a"])), customer)
    if kind in ("refund", "dispute"):
        inner = draw(st.sampled_from([charge("ch_card", customer), "ch_card", "ch_a", None]))
        return {"id": kind[:2] + "_1", "object": kind, "charge": inner}
    if kind == "id":
        return draw(st.sampled_from(["ch_card", "py_1", "re_1", "po_1", ""]))
    if kind == "none":
        return None
    return draw(st.sampled_from([12, [], {"object": "charge"}]))


cents = st.integers(-10_000_000, 10_000_000)


@st.composite
def balance_transactions(draw):
    amount = draw(cents)
    details = draw(st.lists(st.tuples(st.sampled_from(["stripe_fee", "tax", "application_fee"]),
                                      st.integers(-50_000, 50_000)), max_size=4))
    fee = sum(a for _, a in details) if details and draw(st.booleans()) else draw(cents)
    transaction = txn(draw(st.sampled_from(["txn_1", "txn_2", ""])),
                      draw(st.sampled_from(CATEGORIES)), amount, fee, details,
                      source=draw(sources()),
                      currency=draw(st.sampled_from(["eur"] * 6 + ["EUR", "usd", None])),
                      created=draw(st.sampled_from(["2026-11-30 23:30", "2026-01-01 00:00"])))
    if draw(st.integers(0, 9)) == 0:   # now and then, Stripe's guarantee broken
        transaction["net"] = draw(st.one_of(cents, st.none(), st.floats(), st.booleans()))
    if draw(st.integers(0, 9)) == 0:
        transaction["created"] = draw(st.one_of(st.integers(), st.none(), st.text(max_size=5)))
    return transaction


@hsettings(max_examples=400, deadline=None)
@given(balance_transactions(), st.booleans())
def test_any_balance_transaction_gives_a_balanced_entry_or_an_anomaly(transaction, doubtful):
    outcomes = one(transaction, settings=StripeJournalSettings(disputes_to_doubtful=doubtful),
                   payers={"ch_card": "cus_simplon", "re_1": "cus_dupont"})
    entries = [o for o in outcomes if isinstance(o, Entry)]
    anomalies = [o for o in outcomes if isinstance(o, Anomaly)]
    assert len(entries) <= 1 and len(outcomes) == len(entries) + len(anomalies) + sum(
        isinstance(o, Skipped) for o in outcomes) and outcomes
    for anomaly in anomalies:
        assert anomaly.reason and anomaly.reason_en and "?" != anomaly.reason
    if not entries:
        assert anomalies or isinstance(outcomes[0], Skipped)
        return
    entry = entries[0]
    assert sum(line.debit - line.credit for line in entry.lines) == 0
    assert entry.total_debit == entry.total_credit > 0
    assert entry.ref == transaction["id"] and entry.journal == "ST"
    # The Stripe account moves by net, to the cent; an unclassified counterpart is reported.
    assert sum(line.debit - line.credit for line in entry.lines
               if line.account == "512200") == transaction["net"]
    if any(line.account == "471000" for line in entry.lines):
        assert anomalies and all("à classer" in a.reason for a in anomalies)
    if transaction["currency"] != "eur" and transaction["currency"] != "EUR":
        raise AssertionError("a non-EUR transaction was written")


ACCOUNTS = {"512200", "627800", "445660", "580000", "471000", "416000", "411SIMPL", "411DUPON"}


@hsettings(max_examples=150, deadline=None)
@given(st.lists(balance_transactions(), max_size=12))
def test_a_month_moves_the_stripe_account_by_the_nets_it_journaled(month):
    for i, transaction in enumerate(month):   # distinct ids, as Stripe's
        transaction["id"] = f"txn_{i}"
    result = journal_transactions(month, customer_codes=CODES, invoice_numbers=INVOICES,
                                  payers={"ch_card": "cus_simplon"})
    journaled = {e.ref for e in result.entries}
    nets = sum(t["net"] for t in month if t["id"] in journaled)
    assert sum(line.debit - line.credit for e in result.entries for line in e.lines
               if line.account == "512200") == nets
    assert all(line.account in ACCOUNTS for e in result.entries for line in e.lines)
    # Every transaction is accounted for: an entry, an anomaly, or a skip.
    told = journaled | {a.document_id for a in result.anomalies} | {
        s.document_id for s in result.skipped}
    assert told == {t["id"] for t in month}
