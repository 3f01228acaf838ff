"""The company's settings, with the design's defaults.

One flat key/value form serves the settings file and the sheet's Paramètres tab, so the
accountant edits exactly what a file would hold. Loading a file is left to the caller
(`backend.settings_file`): this module stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_VAT_ACCOUNTS = {"20": "445711", "10": "445712", "5.5": "445713", "2.1": "445714"}

# Account labels for the FEC's CompteLib, by longest matching prefix.
DEFAULT_ACCOUNT_LABELS = {
    "411": "Clients",
    "4457": "TVA collectée",
    "706": "Prestations de services",
    "707": "Ventes de marchandises",
    "708": "Produits des activités annexes",
    "709": "Rabais, remises et ristournes accordés",
    "7": "Produits",
}


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    journal_code: str = "VT"
    journal_label: str = "Journal des ventes"
    customer_account: str = "411000"          # collective account of the FEC
    customer_code_prefix: str = "411"
    customer_code_length: int = 8
    vat_accounts: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_VAT_ACCOUNTS))
    # Empty: discounts are netted into revenue. An account (709…): discounts posted there.
    discount_account: str = ""
    credit_note_custom_account: str = "709000"
    axis_names: tuple[str, str, str] = ("Axe 1", "Axe 2", "Axe 3")
    timezone: str = "Europe/Paris"
    currency: str = "eur"
    export_encoding: str = "cp1252"
    fec_encoding: str = "utf-8"
    fec_separator: str = "\t"
    account_labels: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ACCOUNT_LABELS))
    company_name: str = ""
    siren: str = ""
    # One Écritures tab per month, so that a big month never hits a sheet's cell limit.
    tab_per_month: bool = False
    # First day journaled on the first run (AAAA-MM-JJ); empty: every invoice Stripe has.
    start_date: str = ""
    # Which HubSpot records become Stripe customers: those with a quote in these statuses or
    # a deal in these stages (besides those already linked).
    hubspot_quote_statuses: tuple[str, ...] = ("APPROVAL_NOT_NEEDED", "APPROVED")
    hubspot_deal_stages: tuple[str, ...] = ("closedwon",)

    def vat_account(self, percentage: Decimal) -> str | None:
        return self.vat_accounts.get(rate_key(percentage))

    def account_label(self, account: str) -> str:
        best = ""
        for prefix in self.account_labels:
            if account.startswith(prefix) and len(prefix) > len(best):
                best = prefix
        return self.account_labels.get(best, "") or account


def rate_key(percentage: Decimal | float | int | str) -> str:
    """20 -> "20", 5.50 -> "5.5": the VAT map's keys, whatever form the rate came in."""
    try:
        value = Decimal(str(percentage).replace(",", ".").strip())
    except InvalidOperation as exc:
        raise SettingsError(f"not a VAT rate: {percentage!r}") from exc
    return format(value.normalize(), "f")


# key in the file and the sheet -> French description shown in the Paramètres tab.
DESCRIPTIONS = {
    "journal_code": "Code du journal des ventes",
    "journal_label": "Libellé du journal (FEC)",
    "customer_account": "Compte collectif clients (FEC)",
    "customer_code_prefix": "Préfixe des comptes clients",
    "customer_code_length": "Longueur des comptes clients (préfixe compris)",
    "vat_accounts": "Comptes de TVA collectée par taux (taux=compte, séparés par ;)",
    "discount_account": "Compte des remises (vide : remises déduites du chiffre d'affaires)",
    "credit_note_custom_account": "Compte des lignes d'avoir sans produit",
    "axis_names": "Noms des trois axes analytiques (séparés par ;)",
    "timezone": "Fuseau horaire des dates d'écriture",
    "currency": "Devise journalisée",
    "export_encoding": "Encodage du fichier Inexweb (cp1252 ou utf-8)",
    "fec_encoding": "Encodage du FEC (utf-8 ou iso-8859-15)",
    "fec_separator": "Séparateur du FEC (tab ou |)",
    "account_labels": "Libellés des comptes par préfixe (préfixe=libellé, séparés par ;)",
    "company_name": "Raison sociale",
    "siren": "SIREN (nom du fichier FEC)",
    "tab_per_month": "Un onglet Écritures par mois (oui / non)",
    "start_date": "Premier jour journalisé lors de la première génération (AAAA-MM-JJ)",
    "hubspot_quote_statuses": "Statuts de devis HubSpot qui font un client Stripe (séparés par ;)",
    "hubspot_deal_stages": "Étapes de transaction HubSpot qui font un client Stripe (séparées par ;)",
}


