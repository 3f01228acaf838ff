"""The company's settings, with the design's defaults.

One flat key/value form serves the settings file and the sheet's Paramètres tab, so the
accountant edits exactly what a file would hold. Loading a file is left to the caller
(`backend.settings_file`): this module stays pure.
"""

from __future__ import annotations

import re
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
    """A setting refused, in French. `key` names the setting and `reason` says what is wrong
    without it, so that the sheet can name the cell instead."""

    def __init__(self, message: str, key: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.key = key
        self.reason = reason or message


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
    # First month of the fiscal year (01 to 12): the period of the fiscal year's FEC.
    fiscal_year_start: str = "01"

    def vat_account(self, percentage: Decimal) -> str | None:
        return self.vat_accounts.get(rate_key(percentage))

    def account_label(self, account: str) -> str:
        best = ""
        for prefix in self.account_labels:
            if account.startswith(prefix) and len(prefix) > len(best):
                best = prefix
        return self.account_labels.get(best, "") or account


def rate_key(percentage: Decimal | float | str) -> str:
    """20 -> "20", 5.50 -> "5.5": the VAT map's keys, whatever form the rate came in.

    Text must be a plain decimal (`_rate_text`); a number must be finite and of a rate's size:
    `Decimal("1e999999999")` would otherwise be written out in a billion digits, and a
    signalling NaN raises on `normalize()` outside the settings' error path.
    """
    if isinstance(percentage, str):
        value = _rate_text(percentage)
    else:
        try:
            value = Decimal(str(percentage))
        except InvalidOperation as exc:
            raise SettingsError(f"taux de TVA illisible : « {_shown(percentage)} »") from exc
        if not value.is_finite() or not -9 <= value.adjusted() <= 2:
            raise SettingsError(f"taux de TVA illisible : « {_shown(percentage)} »")
    return format(value.normalize(), "f")


# A rate as a person types it: up to 100, a comma or a point, four decimals at most. ASCII
# digits only ([0-9], not \d): Decimal() itself takes "1_0", "1e2", "sNaN" and Arabic digits.
_RATE = re.compile(r"[0-9]{1,3}(?:[.,][0-9]{1,4})?")


def _rate_text(text: str) -> Decimal:
    plain = text.strip()
    if not _RATE.fullmatch(plain) or Decimal(plain.replace(",", ".")) > 100:
        raise SettingsError(f"taux de TVA « {_shown(text)} » : un nombre décimal de 0 à 100 "
                            "est attendu (20, 5,5 ou 5.5)")
    return Decimal(plain.replace(",", "."))


# Encodings of the files, by the names a person may type (case ignored) -> the one name kept,
# which the download's Content-Type then carries. Inexweb reads Windows-1252 or UTF-8;
# article A47 A-1 allows the FEC in ASCII, ISO-8859-15 or UTF-8 (ASCII is within both), as
# formats/fec_validator.py checks. Never any codec Python knows: "utf-16", "idna", "rot13".
EXPORT_ENCODINGS = {"cp1252": "cp1252", "windows-1252": "cp1252", "utf-8": "utf-8", "utf8": "utf-8"}
FEC_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "iso-8859-15": "iso-8859-15",
                 "iso8859-15": "iso-8859-15", "latin-9": "iso-8859-15", "latin9": "iso-8859-15"}

# Who may change what (docs/DESIGN.md, "Who is trusted for what"). The Paramètres tab may change
# how the books are presented; what the company is comes only from its configuration (the
# company registry, a companies file, a settings file): a sheet editor must not be able to
# rename the company, change the SIREN of its FEC, or choose which HubSpot records become
# Stripe customers. What this says, by key, when the tab holds another value than the
# configuration's (the value is ignored).
CONFIG_ONLY = {
    "company_name": "la raison sociale ne se change pas depuis la feuille",
    "siren": "le SIREN ne se change pas depuis la feuille",
    "hubspot_quote_statuses": "les statuts de devis HubSpot ne se changent pas depuis la feuille",
    "hubspot_deal_stages": "les étapes de transaction HubSpot ne se changent pas depuis la "
                           "feuille",
}
SHEET_KEYS = frozenset({
    "journal_code", "journal_label", "customer_account", "customer_code_prefix",
    "customer_code_length", "vat_accounts", "discount_account", "credit_note_custom_account",
    "axis_names", "timezone", "currency", "export_encoding", "fec_encoding", "fec_separator",
    "account_labels", "tab_per_month", "start_date", "fiscal_year_start",
})


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
    "fiscal_year_start": "Premier mois de l'exercice comptable (01 à 12), pour le FEC de l'exercice",
}

