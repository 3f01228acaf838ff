"""The sidebar's "Vérifier la configuration": the preflight run as a job against the sandboxes,
its lines in the job's summary for the sidebar to show."""

from conftest import DEMO_SHEET, HUBSPOT_SECRET, PUBLIC_BASE_URL, STRIPE_SECRET

from backend.jobs.actions import ACTIONS
from backend.services.webhooks import STRIPE_EVENTS


def checks(job) -> dict[str, dict]:
    return {line["label"]: line for line in job["summary"]["checks"]}


def test_the_check_action_reports_each_line_and_its_outcome(web):
    action = ACTIONS["check"]
    assert action.label == "Vérifier la configuration" and not action.scheduled
    # A demo sheet with no tabs yet, no Stripe webhook endpoint (an error), the demo's events
    # older than Stripe's 30 days (the account's version unknown: a warning).
    job = web.run("check")
    assert job["state"] == "done" and job["outcome"] == "refused", job
    lines = checks(job)
    assert {label: c["status"] for label, c in lines.items() if c["status"] != "ok"} == {
        "Version d'API Stripe": "warning", "Webhook Stripe": "error"}
    webhook = lines["Webhook Stripe"]
    assert f"aucun endpoint n'appelle {PUBLIC_BASE_URL}/webhooks/stripe/demo" in webhook["message"]
    assert "Ajouter un endpoint" in webhook["fix"]
    assert f"{PUBLIC_BASE_URL}/webhooks/hubspot/demo" in lines["Webhook HubSpot"]["message"]
    assert job["message"] == ("Configuration vérifiée : 1 erreur(s) (Webhook Stripe) et "
                              "1 avertissement(s) (Version d'API Stripe) ; le détail dit quoi "
                              "corriger.")

    web.sandbox.stripe.add_webhook_endpoint(f"{PUBLIC_BASE_URL}/webhooks/stripe/demo",
                                            sorted(STRIPE_EVENTS))
    job = web.run("check")
    assert job["outcome"] == "warning", job
    assert all(c["status"] != "error" for c in checks(job).values())
    web.sandbox.sheets.not_shared.add(DEMO_SHEET)
    job = web.run("check")
    assert job["outcome"] == "refused"
    assert checks(job)["Feuille Google"]["status"] == "error"
    text = str(job)
    assert STRIPE_SECRET not in text and HUBSPOT_SECRET not in text
