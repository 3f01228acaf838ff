"""The command line of `python -m deploy`, and the checks made before any command runs."""

from __future__ import annotations

import argparse
import re

# The per-company secrets the backend reads (backend/auth/companies.py SECRET_KINDS), with the
# names companies.json and the registry give them by default (<company>-<suffix>).
SECRET_SUFFIXES = {
    "stripe": "stripe-key",
    "hubspot": "hubspot-token",
    "hubspot_webhook": "hubspot-app-secret",
    "stripe_webhook": "stripe-webhook-secret",
    "google": "sheets-service-account",
}
# A company without its own Google service account uses App Engine's: that secret is created
# only when a value is given.
OPTIONAL_KINDS = ("google",)

# Cloud SQL: which tiers each edition accepts. Enterprise Plus refuses the shared-core tiers
# (db-f1-micro, db-g1-small) and the db-custom ones; Enterprise refuses db-perf-optimized.
# https://cloud.google.com/sql/docs/postgres/editions-intro
EDITION_TIERS = {
    "ENTERPRISE": re.compile(r"^db-(f1-micro|g1-small|custom-\d+-\d+)$"),
    "ENTERPRISE_PLUS": re.compile(r"^db-perf-optimized-N-\d+$"),
}
TIER_HINTS = {
    "ENTERPRISE": "db-f1-micro, db-g1-small or db-custom-CPUS-MEMORY_MB",
    "ENTERPRISE_PLUS": "db-perf-optimized-N-2, -N-4, -N-8, …",
}

# App Engine names two of its locations differently from the Cloud region they are in.
# https://cloud.google.com/appengine/docs/standard/locations
APP_ENGINE_LOCATIONS = {"europe-west1": "europe-west", "us-central1": "us-central"}

COMPANY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")    # as backend/auth/companies.py


class OptionsError(ValueError):
    """A wrong option, found before any command runs (the message says which and why)."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m deploy",
        description="Set up (or bring up to date) the backend's Google Cloud project.")
    p.add_argument("--project", required=True, help="the Google Cloud project id")
    p.add_argument("--region", default="europe-west1",
                   help="Cloud region of Cloud SQL, Cloud Tasks and Cloud Scheduler "
                        "(default europe-west1)")
    p.add_argument("--app-region", default=None,
                   help="App Engine location (default: the one of --region; europe-west for "
                        "europe-west1). It can never be changed once the app exists")
    p.add_argument("--edition", default="ENTERPRISE", choices=sorted(EDITION_TIERS),
                   type=lambda value: value.upper().replace("-", "_"),
                   help="Cloud SQL edition (default ENTERPRISE)")
    p.add_argument("--tier", default="db-f1-micro",
                   help="Cloud SQL machine tier, one the edition accepts (default db-f1-micro)")
    p.add_argument("--database-version", default="POSTGRES_16")
    p.add_argument("--instance", default="journal", help="Cloud SQL instance (default journal)")
    p.add_argument("--company", action="append", default=[], metavar="ID",
                   help="a company whose secrets to create (repeatable)")
    p.add_argument("--secrets-file", metavar="PATH",
                   help="JSON {secret name: value} for the secrets to set, or - for stdin; "
                        "values may also come from the environment (maison-coworking-stripe-key"
                        " -> MAISON_COWORKING_STRIPE_KEY). Never printed")
    p.add_argument("--client-id", action="append", default=[], metavar="ID",
                   help="OAuth client id whose ID tokens the backend accepts (the Editor "
                        "add-on's, or the bound script's): ID_TOKEN_AUDIENCES (repeatable)")
    p.add_argument("--companies-file", metavar="PATH",
                   help="a companies.json to ship with the app (until the registry in the "
                        "database replaces it)")
    p.add_argument("--schedule", default="0 6 * * *",
                   help="Cloud Scheduler's daily generation, cron syntax, Europe/Paris "
                        "(default 0 6 * * *)")
    p.add_argument("--no-scheduler", action="store_true",
                   help="no Cloud Scheduler job (the Apps Script daily trigger does it)")
    p.add_argument("--skip-migrations", action="store_true",
                   help="do not run `python -m backend db upgrade` through the proxy")
    p.add_argument("--skip-deploy", action="store_true", help="everything but gcloud app deploy")
    p.add_argument("--python", default=None,
                   help="the Python that has the backend's requirements, for the migrations "
                        "(default .venv/bin/python if there, else this one)")
    p.add_argument("--proxy", default="cloud-sql-proxy",
                   help="the Cloud SQL Auth Proxy executable (v2)")
    p.add_argument("--appsscript-dir", default=None, metavar="PATH",
                   help="the Apps Script folder whose Config.gs and appsscript.json get the "
                        "backend's address, for clasp push (default: appsscript/)")
    p.add_argument("--dry-run", action="store_true",
                   help="print every check and command, run none")
    return p


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    args = parser().parse_args(argv)
    check(args)
    if args.app_region is None:
        args.app_region = APP_ENGINE_LOCATIONS.get(args.region, args.region)
    return args


def check(args: argparse.Namespace) -> None:
    if not EDITION_TIERS[args.edition].match(args.tier):
        other = next((e for e, tiers in EDITION_TIERS.items() if tiers.match(args.tier)), None)
        why = (f"it is a tier of {other}" if other else "it is no Cloud SQL tier we know")
        raise OptionsError(
            f"--tier {args.tier} does not go with --edition {args.edition} ({why}); "
            f"{args.edition} takes {TIER_HINTS[args.edition]}")
    if not re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", args.project):
        raise OptionsError(f"--project {args.project!r} is not a Google Cloud project id")
    for company in args.company:
        if not COMPANY_ID.match(company):
            raise OptionsError(f"--company {company!r}: lower-case letters, digits, - and _")
    if len(set(args.company)) != len(args.company):
        raise OptionsError("--company: a company is named twice")


def secret_names(company: str) -> dict[str, str]:
    """kind -> secret name for a company."""
    return {kind: f"{company}-{suffix}" for kind, suffix in SECRET_SUFFIXES.items()}
