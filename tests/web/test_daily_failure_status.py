"""A daily run that fails inside the backend (the trigger's call went through, the job did
not) is seen: its line in Historique ("Échec : why") and, in /status, the `daily_failure` the
sidebar shows as a red banner to whoever opens it next, until a generation goes through.
Through the web layer on the demo company in the sandboxes; jobs run inline."""

from datetime import datetime, timezone

from conftest import USER

DAILY = f"déclencheur quotidien ({USER})"


def daily_run(web) -> dict:
    answer = web.post("/actions/generate", {"trigger": "daily"})
    assert answer.status_code == 202, answer.get_json()
    return web.get(f"/jobs/{answer.get_json()['job']['id']}").get_json()["job"]


def failures(web) -> list[list]:
    return [row for row in web.sheet().get("Historique", [[]])[1:]
            if str(row[3]).startswith("Échec")]


def status(web) -> dict:
    return web.get("/status").get_json()


def refuse_the_stripe_key(web) -> str:
    """Stripe stops accepting the company's key (revoked in the Dashboard); the old key."""
    key, web.sandbox.stripe.api_key = web.sandbox.stripe.api_key, "sk_test_rotated_elsewhere"
    return key


def test_a_failed_daily_run_is_in_historique_and_in_the_status_until_a_generation_goes_through(web):
    key = refuse_the_stripe_key(web)
    job = daily_run(web)
    assert job["state"] == "failed"
    assert "refuse l'accès" in job["message"]
    [line] = failures(web)
    assert line[1:] == [DAILY, "Générer les écritures", f"Échec : {job['message']}"]
    failure = status(web)["daily_failure"]
    assert failure["message"] == job["message"]
    assert failure["when"][:2].isdigit() and " à " in failure["when"]

    web.sandbox.stripe.api_key = key
    assert web.run("generate")["outcome"] in ("ok", "warning")
    assert status(web)["daily_failure"] is None


def test_a_failed_generation_from_the_sidebar_is_in_historique_but_raises_no_daily_banner(web):
    refuse_the_stripe_key(web)
    job = web.run("generate")
    assert job["state"] == "failed"
    [line] = failures(web)
    assert line[1:] == [f"{USER} (panneau)", "Générer les écritures", f"Échec : {job['message']}"]
    # She saw it in the sidebar as it happened: no banner for the daily run.
    assert status(web)["daily_failure"] is None


def test_a_daily_run_that_goes_through_raises_no_banner(web):
    assert daily_run(web)["state"] == "done"
    assert status(web)["daily_failure"] is None
    assert failures(web) == []


def test_the_status_says_when_the_daily_trigger_last_reached_the_backend_and_whose(web):
    """For the sidebar's record of the one daily trigger (appsscript/Triggers.gs): an add-on's
    trigger may run without the document, where it cannot note its own runs."""
    assert status(web)["last_daily"] is None
    web.run("generate")                                   # from the sidebar: not the daily one
    assert status(web)["last_daily"] is None
    refuse_the_stripe_key(web)
    assert daily_run(web)["state"] == "failed"           # it ran all the same
    last = status(web)["last_daily"]
    assert last["trigger"] == DAILY
    assert last["at"].endswith("Z")
    at = datetime.fromisoformat(last["at"].replace("Z", "+00:00"))
    assert abs((datetime.now(timezone.utc) - at).total_seconds()) < 60
