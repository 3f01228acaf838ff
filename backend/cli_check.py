"""`python -m backend check --company ID`: the preflight of a company (backend/preflight/),
printed line by line in French, exit code 0 when no line is an error, 1 otherwise.

The company comes from the company registry (`backend/auth/registry.py`, in the ledger
database) when there is one, else from the companies file (`--companies-file`, or
COMPANIES_FILE, default companies.json). Secrets come from where the backend reads them
(SECRETS, SECRETS_FILE, Secret Manager: backend/secrets.py); the service addresses from
--stripe-url/--sheets-url/--hubspot-url or STRIPE_API_BASE/SHEETS_API_BASE/HUBSPOT_API_BASE
(the sandboxes'); the public address from --public-base-url or PUBLIC_BASE_URL
(SERVICE_AUDIENCE); the database from --database or DATABASE_URL.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime

EXIT_PROBLEMS = 1     # at least one line is an error
EXIT_CONFIG = 2       # the company or its configuration could not be read: nothing checked


def _find_company(args, engine):
    """The company and where it was looked for: the registry when it exists (and no file is
    named), else the companies file."""
    from backend.auth.companies import load_companies
    from backend.auth.registry import CompanyRegistry
    if not args.companies_file:
        try:
            return CompanyRegistry(engine).get(args.company), "the company registry"
        except Exception as exc:  # noqa: BLE001 - no registry table there: the file says
            print(f"company registry not readable ({type(exc).__name__}); "
                  "reading the companies file", file=sys.stderr)
    path = args.companies_file or os.environ.get("COMPANIES_FILE") or "companies.json"
    return load_companies(path).get(args.company), str(path)


def cmd_check(args: argparse.Namespace) -> int:
    from backend.auth.companies import CompaniesError
    from backend.jobs.connections import ActionConnections, ServiceUrls
    from backend.jobs.model import Job
    from backend.preflight import PreflightSetup, preflight
    from backend.secrets import secret_source_from_env
    from backend.store.ledger import database_url
    from backend.store.schema import make_engine
    from backend.web.config import public_base_url

    url = database_url(args.database)
    try:
        engine = make_engine(url)
        company, where = _find_company(args, engine)
        secrets = secret_source_from_env()
        base = args.public_base_url or public_base_url(
            {"PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
             "SERVICE_AUDIENCE": os.environ.get("SERVICE_AUDIENCE", "")})
    except (CompaniesError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if company is None:
        print(f"error: no company {args.company!r} in {where}", file=sys.stderr)
        return EXIT_CONFIG
    urls = ServiceUrls(args.stripe_url or os.environ.get("STRIPE_API_BASE") or None,
                       args.sheets_url or os.environ.get("SHEETS_API_BASE") or None,
                       args.hubspot_url or os.environ.get("HUBSPOT_API_BASE") or None, base)
    # The backend's own identity for Sheets, chosen as a job's would be (jobs/connections.py).
    job = Job.new(company.id, "check", {}, "ligne de commande", datetime.now(UTC))
    connections = ActionConnections(company, job, None, secrets, urls)
    report = preflight(PreflightSetup(company, secrets, urls, connections.google_credentials,
                                      lambda: engine, public_base_url=base,
                                      timeout=args.timeout))
    print(f"Vérification de « {company.name} » ({company.id})")
    print(report.text())
    print(report.french())
    engine.dispose()
    return EXIT_PROBLEMS if report.errors else 0


def register(commands) -> None:
    check = commands.add_parser("check", help="say what would fail for a company before its "
                                              "first run (keys, scopes, sheet, webhooks, database)")
    check.add_argument("--company", required=True, help="the company's id")
    check.add_argument("--companies-file", help="companies file (JSON or TOML) instead of the "
                                                "registry (or COMPANIES_FILE)")
    check.add_argument("--database", help="ledger store URL (or DATABASE_URL)")
    check.add_argument("--public-base-url", help="the service's https address (or "
                                                 "PUBLIC_BASE_URL)")
    check.add_argument("--stripe-url", help="Stripe API address (the sandbox's)")
    check.add_argument("--sheets-url", help="Sheets API address (the sandbox's)")
    check.add_argument("--hubspot-url", help="HubSpot API address (the sandbox's)")
    check.add_argument("--timeout", type=float, default=10.0, help="seconds per check (10)")
    check.set_defaults(run=cmd_check)
