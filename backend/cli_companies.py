"""`python -m backend companies add|list|show|update|remove|import`: the company registry.

The companies the backend serves live in the ledger database (backend/auth/registry.py); the
running app reads them at each request, so a company added, changed or removed here is
served (or refused) at once, with no restart or deploy. The database is `--database-url`,
else DATABASE_URL, else sqlite:///ledger.db; it is migrated first.

    companies add ID --name N --spreadsheet ID --email E [--email E2] [--client-id C]
                     [--secret KIND=NAME] [--setting KEY=VALUE]
    companies update ID [the same options] [--remove-email E] [--remove-client-id C]
                        [--remove-secret KIND] [--unset-setting KEY]
    companies show ID | list | remove ID | import FILE [--replace]

Secrets are given by NAME (Secret Manager's, the secrets file's or the environment's): the
registry never holds a secret's value. A Google spreadsheet id may start with `-`
(`--spreadsheet -WIvse…` works, as does `--spreadsheet=-WIvse…`).

Exit codes (as backend/cli.py): 0 done, 2 bad input (nothing written, the message says
why), 4 the database could not be reached or migrated.
"""

from __future__ import annotations

import argparse
import json
import sys

EXIT_INPUT = 2
EXIT_SERVICE = 4


def register(commands) -> None:
    """Add `companies` and its sub-commands to the CLI's sub-parsers (backend/cli.py)."""
    top = commands.add_parser("companies", help="the companies served: add, list, show, "
                              "update, remove, import (the registry in the ledger database)")
    # `--spreadsheet -WIvse…`: backend/cli.py's main() glues such values (backend/cli_args.py).
    sub = top.add_subparsers(dest="companies_command", required=True)
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--database-url", help="the ledger database (or DATABASE_URL; "
                                              "default sqlite:///ledger.db)")

    add = sub.add_parser("add", parents=[where], allow_abbrev=False,
                         help="add a company (served at once)")
    add.add_argument("id", help="lower-case letters, digits, - and _ (the ledger's company key)")
    add.add_argument("--spreadsheet", required=True, help="the company's Google spreadsheet id")
    _field_options(add)
    add.set_defaults(run=cmd_add)

    upd = sub.add_parser("update", parents=[where], allow_abbrev=False,
                         help="change some of a company's fields")
    upd.add_argument("id")
    upd.add_argument("--spreadsheet", help="a new spreadsheet id")
    _field_options(upd)
    upd.add_argument("--remove-email", action="append", default=[], metavar="EMAIL")
    upd.add_argument("--remove-client-id", action="append", default=[], metavar="CLIENT_ID")
    upd.add_argument("--remove-secret", action="append", default=[], metavar="KIND")
    upd.add_argument("--unset-setting", action="append", default=[], metavar="KEY")
    upd.set_defaults(run=cmd_update)

    show = sub.add_parser("show", parents=[where], help="everything about one company")
    show.add_argument("id")
    show.set_defaults(run=cmd_show)

    lst = sub.add_parser("list", parents=[where], help="one line per company")
    lst.set_defaults(run=cmd_list)

    rem = sub.add_parser("remove", parents=[where],
                         help="stop serving a company (its ledger rows are kept)")
    rem.add_argument("id")
    rem.set_defaults(run=cmd_remove)

    imp = sub.add_parser("import", parents=[where],
                         help="bring a companies file (JSON or TOML) in, all or nothing")
    imp.add_argument("file", help="a companies file (see backend/auth/companies.example.json)")
    imp.add_argument("--replace", action="store_true",
                     help="also remove the companies the file does not list")
    imp.set_defaults(run=cmd_import)


def _field_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", help="the company's name (default: its id)")
    parser.add_argument("--email", action="append", default=[],
                        help="an email allowed to act for the company (repeatable)")
    parser.add_argument("--client-id", action="append", default=[],
                        help="an OAuth client id whose ID tokens the company's script sends "
                             "(repeatable; none: the global ID_TOKEN_AUDIENCES)")
    parser.add_argument("--secret", action="append", default=[], metavar="KIND=NAME",
                        help="the NAME of a secret (kinds: stripe, hubspot, google, "
                             "hubspot_webhook, stripe_webhook; repeatable)")
    parser.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                        help="a setting of backend/core/settings.py (repeatable)")


# --- the commands -------------------------------------------------------------------------

def cmd_add(args: argparse.Namespace) -> int:
    def run(registry):
        fields = {"spreadsheet_id": args.spreadsheet, "allowed_emails": args.email,
                  "client_ids": args.client_id, "secrets": _pairs(args.secret, "--secret"),
                  "settings": _pairs(args.setting, "--setting")}
        if args.name is not None:
            fields["name"] = args.name
        company = registry.add_fields(args.id, fields)
        print(f"added company {company.id} ({company.name}): spreadsheet "
              f"{company.spreadsheet_id}, {_count(company.allowed_emails, 'allowed email')}, "
              f"{_count(company.client_ids, 'client id')}")
    return _with_registry(args, run)


