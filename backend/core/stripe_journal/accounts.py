"""The Stripe journal's accounts, journal code and the few choices the accountant may make.

Defaults follow the French chart of accounts as In Extenso keys it: Stripe is a bank account of
its own (512200), its fees are bank services (627800) with the VAT it charges on them deductible
(445660), payouts travel through internal transfers (580000) until the bank journal clears
them, and what nobody has classified yet waits in suspense (471000).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StripeJournalSettings:
    journal_code: str = "ST"
    journal_label: str = "Stripe"
    stripe_account: str = "512200"
    fees_account: str = "627800"
    fee_vat_account: str = "445660"
    transit_account: str = "580000"
    suspense_account: str = "471000"
    doubtful_account: str = "416000"
    # Off by default: a dispute stays on the customer's own account, so that lettering sees it.
    disputes_to_doubtful: bool = False
    timezone: str = "Europe/Paris"
    currency: str = "eur"
