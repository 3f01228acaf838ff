"""The Stripe checks: the key (valid, test or live, a restricted key's read permissions), the
account's API version against the one the stripe package pins, and the webhook endpoint that
should call this company's address with the events the product needs.

All through the official client (`stripe.StripeClient`), without retry: the runner bounds
each check in time.
"""

from __future__ import annotations

import re

from backend.preflight.helpers import company_secret, scrubbed_quote
from backend.preflight.report import (
    ERROR,
    LABEL_API_VERSION,
    LABEL_STRIPE_KEY,
    LABEL_STRIPE_WEBHOOK,
    OK,
    WARNING,
    CheckLine,
)
from backend.preflight.setup import PreflightSetup
from backend.secrets import Secret

# The Stripe resources the product reads (generation, sync, this check), each listed once by
# a restricted key to learn whether its permission is there. Writes (customers, products,
# prices: the sync) cannot be tried without writing: they are named, not checked.
STRIPE_READS = ("invoices", "credit_notes", "customers", "products", "prices", "tax_rates",
                "events", "webhook_endpoints")
STRIPE_WRITES = "rak_customer_write, rak_product_write, rak_plan_write"


def _stripe_client(setup: PreflightSetup, key: Secret):
    import stripe
    kwargs = {"base_addresses": {"api": setup.urls.stripe}} if setup.urls.stripe else {}
    http = stripe.RequestsClient(timeout=setup.client_timeout)
    return stripe.StripeClient(key.reveal(), max_network_retries=0, http_client=http, **kwargs)


def _stripe_mode(key: str) -> tuple[str, bool, bool]:
    """(French description, live, restricted) of a key by its prefix."""
    match = re.match(r"^(sk|rk)_(test|live)_", key)
    if not match:
        return "format inconnu (ni sk_ ni rk_)", False, False
    restricted, live = match.group(1) == "rk", match.group(2) == "live"
    return (("clé restreinte" if restricted else "clé secrète")
            + (", mode live" if live else ", mode test")), live, restricted


def _stripe_failure(label: str, exc, key_name: str) -> CheckLine:
    import stripe
    status = getattr(exc, "http_status", None)
    if isinstance(exc, stripe.AuthenticationError):
        return CheckLine(ERROR, label, f"clé refusée par Stripe ({status} : clé invalide, "
                         "révoquée ou expirée)",
                         "Dans le Dashboard Stripe › Développeurs › Clés API, créez une clé "
                         f"(ou faites tourner l'ancienne) et mettez-la dans le secret "
                         f"« {key_name} ».")
    if isinstance(exc, stripe.PermissionError):
        needed = ", ".join(sorted(set(re.findall(r"rak_\w+", str(exc))))) or "?"
        return CheckLine(ERROR, label, f"clé restreinte sans la permission {needed} (403)",
                         f"Dans le Dashboard Stripe › Développeurs › Clés API, donnez {needed} "
                         "à la clé restreinte (ou utilisez une clé secrète).")
    return CheckLine(ERROR, label, "Stripe n'a pas répondu comme attendu : "
                     + scrubbed_quote(getattr(exc, "user_message", None) or str(exc)),
                     "Relancez la vérification ; si cela persiste, voyez status.stripe.com.")


def check_stripe_key(setup: PreflightSetup, shared: dict) -> CheckLine:
    import stripe
    label = LABEL_STRIPE_KEY
    found = company_secret(setup, "stripe", "la clé secrète Stripe (sk_live_… ou rk_live_…)")
    if found.secret is None:
        return CheckLine(ERROR, label, found.problem, found.fix)
    key = found.secret.reveal()
    mode, live, restricted = _stripe_mode(key)
    client = _stripe_client(setup, found.secret)
    try:
        client.v1.balance.retrieve()
    except stripe.StripeError as exc:
        return _stripe_failure(label, exc, found.secret.name)
    missing = []
    if restricted:
        for resource in STRIPE_READS:
            try:
                getattr(client.v1, resource).list(params={"limit": 1})
            except stripe.PermissionError as exc:
                missing += re.findall(r"rak_\w+", str(exc)) or [f"lecture de {resource}"]
    if missing:
        names = ", ".join(sorted(set(missing)))
        return CheckLine(ERROR, label, f"{mode}, valide, mais sans les permissions {names} "
                         "(403 de Stripe)",
                         f"Dans le Dashboard Stripe › Développeurs › Clés API, donnez à la clé "
                         f"restreinte : {names} (et, pour la synchronisation, {STRIPE_WRITES}).")
    if setup.demo and live:
        return CheckLine(WARNING, label, f"{mode}, valide, pour une société de démonstration",
                         "Une démonstration n'a besoin que d'une clé de test (sk_test_…).")
    if mode.startswith("format inconnu"):
        return CheckLine(WARNING, label, f"clé acceptée par Stripe, {mode}",
                         "Utilisez une clé secrète (sk_…) ou restreinte (rk_…) du Dashboard.")
    extra = (f" ; les écritures de la synchronisation ({STRIPE_WRITES}) ne peuvent être "
             "vérifiées sans écrire") if restricted else ""
    return CheckLine(OK, label, f"{mode}, valide (lecture du solde acceptée){extra}")