def cmd_update(args: argparse.Namespace) -> int:
    def run(registry):
        current = registry.fields(args.id)
        if current is None:
            raise _InputError(f"no company {args.id!r} in the registry")
        changes: dict = {}
        if args.name is not None:
            changes["name"] = args.name
        if args.spreadsheet is not None:
            changes["spreadsheet_id"] = args.spreadsheet
        emails = _edited(current["allowed_emails"], [e.strip().lower() for e in args.email],
                         [e.strip().lower() for e in args.remove_email], "allowed email", args.id)
        clients = _edited(current["client_ids"], args.client_id, args.remove_client_id,
                          "client id", args.id)
        secrets = _edited_map(current["secrets"], _pairs(args.secret, "--secret"),
                              args.remove_secret, "secret", args.id)
        settings = _edited_map(current["settings"], _pairs(args.setting, "--setting"),
                               args.unset_setting, "setting", args.id)
        for key, old, new in (("allowed_emails", current["allowed_emails"], emails),
                              ("client_ids", current["client_ids"], clients),
                              ("secrets", current["secrets"], secrets),
                              ("settings", current["settings"], settings)):
            if new != old:
                changes[key] = new
        changed = [k for k, v in changes.items() if v != current[k]]
        if not changed:
            print(f"company {args.id}: nothing to change")
            return
        company = registry.update(args.id, **changes)
        print(f"updated company {company.id} ({company.name}): {', '.join(changed)}")
    return _with_registry(args, run)


def cmd_show(args: argparse.Namespace) -> int:
    def run(registry):
        fields = registry.fields(args.id)
        if fields is None:
            raise _InputError(f"no company {args.id!r} in the registry")
        company = registry.get(args.id)
        print(f"id: {fields['id']}")
        print(f"name: {fields['name']}")
        print(f"spreadsheet: {fields['spreadsheet_id']}")
        print(f"allowed emails: {', '.join(fields['allowed_emails']) or '(none)'}")
        print("client ids: " + (", ".join(fields["client_ids"])
                                or "(none: the global ID_TOKEN_AUDIENCES)"))
        print("secrets (names only, never values):" + ("" if fields["secrets"] else " (none)"))
        for kind, name in sorted(fields["secrets"].items()):
            print(f"  {kind}: {name}")
        print("settings:" + ("" if fields["settings"] else " (the defaults)"))
        for key, value in fields["settings"].items():
            print(f"  {key}: {json.dumps(value, ensure_ascii=False)}")
        print(f"created: {fields['created_at'].isoformat(timespec='seconds')}, "
              f"updated: {fields['updated_at'].isoformat(timespec='seconds')}")
        if company is None:
            print("NOT SERVED: these fields are no longer valid (see the log); fix them with "
                  "`companies update`")
    return _with_registry(args, run)


def cmd_list(args: argparse.Namespace) -> int:
    def run(registry):
        companies = registry.as_mapping()["companies"]
        for cid, fields in companies.items():
            print(f"{cid}\t{fields['spreadsheet_id']}\t{fields['name']}\t"
                  f"{_count(fields['allowed_emails'], 'email')}, "
                  f"{_count(fields['client_ids'], 'client id')}")
        print(f"{_count(companies, 'company', 'companies')}")
    return _with_registry(args, run)


def cmd_remove(args: argparse.Namespace) -> int:
    def run(registry):
        company = registry.remove(args.id)
        print(f"removed company {company.id} ({company.name}), spreadsheet "
              f"{company.spreadsheet_id}: no longer served. Its ledger rows (entries written, "
              "runs, customer codes, anomalies) are kept in the database; adding the company "
              "again with the same id finds them.")
    return _with_registry(args, run)


def cmd_import(args: argparse.Namespace) -> int:
    from backend.auth.companies import read_companies_file

    def run(registry):
        raw = read_companies_file(args.file)
        report = registry.import_mapping(raw, replace=args.replace)
        print(f"imported {args.file}: "
              + "; ".join(f"{what} {', '.join(ids) if ids else '(none)'}"
                          for what, ids in (("added", report.added), ("updated", report.updated),
                                            ("unchanged", report.unchanged),
                                            ("removed", report.removed))))
    return _with_registry(args, run)


# --- helpers ----------------------------------------------------------------------------------

class _InputError(Exception):
    """Bad options (the message says which): nothing written."""


def _with_registry(args: argparse.Namespace, run) -> int:
    """Open and migrate the ledger database, run the command on its registry; a refusal is
    printed, exit 2, nothing written."""
    import sqlalchemy.exc

    from backend.auth.companies import CompaniesError
    from backend.auth.registry import CompanyRegistry
    from backend.store.ledger import LedgerStore, database_url

    try:
        store = LedgerStore(database_url(args.database_url))
    except (ValueError, sqlalchemy.exc.ArgumentError) as exc:
        print(f"error: --database-url: {exc}", file=sys.stderr)
        return EXIT_INPUT
    try:
        store.migrate()
        run(CompanyRegistry(store.engine))
    except (CompaniesError, _InputError) as exc:
        message = str(exc)
        if "nothing" not in message:
            message += "; nothing written"
        print(f"error: {message}", file=sys.stderr)
        return EXIT_INPUT
    except sqlalchemy.exc.SQLAlchemyError as exc:
        print(f"error: the ledger database failed: {type(exc).__name__}: "
              f"{str(exc).splitlines()[0][:300]}", file=sys.stderr)
        return EXIT_SERVICE
    finally:
        store.close()
    return 0


def _pairs(items: list[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise _InputError(f"{option} {item!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def _edited(current: list[str], added: list[str], removed: list[str], what: str,
            company_id: str) -> list[str]:
    missing = [r for r in removed if r not in current]
    if missing:
        raise _InputError(f"company {company_id!r} has no {what} {', '.join(missing)}")
    kept = [c for c in current if c not in removed]
    return kept + [a for a in dict.fromkeys(added) if a not in kept]


def _edited_map(current: dict, changes: dict, removed: list[str], what: str,
                company_id: str) -> dict:
    missing = [r for r in removed if r not in current]
    if missing:
        raise _InputError(f"company {company_id!r} has no {what} {', '.join(missing)}")
    return {**{k: v for k, v in current.items() if k not in removed}, **changes}


def _count(items, singular: str, plural: str | None = None) -> str:
    n = len(items)
    return f"{n} {singular if n == 1 else plural or singular + 's'}"