# The fixed forms. [0-9] and [A-Za-z] are ASCII only, unlike \d, \w and str.isdigit().
_SIREN = re.compile(r"[0-9]{9}")
_ACCOUNT = re.compile(r"[0-9][0-9A-Za-z]{0,19}")         # FEC CompteNum: digits first
_PREFIX = re.compile(r"[0-9A-Za-z]{1,20}")
_JOURNAL_CODE = re.compile(r"[0-9A-Za-z]{1,10}")
_CURRENCY = re.compile(r"[a-z]{3}")                       # ISO 4217, as Stripe writes it
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HUBSPOT_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,100}")
LABEL_MAX = 100


def _shown(value) -> str:
    """A typed value inside a message: one line, what cannot be printed escaped, cut short."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))
    return text if len(text) <= 40 else text[:39] + "…"


def _split_pairs(text: str) -> dict[str, str]:
    pairs = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            raise SettingsError(f"« {_shown(part.strip())} » : clé=valeur attendu, séparés par ;")
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
    raise SettingsError(f"oui ou non attendu, pas « {_shown(raw)} »")


def _form(raw, pattern: re.Pattern, what: str, empty: bool = False) -> str:
    text = _text(raw)
    if (empty and not text) or pattern.fullmatch(text):
        return text
    raise SettingsError(f"{what} invalide : « {_shown(raw)} »")


def _account(raw, empty: bool = False) -> str:
    text = _text(raw)
    if (empty and not text) or _ACCOUNT.fullmatch(text):
        return text
    raise SettingsError(f"numéro de compte invalide : « {_shown(raw)} » (chiffres puis lettres ou "
                        "chiffres, 20 au plus)")


def _label(raw, what: str, empty: bool = False) -> str:
    """One printable line: a tab or a line break would split a field of the files."""
    text = _text(raw)
    if not text and not empty:
        raise SettingsError(f"{what} vide")
    if len(text) > LABEL_MAX or not text.isprintable():
        raise SettingsError(f"{what} invalide : « {_shown(raw)} » (une ligne, {LABEL_MAX} "
                            "caractères au plus)")
    return text


def _items(raw) -> list:
    return list(raw) if isinstance(raw, (list, tuple)) else _text(raw).split(";")


def _encoding(raw, known: dict[str, str]) -> str:
    name = known.get(_text(raw).lower())
    if name is None:
        listed = " ou ".join(sorted(set(known.values())))
        raise SettingsError(f"encodage « {_shown(raw)} » non accepté ({listed})")
    return name


def _zone(raw) -> str:
    text = _text(raw)
    try:
        if _ZONE.fullmatch(text):
            ZoneInfo(text)
            return text
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass    # "Europe" is a directory of the database: OSError on some platforms
    raise SettingsError(f"fuseau horaire inconnu : « {_shown(raw)} »")


def _start_date(raw) -> str:
    text = _text(raw)
    if not text:
        return ""
    try:
        if _DATE.fullmatch(text):    # fromisoformat alone takes 20261001 and 2026-W40-1
            date.fromisoformat(text)
            return text
    except ValueError:
        pass
    raise SettingsError(f"date « {_shown(raw)} » : AAAA-MM-JJ attendu")


def _month_number(raw) -> str:
    """01 to 12; "7" (or 7.0 from a number cell) is kept as "07"."""
    text = _text(raw)
    if not re.fullmatch(r"[0-9]{1,2}", text) or not 1 <= int(text) <= 12:
        raise SettingsError(f"mois de début d'exercice invalide : « {_shown(raw)} » (un mois de "
                            "01 à 12)")
    return f"{int(text):02d}"


def _code_length(raw) -> int:
    text = _text(raw)
    if not re.fullmatch(r"[0-9]{1,2}", text) or not 2 <= int(text) <= 20:
        raise SettingsError(f"longueur des comptes clients invalide : « {_shown(raw)} » (un nombre "
                            "de 2 à 20)")
    return int(text)


def _separator(raw) -> str:
    if raw == "\t" or _text(raw).lower() in ("tab", "\\t", ""):
        return "\t"
    if _text(raw) == "|":
        return "|"
    raise SettingsError(f"séparateur du FEC invalide : « {_shown(raw)} » (tab ou |)")


def _vat_accounts(raw) -> dict[str, str]:
    pairs = raw if isinstance(raw, dict) else _split_pairs(_text(raw))
    return {rate_key(_text(k)): _account(v) for k, v in pairs.items()}


def _account_labels(raw) -> dict[str, str]:
    pairs = dict(raw) if isinstance(raw, dict) else _split_pairs(_text(raw))
    return {_form(k, _PREFIX, "préfixe de compte"): _label(v, "libellé de compte")
            for k, v in pairs.items()}


def _axis_names(raw) -> tuple[str, str, str]:
    names = [_text(n) for n in _items(raw)]
    if len(names) != 3 or not all(names):
        raise SettingsError("il faut exactement trois noms d'axes, séparés par ;")
    return tuple(_label(n, "nom d'axe") for n in names)


def _hubspot_ids(raw, what: str) -> tuple[str, ...]:
    return tuple(_form(i, _HUBSPOT_ID, what) for i in _items(raw) if _text(i))


# One parser per setting: the value as typed (a file's, the tab's) -> the value kept.
PARSERS = {
    "journal_code": lambda raw: _form(raw, _JOURNAL_CODE, "code du journal"),
    "journal_label": lambda raw: _label(raw, "libellé du journal"),
    "customer_account": _account,
    "customer_code_prefix": lambda raw: _form(raw, _PREFIX, "préfixe des comptes clients"),
    "customer_code_length": _code_length,
    "vat_accounts": _vat_accounts,
    "discount_account": lambda raw: _account(raw, empty=True),
    "credit_note_custom_account": _account,
    "axis_names": _axis_names,
    "timezone": _zone,
    "currency": lambda raw: _form(_text(raw).lower(), _CURRENCY, "devise (trois lettres : eur)"),
    "export_encoding": lambda raw: _encoding(raw, EXPORT_ENCODINGS),
    "fec_encoding": lambda raw: _encoding(raw, FEC_ENCODINGS),
    "fec_separator": _separator,
    "account_labels": _account_labels,
    "company_name": lambda raw: _label(raw, "raison sociale", empty=True),
    "siren": lambda raw: _form(raw, _SIREN, "SIREN (9 chiffres)", empty=True),
    "tab_per_month": _flag,
    "start_date": _start_date,
    "hubspot_quote_statuses": lambda raw: _hubspot_ids(raw, "statut de devis HubSpot"),
    "hubspot_deal_stages": lambda raw: _hubspot_ids(raw, "étape de transaction HubSpot"),
    "fiscal_year_start": _month_number,
}


def from_mapping(values: dict, base: Settings | None = None) -> Settings:
    """Settings from a mapping (a parsed file or the Paramètres tab); unknown keys refused.

    Every value is parsed to its fixed form; a refusal names its key (`SettingsError.key`)."""
    base = base or Settings()
    changes = {}
    for key, raw in values.items():
        parse = PARSERS.get(key)
        if parse is None:
            raise _keyed(SettingsError(f"paramètre inconnu « {_shown(key)} »"), key)
        try:
            changes[key] = parse(raw)
        except SettingsError as exc:
            raise _keyed(exc, key) from None
    settings = replace(base, **changes)
    check(settings)
    return settings


def _keyed(exc: SettingsError, key: str) -> SettingsError:
    """`exc`'s reason, said of `key` ("fec_encoding : encodage … non accepté")."""
    reason = exc.reason
    said = reason if reason.startswith("paramètre inconnu") else f"{key} : {reason}"
    return SettingsError(said, key, reason)


def check(settings: Settings) -> None:
    """What holds across settings, and each value's form again (a Settings built directly)."""
    for f in fields(Settings):
        value = getattr(settings, f.name)
        try:
            kept = PARSERS[f.name](list(value) if isinstance(value, tuple) else value)
        except SettingsError as exc:
            raise _keyed(exc, f.name) from None
        if kept != value:
            raise _keyed(SettingsError(f"valeur non normalisée : « {_shown(value)} »"), f.name)
    if settings.customer_code_length <= len(settings.customer_code_prefix):
        raise _keyed(SettingsError("la longueur des comptes clients doit dépasser celle du "
                                   "préfixe"), "customer_code_length")


def setting_text(settings: Settings, key: str) -> str:
    """A setting's value as the Paramètres tab and `--setting` write it."""
    value = getattr(settings, key)
    if isinstance(value, dict):
        return ";".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if key == "fec_separator":
        return "tab" if value == "\t" else value
    return str(value)


def to_rows(settings: Settings) -> list[tuple[str, str, str]]:
    """(key, value, description) rows, the Paramètres tab's body: what the tab may change."""
    return [(f.name, setting_text(settings, f.name), DESCRIPTIONS[f.name])
            for f in fields(Settings) if f.name in SHEET_KEYS]
