"""One balance transaction -> one entry of the Stripe journal, always balanced.

Every entry has the same shape (`net = amount - fee`, which Stripe guarantees and which is
checked here, never patched):
- the Stripe account is debited `net` (credited when negative);
- the fees account is debited `fee`, less the part of `fee_details` of type `tax` (the VAT
  Stripe charged on its fees), which goes to deductible VAT instead;
- the counterpart (`categories.py`) is credited `amount` (debited when negative).

Dated at `created` in the company's time zone; Pièce = the invoice it settles when known,
else the source's id; Ref. Pièce = the balance transaction's id.
"""

from __future__ import annotations

from collections.abc import Mapping

from backend.core.codes import is_auxiliary_account
from backend.core.dates import journal_day
from backend.core.model import (
    Anomaly,
    Entry,
    Line,
    Outcome,
    Problem,
    Skipped,
    signed_line,
)
from backend.core.stripe_journal import sources
from backend.core.stripe_journal.accounts import StripeJournalSettings
from backend.core.stripe_journal.categories import counterpart, word


def _is_cents(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def shape_problems(txn: dict, txn_id: str, settings: StripeJournalSettings) -> list[Problem]:
    """What makes a transaction unreadable or out of scope, all at once."""
    currency = txn.get("currency")
    if not isinstance(currency, str) or currency.lower() != settings.currency.lower():
        shown = currency.upper() if isinstance(currency, str) and currency else "?"
        return [Problem.of("txn_currency", txn=txn_id, currency=shown[:10])]
    faults = [f"{name} manquant ou non entier" for name in ("amount", "fee", "net")
              if not _is_cents(txn.get(name))]
    details = txn.get("fee_details")
    if details is None:
        details = []
    if not isinstance(details, list) or not all(
            isinstance(d, dict) and _is_cents(d.get("amount")) for d in details):
        faults.append("fee_details illisibles")
    elif not faults:
        if txn["net"] != txn["amount"] - txn["fee"]:
            faults.append(f"net {txn['net']} différent de amount {txn['amount']} "
                          f"moins fee {txn['fee']}")
        if details and sum(d["amount"] for d in details) != txn["fee"]:
            faults.append("la somme de fee_details diffère de fee")
    if not faults:
        return []
    return [Problem.of("txn_malformed", txn=txn_id, detail=f) for f in faults]


def tax_on_fee(txn: dict) -> int:
    """The VAT Stripe charged on its fee: the `fee_details` of type `tax`."""
    return sum(d["amount"] for d in txn.get("fee_details") or [] if d.get("type") == "tax")


def journal_transaction(txn: dict, *, customer_codes: Mapping[str, str],
                        invoice_numbers: Mapping[str, str] | None = None,
                        payers: Mapping[str, str] | None = None,
                        customer_names: Mapping[str, str] | None = None,
                        settings: StripeJournalSettings | None = None) -> tuple[Outcome, ...]:
    """The outcomes of one balance transaction: an entry; an entry and the anomaly that asks
    to classify it (suspense); an anomaly and nothing written; or a skip (all amounts zero).

    `customer_codes`: customer id -> account code. `invoice_numbers`: charge, payment intent
    (or any source) id -> the number of the invoice it settles. `payers`: any id -> customer
    id, for sources given as ids.
    """
    settings = settings or StripeJournalSettings()
    invoice_numbers, payers = invoice_numbers or {}, payers or {}
    customer_names = customer_names or {}
    if not isinstance(txn, dict):
        return (Anomaly("?", "", "", (Problem.of(
            "txn_malformed", txn="?", detail="pas un objet"),)),)
    txn_id = txn.get("id") if isinstance(txn.get("id"), str) and txn.get("id") else "?"
    source = sources.source_id(txn) or ""
    problems = shape_problems(txn, txn_id, settings)
    if txn_id == "?":
        problems.append(Problem.of("txn_malformed", txn="?", detail="identifiant manquant"))
    on, reason = journal_day(txn.get("created"), settings.timezone)
    if reason:
        problems.append(Problem.of("txn_malformed", txn=txn_id, detail=reason))
    if problems:
        return (Anomaly(txn_id, source, "", tuple(problems)),)
    amount, fee, net = txn["amount"], txn["fee"], txn["net"]
    if amount == 0 and fee == 0:
        return (Skipped(txn_id, source, "zero_total"),)

    category = txn.get("reporting_category")
    category = category if isinstance(category, str) and category else "?"
    target = counterpart(category, settings)
    account, code, name = target.account, None, ""
    to_classify: list[Problem] = []
    if target.needs_customer:
        payer = sources.customer_id(txn, payers)
        if payer is None:
            to_classify.append(Problem.of("txn_no_customer", txn=txn_id, category=category,
                                                account=account))
        else:
            code = customer_codes.get(payer)
            name = customer_names.get(payer) or ""
            if not isinstance(code, str) or not code or not is_auxiliary_account(code):
                # Not suspense: the customer is known and only lacks a code, which the next
                # sync gives; the transaction waits and is journaled then, on the right account.
                return (Anomaly(txn_id, source, name, (Problem.of(
                    "txn_customer_code", txn=txn_id, customer=payer),)),)
            account = code
    elif target.to_classify:
        to_classify.append(Problem.of("txn_unknown_category", txn=txn_id,
                                            category=category[:40], account=account))

    piece = sources.invoice_number(txn, invoice_numbers) or source or txn_id
    label = f"{word(category)} {piece} {name}".strip()
    tax = tax_on_fee(txn)
    lines: list[Line | None] = [
        signed_line(settings.stripe_account, label, net),
        signed_line(settings.fees_account, label, fee - tax),
        signed_line(settings.fee_vat_account, label, tax),
        signed_line(account, label, -amount, is_customer=code is not None, customer_name=name),
    ]
    entry = Entry(journal=settings.journal_code, date=on, piece=piece, ref=txn_id,
                  document_id=txn_id, kind=category,
                  lines=tuple(line for line in lines if line is not None))
    if not to_classify:
        return (entry,)
    return entry, Anomaly(txn_id, piece, name, tuple(to_classify))