def check_api_version(setup: PreflightSetup, shared: dict) -> CheckLine:
    import stripe
    label = LABEL_API_VERSION
    found = company_secret(setup, "stripe", "la clé secrète Stripe")
    if found.secret is None:
        return CheckLine(ERROR, label, "non vérifiable : pas de clé Stripe (voir « Clé Stripe »)",
                         found.fix)
    client = _stripe_client(setup, found.secret)
    pinned = stripe.api_version
    try:
        events = [e.to_dict() for e in client.v1.events.list(params={"limit": 1}).data]
        version, source = (events[0].get("api_version"), "dernier événement") if events \
            else (None, "")
        if not version:
            for endpoint in [e.to_dict() for e in client.v1.webhook_endpoints.list(
                    params={"limit": 100}).data]:
                if endpoint.get("api_version"):
                    version, source = endpoint["api_version"], "endpoint de webhook"
                    break
    except stripe.StripeError as exc:
        failure = _stripe_failure(label, exc, found.secret.name)
        return CheckLine(ERROR, label, "non vérifiable : " + failure.message, failure.fix)
    if not version:
        return CheckLine(WARNING, label, "version par défaut du compte inconnue : aucun "
                         "événement des 30 derniers jours ni endpoint de webhook qui la dise",
                         f"Rien à faire : elle sera lue après la première facture. Le produit "
                         f"relit les documents par leur id dans la version {pinned}.")
    if version == pinned:
        return CheckLine(OK, label, f"le compte est en {version} ({source}), la version "
                         "qu'épingle le paquet stripe")
    return CheckLine(OK, label, f"le compte est en {version} ({source}), le paquet stripe "
                     f"épingle {pinned} : sans effet, Stripe rend les événements dans la "
                     "version du compte mais le produit relit chaque document par son id dans "
                     "celle du paquet")


def check_stripe_webhook(setup: PreflightSetup, shared: dict) -> CheckLine:
    import stripe

    from backend.services.webhooks import STRIPE_EVENTS
    label = LABEL_STRIPE_WEBHOOK
    needed = sorted(STRIPE_EVENTS)
    secret = company_secret(setup, "stripe_webhook",
                            "le secret de signature de l'endpoint (whsec_…)")
    key = company_secret(setup, "stripe", "la clé secrète Stripe")
    problems, fixes = [], []
    if secret.secret is None:
        problems.append("secret de signature absent : " + secret.problem)
        fixes.append(secret.fix + " Stripe le montre une seule fois, à la création de "
                     "l'endpoint (Dashboard › Webhooks › l'endpoint › Clé secrète de signature).")
    base = setup.public_base_url
    if not base:
        problems.append("adresse publique du backend inconnue (PUBLIC_BASE_URL non configurée, "
                        "comme en local) : l'endpoint ne peut être comparé")
        fixes.append("En production, réglez PUBLIC_BASE_URL (l'adresse https du service) ; "
                     "en local, rien à faire.")
        status = ERROR if secret.secret is None else WARNING
        return CheckLine(status, label, " ; ".join(problems), " ".join(fixes))
    url = f"{base}/webhooks/stripe/{setup.company.id}"
    add = (f"Dashboard Stripe › Développeurs › Webhooks › Ajouter un endpoint : URL {url}, "
           f"événements {', '.join(needed)} ; puis mettez sa clé de signature dans le secret "
           f"« {setup.company.secret_name('stripe_webhook') or 'stripe_webhook'} ».")
    if key.secret is None:
        problems.append("endpoints non vérifiables : pas de clé Stripe")
        fixes.append(key.fix)
    else:
        try:
            endpoints = [e.to_dict() for e in _stripe_client(setup, key.secret).v1
                         .webhook_endpoints.list(params={"limit": 100}).auto_paging_iter()]
        except stripe.StripeError as exc:
            failure = _stripe_failure(label, exc, key.secret.name)
            endpoints = None
            problems.append("endpoints non vérifiables : " + failure.message)
            fixes.append(failure.fix)
        if endpoints is not None:
            mine = [e for e in endpoints if e.get("url") == url]
            if not mine:
                others = [e.get("url") for e in endpoints
                          if str(e.get("url", "")).endswith(f"/webhooks/stripe/{setup.company.id}")]
                problems.append(f"aucun endpoint n'appelle {url}"
                                + (f" (un endpoint appelle {others[0]})" if others else ""))
                fixes.append(add)
            else:
                endpoint = next((e for e in mine if e.get("status") == "enabled"), mine[0])
                events = set(endpoint.get("enabled_events") or [])
                lacking = [] if "*" in events else [e for e in needed if e not in events]
                if endpoint.get("status") != "enabled":
                    problems.append(f"l'endpoint {endpoint.get('id')} est désactivé")
                    fixes.append("Dashboard Stripe › Webhooks › l'endpoint › Activer.")
                if lacking:
                    problems.append(f"l'endpoint {endpoint.get('id')} ne reçoit pas "
                                    + ", ".join(lacking))
                    fixes.append("Dashboard Stripe › Webhooks › l'endpoint › Modifier : "
                                 "ajoutez les événements " + ", ".join(lacking) + ".")
    if problems:
        return CheckLine(ERROR, label, " ; ".join(problems), " ".join(fixes))
    return CheckLine(OK, label, f"endpoint actif vers {url}, avec les événements "
                     f"{', '.join(needed)} ; secret de signature présent (sa valeur ne peut être "
                     "comparée : Stripe ne la montre qu'à la création)")
