"""Where the CLI and the web layer get their collaborators: Stripe, the spreadsheet, the
ledger store and the settings, from arguments and the environment.

Environment: STRIPE_API_KEY, STRIPE_API_BASE (the sandbox), SPREADSHEET_ID, SHEETS_API_BASE
(the sandbox), GOOGLE_APPLICATION_CREDENTIALS (a service account), DATABASE_URL, COMPANY.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from backend.core.settings import Settings
from backend.ports import Spreadsheet, StripeSource
from backend.settings_file import load_settings
from backend.sheet_settings import load_sheet_settings
from backend.store.ledger import LedgerStore

USER_TOKEN = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "stripe-journal" / "token.json"


class ConfigError(ValueError):
    pass


@dataclass
class Connections:
    company: str
    settings: Settings
    store: LedgerStore
    sheet: Spreadsheet
    stripe: StripeSource | None = None


def google_credentials(path: str | None, sandbox: bool = False):
    """A service account's key file, else the sandbox's token when talking to the sandbox,
    else the user's token saved by `python -m backend login`."""
    from google.oauth2 import credentials as user_credentials, service_account
    from backend.adapters.google_sheets import SCOPES
    path = path or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if path:
        return service_account.Credentials.from_service_account_file(path, scopes=SCOPES)
    if sandbox:
        from backend.sandbox.local import SHEETS_TOKEN
        return user_credentials.Credentials(token=os.environ.get("SHEETS_API_TOKEN", SHEETS_TOKEN))
    if USER_TOKEN.exists():
        return user_credentials.Credentials.from_authorized_user_file(str(USER_TOKEN), SCOPES)
    raise ConfigError("no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS to a service "
                      "account key, or run `python -m backend login`")


def open_sheet(xlsx: str | None, spreadsheet_id: str | None, credentials: str | None,
               sheets_url: str | None) -> Spreadsheet:
    if xlsx:
        from backend.adapters.xlsx_workbook import XlsxSpreadsheet
        return XlsxSpreadsheet(xlsx)
    spreadsheet_id = spreadsheet_id or os.environ.get("SPREADSHEET_ID")
    if not spreadsheet_id:
        raise ConfigError("no spreadsheet: give --xlsx PATH or --spreadsheet ID (or SPREADSHEET_ID)")
    from backend.adapters.google_sheets import GoogleSheetsAdapter
    base_url = sheets_url or os.environ.get("SHEETS_API_BASE")
    return GoogleSheetsAdapter(spreadsheet_id, google_credentials(credentials, sandbox=bool(base_url)),
                               base_url=base_url)


def open_stripe(api_key: str | None, stripe_url: str | None) -> StripeSource:
    from backend.adapters.stripe_source import StripeSourceAdapter
    api_key = api_key or os.environ.get("STRIPE_API_KEY")
    if not api_key:
        raise ConfigError("no Stripe key: set STRIPE_API_KEY")
    return StripeSourceAdapter(api_key, base_url=stripe_url or os.environ.get("STRIPE_API_BASE"))


def open_hubspot(token: str | None, hubspot_url: str | None):
    from backend.adapters.hubspot_crm import HubSpotAdapter
    token = token or os.environ.get("HUBSPOT_ACCESS_TOKEN")
    if not token:
        raise ConfigError("no HubSpot token: set HUBSPOT_ACCESS_TOKEN (a private app's token)")
    return HubSpotAdapter(token, host=hubspot_url or os.environ.get("HUBSPOT_API_BASE"))


def open_stripe_catalog(api_key: str | None, stripe_url: str | None):
    from backend.adapters.stripe_catalog import StripeCatalogAdapter
    api_key = api_key or os.environ.get("STRIPE_API_KEY")
    if not api_key:
        raise ConfigError("no Stripe key: set STRIPE_API_KEY")
    return StripeCatalogAdapter(api_key, base_url=stripe_url or os.environ.get("STRIPE_API_BASE"))


def connect(args, need_stripe: bool) -> Connections:
    sheet = open_sheet(args.xlsx, args.spreadsheet, args.credentials, args.sheets_url)
    store = LedgerStore(args.database or os.environ.get("DATABASE_URL") or "sqlite:///ledger.db")
    store.migrate()
    settings = load_sheet_settings(sheet, load_settings(args.settings))
    stripe = open_stripe(args.stripe_key, args.stripe_url) if need_stripe else None
    return Connections(args.company or os.environ.get("COMPANY") or "default", settings, store,
                       sheet, stripe)


def add_arguments(parser, stripe: bool, hubspot: bool = False) -> None:
    group = parser.add_argument_group("where")
    group.add_argument("--xlsx", help="a local .xlsx workbook instead of a Google Sheet")
    group.add_argument("--spreadsheet", help="Google spreadsheet id (or SPREADSHEET_ID)")
    group.add_argument("--credentials", help="service account key file (or GOOGLE_APPLICATION_CREDENTIALS)")
    group.add_argument("--sheets-url", help="Sheets API address (the sandbox's; or SHEETS_API_BASE)")
    group.add_argument("--database", help="ledger store URL (or DATABASE_URL; sqlite:///ledger.db)")
    group.add_argument("--company", help="company name in the store (or COMPANY; default)")
    group.add_argument("--settings", help="settings file; the sheet's Paramètres tab wins over "
                       "it for what it may change (SIREN, company name, HubSpot rules: this "
                       "file only)")
    if stripe:
        group.add_argument("--stripe-key", help="Stripe secret key (better: STRIPE_API_KEY)")
        group.add_argument("--stripe-url", help="Stripe API address (the sandbox's; or STRIPE_API_BASE)")
    if hubspot:
        group.add_argument("--hubspot-token", help="HubSpot private app token (better: HUBSPOT_ACCESS_TOKEN)")
        group.add_argument("--hubspot-url", help="HubSpot API address (the sandbox's; or HUBSPOT_API_BASE)")
