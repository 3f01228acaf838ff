"""VAT: the rate of a Stripe tax rate, and the VAT credited per account for a document."""

from __future__ import annotations

from decimal import Decimal

from backend.core.catalog import Catalog, ref_id
from backend.core.model import Problem
from backend.core.settings import Settings


def tax_rate_id(tax: dict) -> str | None:
    return ref_id((tax.get("tax_rate_details") or {}).get("tax_rate"))


def percentage(rate_id: str | None, catalog: Catalog) -> Decimal | None:
    rate = catalog.tax_rates.get(rate_id or "")
    if rate is None or rate.get("percentage") is None:
        return None
    return Decimal(str(rate["percentage"]))


def vat_by_account(document: dict, catalog: Catalog, settings: Settings
                   ) -> tuple[dict[str, int], list[Problem]]:
    """The document's `total_taxes`, summed per VAT account (accounts chosen by rate).

    Zero amounts (an exempt line, a zero invoice) make no line and need no account.
    """
    by_account: dict[str, int] = {}
    problems: list[Problem] = []
    for tax in document.get("total_taxes") or []:
        amount = int(tax.get("amount") or 0)
        if amount == 0:
            continue
        rate_id = tax_rate_id(tax)
        rate = percentage(rate_id, catalog)
        if rate is None:
            problems.append(Problem.of("unknown_tax_rate", tax_rate=rate_id or "?"))
            continue
        account = settings.vat_account(rate)
        if not account:
            problems.append(Problem.of("no_vat_account", rate=format(rate.normalize(), "f")))
            continue
        by_account[account] = by_account.get(account, 0) + amount
    return by_account, problems
