"""Why a document made no entry: French for the accountant's sheet, English for logs."""

from __future__ import annotations

# code -> (French, English); {names} are filled from the anomaly's params.
MESSAGES: dict[str, tuple[str, str]] = {
    "missing_product_code": (
        "Le produit {product} ({name}) n'a pas de code comptable",
        "product {product} ({name}) has no accounting code"),
    "unknown_product": (
        "La ligne {line} ne renvoie à aucun produit connu ({product})",
        "line {line} refers to no known product ({product})"),
    "unknown_tax_rate": (
        "Taux de TVA inconnu : {tax_rate}",
        "unknown tax rate {tax_rate}"),
    "no_vat_account": (
        "Aucun compte de TVA n'est paramétré pour le taux de {rate} %",
        "no VAT account is set for the {rate} % rate"),
    "currency": (
        "Devise {currency} : seules les pièces en EUR sont journalisées",
        "currency {currency}: only EUR documents are journaled"),
    "unknown_customer": (
        "Client introuvable : {customer}",
        "customer {customer} cannot be found"),
    "deleted_customer": (
        "Le client {customer} ({name}) a été supprimé dans Stripe et aucun code comptable "
        "n'est connu pour lui",
        "customer {customer} ({name}) was deleted in Stripe and no accounting code is known for it"),
    "invalid_customer_code": (
        "Le client {customer} ({name}) a un code comptable invalide « {account} » : "
        "lettres et chiffres seulement",
        "customer {customer} ({name}) has an invalid accounting code {account!r}: letters and digits only"),
    "invalid_product_code": (
        "Le produit {product} ({name}) a un code comptable invalide « {account} » : un compte "
        "commence par trois chiffres, suivis de lettres ou de chiffres",
        "product {product} ({name}) has an invalid accounting code {account!r}: an account starts "
        "with three digits, then letters or digits"),
    "shared_customer_code": (
        "Le client {customer} ({name}) a le même code comptable « {account} » qu'un autre "
        "client, {other} ({other_name}) : deux clients ne partagent jamais un compte",
        "customer {customer} ({name}) shares its accounting code {account} with another "
        "customer, {other} ({other_name})"),
    "missing_customer_code": (
        "Le client {customer} ({name}) n'a pas de code comptable : {detail}",
        "customer {customer} ({name}) has no accounting code: {detail}"),
    "unbalanced": (
        "Écriture déséquilibrée : débit {debit}, crédit {credit}",
        "entry does not balance: debit {debit}, credit {credit}"),
    "unknown_invoice_line": (
        "La ligne d'avoir {line} renvoie à une ligne de facture inconnue ({invoice_line})",
        "credit note line {line} refers to an unknown invoice line ({invoice_line})"),
    "malformed": (
        "Document illisible : {detail}",
        "malformed document: {detail}"),
    # Skips: documents that rightly make no entry.
    "draft": ("Brouillon, pas encore finalisé", "draft, not finalized yet"),
    "zero_total": ("Total nul : aucune écriture", "zero total: no entry"),
    "void_before_journaled": (
        "Annulée avant d'avoir été journalisée", "voided before it was journaled"),
    "void_reversed": ("Annulation déjà passée", "reversal already written"),
    # The Stripe journal (balance transactions: backend/core/stripe_journal/)
    "txn_currency": (
        "Transaction Stripe {txn} en {currency} : seules les transactions en EUR sont "
        "journalisées, rien n'est écrit",
        "Stripe transaction {txn} in {currency}: only EUR transactions are journaled, "
        "nothing written"),
    "txn_malformed": (
        "Transaction Stripe {txn} illisible : {detail}",
        "Stripe transaction {txn} is malformed: {detail}"),
    "txn_no_customer": (
        "Paiement {txn} ({category}) sans client : passé en compte d'attente {account}, "
        "à classer",
        "payment {txn} ({category}) has no customer: posted to suspense account {account}, "
        "to be classified"),
    "txn_unknown_category": (
        "Transaction {txn} de catégorie « {category} » : passée en compte d'attente "
        "{account}, à classer",
        "transaction {txn} of category {category!r}: posted to suspense account {account}, "
        "to be classified"),
    "txn_customer_code": (
        "Transaction {txn} : le client {customer} n'a pas de code comptable valide connu, "
        "rien n'est écrit",
        "transaction {txn}: customer {customer} has no known valid accounting code, "
        "nothing written"),
    # Lettering (backend/core/lettering.py)
    "lettering_split_group": (
        "Les lignes client de la facture {group} sont sur plusieurs comptes ({accounts}) : "
        "le lettrage est fait compte par compte",
        "customer lines of invoice {group} fall on several accounts ({accounts}): lettered "
        "per account"),
}


def french(code: str, params: dict[str, str]) -> str:
    return _fill(MESSAGES[code][0], params)


def english(code: str, params: dict[str, str]) -> str:
    return _fill(MESSAGES[code][1], params)


def _fill(template: str, params: dict[str, str]) -> str:
    # A missing parameter must not turn an anomaly report into a crash.
    class _Blank(dict):
        def __missing__(self, key: str) -> str:
            return "?"
    return template.format_map(_Blank(params))
