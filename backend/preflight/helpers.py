"""What several checks share: the quote of a service's message, scrubbed of secrets and cut
short, and the lookup of one of the company's secrets (which says, in French, why there is
none and how to create it).

No secret value is ever part of a line: whatever a service or an exception says goes through
`scrubbed_quote` (backend/secrets.py's scrub) before a line quotes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.preflight.setup import PreflightSetup
from backend.secrets import Secret, SecretMissing, scrub


def scrubbed_quote(text: str, limit: int = 300) -> str:
    """`text` on one line, scrubbed of secrets, cut to `limit` characters."""
    text = scrub(" ".join(str(text).split()))
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --- secrets ------------------------------------------------------------------------------

@dataclass
class FoundSecret:
    secret: Secret | None
    problem: str = ""     # French: why there is none
    fix: str = ""
    configured: bool = True


def company_secret(setup: PreflightSetup, kind: str, what: str) -> FoundSecret:
    """The company's secret of that `kind` ("stripe", "hubspot"...); when there is none, why,
    and how to create it (`what`: what the secret must hold, in French)."""
    name = setup.company.secret_name(kind)
    if not name:
        return FoundSecret(None, f"aucun secret « {kind} » dans la configuration de la société",
                           f"python -m backend companies update {setup.company.id} --secret "
                           f"{kind}=<nom du secret>, puis créez ce secret avec {what}.",
                           configured=False)
    try:
        return FoundSecret(setup.secrets.get(name))
    except SecretMissing as exc:
        return FoundSecret(None, f"le secret « {name} » est introuvable ({exc.where})",
                           f"Créez le secret « {name} » avec {what} (Secret Manager en "
                           "production).")
