"""The HubSpot checks: the private app's token (accepted, with every scope the product needs)
and the webhooks' secret and target address.

Only when the company uses HubSpot: without a "hubspot" secret in its configuration, both say
so as a warning. HubSpot is asked through its official client (`hubspot.HubSpot`).
"""

from __future__ import annotations

from backend.preflight.helpers import company_secret, scrubbed_quote
from backend.preflight.report import (
    ERROR,
    LABEL_HUBSPOT,
    LABEL_HUBSPOT_WEBHOOK,
    OK,
    WARNING,
    CheckLine,
)
from backend.preflight.setup import PreflightSetup

# What the product needs of each service (README; the HubSpot sandbox's PRODUCT_SCOPES says
# the same, a test keeps them equal).
HUBSPOT_SCOPES = frozenset({
    "e-commerce",
    "crm.objects.companies.read", "crm.objects.companies.write", "crm.schemas.companies.write",
    "crm.objects.contacts.read", "crm.objects.contacts.write", "crm.schemas.contacts.write",
    "crm.objects.deals.read",
})
HUBSPOT_TOKEN_INFO = "/oauth/v2/private-apps/get/access-token-info"


def check_hubspot_token(setup: PreflightSetup, shared: dict) -> CheckLine:
    from hubspot import HubSpot
    label = LABEL_HUBSPOT
    found = company_secret(setup, "hubspot", "le jeton de l'application privée HubSpot (pat-…)")
    if found.secret is None:
        if not found.configured:
            return CheckLine(WARNING, label, "non configuré : la synchronisation HubSpot ↔ "
                             "Stripe n'est pas utilisée par cette société",
                             "Pour l'utiliser : " + found.fix)
        return CheckLine(ERROR, label, found.problem, found.fix)
    token = found.secret.reveal()
    client = HubSpot(access_token=token)
    options = {"method": "POST", "path": HUBSPOT_TOKEN_INFO, "body": {"tokenKey": token}}
    if setup.urls.hubspot:
        options["base_url"] = setup.urls.hubspot.rstrip("/")
    answer = client.api_request(options)       # no timeout of its own: the runner's gives one
    if answer.status_code in (401, 403):
        return CheckLine(ERROR, label, f"jeton refusé par HubSpot ({answer.status_code} : "
                         "invalide, révoqué ou d'un autre compte)",
                         "HubSpot › Paramètres › Intégrations › Applications privées › "
                         "l'application › Jeton d'accès : copiez-le (ou faites-le tourner) dans "
                         f"le secret « {found.secret.name} ».")
    if answer.status_code != 200:
        return CheckLine(ERROR, label, f"HubSpot a répondu {answer.status_code} : "
                         + scrubbed_quote(answer.text, 200),
                         "Relancez la vérification ; si cela persiste, voyez status.hubspot.com.")
    info = answer.json()
    granted = set(info.get("scopes") or [])
    missing = sorted(HUBSPOT_SCOPES - granted)
    if missing:
        return CheckLine(ERROR, label, f"jeton valide (compte {info.get('hubId')}), mais il "
                         f"manque les scopes {', '.join(missing)}",
                         "HubSpot › Paramètres › Intégrations › Applications privées › "
                         f"l'application › Scopes : cochez {', '.join(missing)}, enregistrez, "
                         "puis mettez le nouveau jeton dans le secret "
                         f"« {found.secret.name} » si HubSpot en donne un nouveau.")
    return CheckLine(OK, label, f"jeton valide (compte {info.get('hubId')}, application "
                     f"{info.get('appId')}), avec les {len(HUBSPOT_SCOPES)} scopes nécessaires")


def check_hubspot_webhook(setup: PreflightSetup, shared: dict) -> CheckLine:
    label = LABEL_HUBSPOT_WEBHOOK
    if not setup.company.secret_name("hubspot"):
        return CheckLine(WARNING, label, "non configuré : la société n'utilise pas HubSpot",
                         "Rien à faire tant que la synchronisation HubSpot n'est pas utilisée.")
    secret = company_secret(setup, "hubspot_webhook",
                            "le secret client de l'application HubSpot (qui signe les webhooks)")
    base = setup.public_base_url
    url = f"{base}/webhooks/hubspot/{setup.company.id}" if base else None
    problems, fixes = [], []
    if secret.secret is None:
        problems.append("secret des webhooks absent : " + secret.problem)
        fixes.append(secret.fix)
    if url is None:
        problems.append("adresse publique du backend inconnue (PUBLIC_BASE_URL non configurée, "
                        "comme en local) : l'URL cible ne peut être donnée")
        fixes.append("En production, réglez PUBLIC_BASE_URL ; l'URL cible sera "
                     f"<PUBLIC_BASE_URL>/webhooks/hubspot/{setup.company.id}.")
    if problems:
        return CheckLine(ERROR if secret.secret is None else WARNING, label,
                         " ; ".join(problems), " ".join(fixes))
    return CheckLine(OK, label, f"secret présent ; URL cible à configurer dans l'application "
                     f"HubSpot (Webhooks) : {url} (HubSpot ne permet pas de la lire par API : "
                     "vérifiez-la dans les réglages de l'application)")
