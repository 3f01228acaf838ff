"""The Stripe journal (encaissements): Stripe's balance transactions -> entries. Pure: plain
dicts in, entries and anomalies out, integer cents.

Where to look:
- `accounts.py`: the accounts, journal code and options (`StripeJournalSettings`);
- `categories.py`: what each `reporting_category` (charge, refund, dispute, payout, fee,
  anything else) puts against the Stripe account, and the entries' labels;
- `sources.py`: the customer who paid and the invoice settled, from the transaction's source;
- `entries.py`: one balance transaction -> one balanced entry (fees and their VAT split out,
  other currencies, no customer, malformed transactions);
- `journal.py`: a list of balance transactions -> entries, anomalies, skips;
- the reasons, in French and English, are in `backend/core/messages.py` with the sales ones.
"""

from backend.core.stripe_journal.accounts import StripeJournalSettings
from backend.core.stripe_journal.entries import journal_transaction
from backend.core.stripe_journal.journal import StripeJournal, journal_transactions

__all__ = ["StripeJournal", "StripeJournalSettings", "journal_transaction",
           "journal_transactions"]
