"""Who may do what, once the token is verified.

A person (the accountant, through the sidebar or her daily trigger) acts on one company: the
one whose spreadsheet the request names. The request may also name the company; then the
spreadsheet must be that company's. The token's audience must be one of the company's client
ids (or, when it lists none, of the global ones), and so must its authorized party (`azp`)
when it has one: Google's rule for ID tokens, since a token issued to another client (another
app of the same project) may carry our audience. The email must be one of its allowed emails.

A service (Cloud Scheduler, Cloud Tasks) acts on any company: its token's email must be one
of the configured service accounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from backend.auth.companies import Companies, Company
from backend.auth.tokens import Identity


class AccessDenied(Exception):
    """The caller is who it says, but may not do this (the message, English, is for the log)."""


@dataclass(frozen=True)
class Caller:
    email: str
    company: Company


def authorize_user(identity: Identity, companies: Companies, spreadsheet_id: str | None,
                   company_id: str | None, global_audiences: Iterable[str]) -> Caller:
    spreadsheet_id = (spreadsheet_id or "").strip()
    if not spreadsheet_id:
        raise AccessDenied("the request names no spreadsheet")
    company = companies.by_spreadsheet(spreadsheet_id)
    if company is None:
        raise AccessDenied(f"spreadsheet {spreadsheet_id} is no company's")
    if company_id and company_id != company.id:
        raise AccessDenied(f"spreadsheet {spreadsheet_id} is not company {company_id}'s")
    audiences = set(company.client_ids) or set(global_audiences)
    if identity.audience not in audiences:
        raise AccessDenied(f"audience {identity.audience} is not a client id of {company.id}")
    if identity.authorized_party is not None and identity.authorized_party not in audiences:
        raise AccessDenied(f"authorized party {identity.authorized_party} is not a client id "
                           f"of {company.id}")
    if not company.allows(identity.email):
        raise AccessDenied(f"{identity.email} is not allowed for {company.id}")
    return Caller(identity.email, company)


def authorize_service(identity: Identity, service_accounts: Iterable[str]) -> str:
    allowed = {s.strip().lower() for s in service_accounts if s.strip()}
    if identity.email not in allowed:
        raise AccessDenied(f"{identity.email} is not a configured service account")
    return identity.email
