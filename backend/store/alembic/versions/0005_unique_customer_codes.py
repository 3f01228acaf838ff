"""One account code per customer: the store's unique constraint compares codes as the rest of
the code does (issue 13).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Until now the constraint was on (company, code) as typed, while the nomenclature, the sync and
the generation compare codes case-insensitively: `411simpl` and `411SIMPL` could be kept for
two customers. The new column `code_key` holds the code as `codes.code_key` makes it (upper
case) and carries the constraint instead.

A database that already holds two customers on one code that way cannot be upgraded by a
guess: which customer keeps the account is a decision for the accountant (their entries are
already in the books). The upgrade then stops with the company, the codes and the customers
named, and the database stays as it was (the whole migration is one transaction); once one of
the rows is removed (`DELETE FROM customer_codes WHERE company = … AND customer_id = …`, that
customer then gets its code from its Stripe metadata or a new one from the nomenclature),
the upgrade goes through.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OLD_UNIQUE = "uq_customer_codes_company_code"
NEW_UNIQUE = "uq_customer_codes_company_code_key"


class DuplicateCustomerCodes(RuntimeError):
    """Two customers of a company already share a code, as codes.code_key compares them."""


def _key(code: str) -> str:
    # Frozen copy of backend.core.codes.code_key (a revision does not follow later changes).
    return (code or "").strip().upper()


def _duplicates(rows) -> list[str]:
    owners: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for company, customer, code in rows:
        owners.setdefault((company, _key(code)), []).append((customer, code))
    return [f"company {company!r}, code {key}: "
            + ", ".join(f"{customer} ({code})" for customer, code in sorted(found))
            for (company, key), found in sorted(owners.items()) if len(found) > 1]


def upgrade() -> None:
    conn = op.get_bind()
    table = sa.table("customer_codes", sa.column("company", sa.String),
                     sa.column("customer_id", sa.String), sa.column("code", sa.String),
                     sa.column("code_key", sa.String))
    rows = conn.execute(sa.select(table.c.company, table.c.customer_id, table.c.code)).all()
    duplicates = _duplicates(rows)
    if duplicates:
        raise DuplicateCustomerCodes(
            "cannot make customer codes unique regardless of case: customers share a code ("
            + "; ".join(duplicates) + "). Decide with the accountant which customer keeps each "
            "code, delete the other rows of customer_codes, then upgrade again.")
    with op.batch_alter_table("customer_codes") as batch:
        batch.add_column(sa.Column("code_key", sa.String(100), nullable=True))
    for company, customer, code in rows:
        conn.execute(table.update().where(table.c.company == company,
                                          table.c.customer_id == customer)
                     .values(code_key=_key(code)))
    with op.batch_alter_table("customer_codes") as batch:
        batch.alter_column("code_key", existing_type=sa.String(100), nullable=False)
        batch.drop_constraint(OLD_UNIQUE, type_="unique")
        batch.create_unique_constraint(NEW_UNIQUE, ["company", "code_key"])


def downgrade() -> None:
    with op.batch_alter_table("customer_codes") as batch:
        batch.drop_constraint(NEW_UNIQUE, type_="unique")
        batch.create_unique_constraint(OLD_UNIQUE, ["company", "code"])
        batch.drop_column("code_key")