def _split_pairs(text: str) -> dict[str, str]:
    pairs = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            raise SettingsError(f"expected key=value, got {part.strip()!r}")
        key, value = part.split("=", 1)
        pairs[key.strip()] = value.strip()
    return pairs


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))   # a number typed in the sheet: 445711.0 is account 445711
    return "" if value is None else str(value).strip()


def _flag(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = _text(raw).lower()
    if text in ("oui", "yes", "true", "1", "vrai"):
        return True
    if text in ("non", "no", "false", "0", "faux", ""):
        return False
    raise SettingsError(f"expected oui or non, got {raw!r}")


def from_mapping(values: dict, base: Settings | None = None) -> Settings:
    """Settings from a mapping (a parsed file or the Paramètres tab); unknown keys refused."""
    base = base or Settings()
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
    changes = {}
    for key, raw in values.items():
        if key == "vat_accounts":
            pairs = raw if isinstance(raw, dict) else _split_pairs(_text(raw))
            changes[key] = {rate_key(k): _text(v) for k, v in pairs.items()}
        elif key == "account_labels":
            changes[key] = dict(raw) if isinstance(raw, dict) else _split_pairs(_text(raw))
        elif key == "axis_names":
            names = list(raw) if isinstance(raw, (list, tuple)) else _text(raw).split(";")
            names = [_text(n) for n in names]
            if len(names) != 3 or not all(names):
                raise SettingsError("axis_names needs exactly three non-empty names")
            changes[key] = tuple(names)
        elif key == "customer_code_length":
            try:
                changes[key] = int(str(raw).strip())
            except ValueError as exc:
                raise SettingsError(f"customer_code_length must be a number, got {raw!r}") from exc
        elif key in ("hubspot_quote_statuses", "hubspot_deal_stages"):
            items = list(raw) if isinstance(raw, (list, tuple)) else _text(raw).split(";")
            changes[key] = tuple(_text(i) for i in items if _text(i))
        elif key == "tab_per_month":
            changes[key] = _flag(raw)
        elif key == "fec_separator":
            sep = "\t" if _text(raw).lower() in ("tab", "\\t", "") or raw == "\t" else _text(raw)
            changes[key] = sep
        else:
            changes[key] = _text(raw)
    settings = replace(base, **changes)
    check(settings)
    return settings


def check(settings: Settings) -> None:
    if settings.fec_separator not in ("\t", "|"):
        raise SettingsError("fec_separator must be a tab or |")
    if settings.customer_code_length <= len(settings.customer_code_prefix):
        raise SettingsError("customer_code_length must be longer than the prefix")
    if settings.start_date:
        try:
            date.fromisoformat(settings.start_date)
        except ValueError as exc:
            raise SettingsError(f"start_date must be AAAA-MM-JJ, got {settings.start_date!r}") from exc
    if settings.siren and not (settings.siren.isdigit() and len(settings.siren) == 9):
        raise SettingsError(f"siren must be 9 digits, got {settings.siren!r}")
    for text, name in ((settings.export_encoding, "export_encoding"),
                       (settings.fec_encoding, "fec_encoding")):
        try:
            "".encode(text)
        except LookupError as exc:
            raise SettingsError(f"{name}: unknown encoding {text!r}") from exc
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"unknown time zone {settings.timezone!r}") from exc


def to_rows(settings: Settings) -> list[tuple[str, str, str]]:
    """(key, value, description) rows, the Paramètres tab's body."""
    rows = []
    for f in fields(Settings):
        value = getattr(settings, f.name)
        if isinstance(value, dict):
            text = ";".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, tuple):
            text = ";".join(value)
        elif isinstance(value, bool):
            text = "oui" if value else "non"
        elif f.name == "fec_separator":
            text = "tab" if value == "\t" else value
        else:
            text = str(value)
        rows.append((f.name, text, DESCRIPTIONS[f.name]))
    return rows
