"""What each `reporting_category` puts against the Stripe account: the counterpart account
of a balance transaction. This is the file that says how a refund, a dispute or a payout is
journaled; `entries.py` only puts the amounts on the sides.

Stripe's categories: https://docs.stripe.com/reports/reporting-categories
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.core.stripe_journal.accounts import StripeJournalSettings

# Money from or back to a customer: their own account, so that lettering meets the invoice.
CUSTOMER = frozenset({"charge", "refund", "refund_failure", "partial_capture_reversal"})
# Chargebacks: the customer's account too, or doubtful customers (416000) by setting.
DISPUTE = frozenset({"dispute", "dispute_reversal"})
# Stripe pays out to the bank: the money is in transit until the bank journal sees it.
PAYOUT = frozenset({"payout", "payout_reversal"})
# Stripe's own fees not tied to a payment (Billing, Radar, Tax...).
FEE = frozenset({"fee"})

# Labels of the entries, in French as the sheet shows them.
WORDS: dict[str, str] = {
    "charge": "Paiement",
    "refund": "Remboursement",
    "refund_failure": "Échec de remboursement",
    "partial_capture_reversal": "Capture partielle annulée",
    "dispute": "Litige",
    "dispute_reversal": "Litige gagné",
    "payout": "Virement Stripe",
    "payout_reversal": "Virement Stripe annulé",
    "fee": "Frais Stripe",
}
OTHER_WORD = "À classer"


@dataclass(frozen=True)
class Counterpart:
    """Where a category's `amount` goes. `needs_customer`: the account is the paying
    customer's (`account` is then the fallback when there is none: suspense).
    `to_classify`: the accountant must look (suspense), reported in Anomalies."""

    account: str
    needs_customer: bool = False
    to_classify: bool = False


def counterpart(category: str, settings: StripeJournalSettings) -> Counterpart:
    if category in CUSTOMER:
        return Counterpart(settings.suspense_account, needs_customer=True)
    if category in DISPUTE:
        if settings.disputes_to_doubtful:
            return Counterpart(settings.doubtful_account)
        return Counterpart(settings.suspense_account, needs_customer=True)
    if category in PAYOUT:
        return Counterpart(settings.transit_account)
    if category in FEE:
        return Counterpart(settings.fees_account)
    # Adjustments, top-ups, transfers, reserves, anything Stripe adds later.
    return Counterpart(settings.suspense_account, to_classify=True)


def word(category: str) -> str:
    return WORDS.get(category, OTHER_WORD)
