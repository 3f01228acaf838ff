"""Revenue: what each line of an invoice or credit note credits (or debits) to which account.

A line's net revenue is its `amount` minus its discounts minus the tax included in its
price. Lines with the same account and the same three sections are merged. Discounts are
netted into revenue by default; with a discount account set, revenue is credited before
discount and the discount (excluding tax) is debited to that account, with the line's sections.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from backend.core.catalog import Catalog
from backend.core.codes import is_general_account
from backend.core.model import NO_SECTIONS, Problem
from backend.core.settings import Settings
from backend.core.vat import percentage, tax_rate_id

# Where a line's revenue goes: (account, sections), or problems saying why it cannot be known.
Target = tuple[str, tuple[str, str, str]]
TargetOf = Callable[[dict], "tuple[Target | None, list[Problem]]"]


def line_discount(line: dict) -> int:
    amounts = line.get("discount_amounts")
    if amounts:
        return sum(int(d.get("amount") or 0) for d in amounts)
    return int(line.get("discount_amount") or 0)  # credit note lines also carry the sum


def inclusive_taxes(line: dict) -> list[dict]:
    return [t for t in line.get("taxes") or [] if t.get("tax_behavior") == "inclusive"]


def line_net(line: dict) -> int:
    """Revenue excluding tax and after discounts."""
    included = sum(int(t.get("amount") or 0) for t in inclusive_taxes(line))
    return int(line.get("amount") or 0) - line_discount(line) - included


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def discount_excluding_tax(line: dict, catalog: Catalog) -> tuple[int, list[Problem]]:
    """The line's discount without the VAT it carries when prices include tax."""
    discount = line_discount(line)
    included = inclusive_taxes(line)
    if not discount or not included:
        return discount, []
    total_rate = Decimal(0)
    for tax in included:
        rate = percentage(tax_rate_id(tax), catalog)
        if rate is None:
            return discount, [Problem.of("unknown_tax_rate", tax_rate=tax_rate_id(tax) or "?")]
        total_rate += rate
    return discount - _half_up(Decimal(discount) * total_rate / (100 + total_rate)), []


def product_target(product_id: str | None, catalog: Catalog, line_id: str
                   ) -> tuple[Target | None, list[Problem]]:
    """The revenue account and sections a product carries in its metadata (worked out once
    per product: a month has thousands of lines and a few dozen products)."""
    known = catalog.product_targets.get(product_id or "")
    if known is not None:
        return known[0], list(known[1])
    product = catalog.products.get(product_id or "")
    if product is None:
        return None, [Problem.of("unknown_product", line=line_id, product=product_id or "?")]
    meta = product.get("metadata") or {}
    account = (meta.get("accounting_code") or "").strip()
    if not account:
        result = None, (Problem.of("missing_product_code", product=product["id"],
                                   name=product.get("name") or ""),)
    elif not is_general_account(account):
        result = None, (Problem.of("invalid_product_code", product=product["id"],
                                   name=product.get("name") or "", account=account[:40]),)
    else:
        result = (account, tuple((meta.get(f"analytic_axis_{i}") or "").strip()
                                 for i in (1, 2, 3))), ()
    catalog.product_targets[product["id"]] = result
    return result[0], list(result[1])


def revenue_by_target(lines: list[dict], target_of: TargetOf, catalog: Catalog,
                      settings: Settings) -> tuple[dict[Target, int], list[Problem]]:
    """Signed revenue (positive = credit) per (account, sections), merged, zero sums dropped."""
    totals: dict[Target, int] = {}
    problems: list[Problem] = []
    seen: set[Problem] = set()

    def add(target: Target, amount: int) -> None:
        totals[target] = totals.get(target, 0) + amount

    for line in lines:
        target, found = target_of(line)
        for problem in found:
            if problem not in seen:  # ten lines of one uncoded product: say it once
                seen.add(problem)
                problems.append(problem)
        if target is None:
            continue
        net = line_net(line)
        if settings.discount_account:
            discount, found = discount_excluding_tax(line, catalog)
            problems.extend(p for p in found if p not in seen)
            seen.update(found)
            add(target, net + discount)
            add((settings.discount_account, target[1]), -discount)
        else:
            add(target, net)
    return {t: a for t, a in totals.items() if a != 0}, problems


def no_sections_target(account: str) -> Target:
    return (account, NO_SECTIONS)
