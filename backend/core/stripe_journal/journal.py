"""A list of balance transactions -> the Stripe journal's entries and its anomalies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from backend.core.journal import JournalResult
from backend.core.stripe_journal.accounts import StripeJournalSettings
from backend.core.stripe_journal.entries import journal_transaction

# The same result as the sales journal's: entries, anomalies, skips. Transactions written to
# suspense ("à classer") are both in `entries` and in `anomalies`.
StripeJournal = JournalResult


def journal_transactions(transactions: Iterable[dict], *, customer_codes: Mapping[str, str],
                         invoice_numbers: Mapping[str, str] | None = None,
                         payers: Mapping[str, str] | None = None,
                         customer_names: Mapping[str, str] | None = None,
                         settings: StripeJournalSettings | None = None) -> StripeJournal:
    """Each balance transaction once (Ref. Pièce is its id, unique), in the order given;
    a transaction listed twice (pages overlapping) is journaled once."""
    settings = settings or StripeJournalSettings()
    result = StripeJournal()
    seen: set[str] = set()
    for txn in transactions:
        txn_id = txn.get("id") if isinstance(txn, dict) else None
        if isinstance(txn_id, str) and txn_id:
            if txn_id in seen:
                continue
            seen.add(txn_id)
        for outcome in journal_transaction(
                txn, customer_codes=customer_codes, invoice_numbers=invoice_numbers,
                payers=payers, customer_names=customer_names, settings=settings):
            result.add(outcome)
    return result
