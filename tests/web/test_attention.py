"""What needs her, first (issue 14): a job's result carries a short list of what the
accountant must act on — records the sync left alone, conflicts, the entries' anomalies —
each a count ("1 client à vérifier") and the records said in full; the message stays whole
for the CLI and the logs, and "relié(s)" is never said of products. Through the backend's
HTTP routes, against the sandboxes, on the demo company with one person recorded twice in
Stripe (as `make preview` has it)."""

import pytest

from backend.demo import build_demo_company
from backend.demo.hubspot import build_demo_hubspot, with_duplicate_customer
from backend.jobs.actions import ATTENTION_ITEMS, SyncOutcome
from backend.services.sync import SyncReport
from backend.sync.merge import Conflict


@pytest.fixture(scope="module")
def demo_company() -> dict:
    return with_duplicate_customer(build_demo_company())


@pytest.fixture(scope="module")
def demo_hubspot(demo_company) -> dict:
    return build_demo_hubspot(demo_company)


def test_the_sync_leads_with_the_customer_to_check(web):
    customers = web.run("sync_customers")
    assert customers["outcome"] == "warning"
    [need] = customers["attention"]
    assert need["title"] == "1 client à vérifier"
    [item] = need["items"]
    assert item.startswith("contact ") and "2 clients Stripe ont l'e-mail " in item
    assert item.endswith(" : aucun n'est relié")
    # The whole line is still the message (the CLI's, the log's), the record in it too.
    assert f"À vérifier : {item}" in customers["message"]
    assert customers["summary"]["attention"] == customers["attention"]


def test_products_never_say_linked_and_nothing_to_do_is_an_empty_list(web):
    products = web.run("sync_products")
    assert products["outcome"] == "ok" and products["attention"] == []
    assert "relié" not in products["message"].lower()
    assert products["message"].startswith("2 créé(s), 1 mis à jour, 0 archivé(s), 0 conflit(s)")


def test_the_generation_leads_with_its_anomalies(web):
    job = web.run("generate")
    assert job["message"] == ("498 écriture(s) ajoutée(s) (1722 lignes) ; 4 anomalie(s) ; "
                              "505 document(s) Stripe lus")
    [need] = job["attention"]
    assert need["title"] == "4 anomalies à corriger"
    anomalies = web.sheet()["Anomalies"][1:]
    assert len(need["items"]) == len(anomalies) == 4
    for item in need["items"]:
        number, reason = item.split(" : ", 1)
        assert any(number in row and reason in row for row in anomalies), item


def test_counts_are_french_and_long_lists_are_cut():
    many = SyncReport(problems=[f"produit P{n} (HubSpot {n}) : prix manquant" for n in range(7)],
                      conflicts=[Conflict("product", "1", "prod_1", "name", "A", "B", "C")])
    outcome = SyncOutcome(many, products=True, customers=False)
    assert [a["title"] for a in outcome.attention] == ["7 produits à vérifier",
                                                       "1 conflit à arbitrer"]
    items = outcome.attention[0]["items"]
    assert items[:ATTENTION_ITEMS] == many.problems[:ATTENTION_ITEMS]
    assert items[ATTENTION_ITEMS:] == ["… et 2 autre(s)"]
    assert outcome.attention[1]["items"] == [many.conflicts[0].french()]
    assert outcome.outcome == "warning"
    one = SyncOutcome(SyncReport(problems=["contact X (HubSpot 1) : e-mail invalide"]),
                      products=False, customers=True)
    assert one.attention[0]["title"] == "1 client à vérifier"
    assert SyncOutcome(SyncReport(), products=True, customers=False).attention == []
    # Customers are linked by e-mail: the count stays in their line.
    assert "0 relié(s)" in SyncOutcome(SyncReport(), products=False, customers=True).french()
    # Products are never linked: their line (sidebar, Historique, CLI) says nothing of links.
    assert "relié" not in SyncReport(customers=False).french()


def test_the_daily_run_leads_with_the_sync_then_the_anomalies(web):
    answer = web.post("/actions/generate", {"trigger": "daily"})
    assert answer.status_code == 202
    job = web.get(f"/jobs/{answer.get_json()['job']['id']}").get_json()["job"]
    assert job["state"] == "done"
    # The daily run syncs products and customers first: records of either kind are "fiches".
    assert [need["title"] for need in job["attention"]] == ["1 fiche à vérifier",
                                                            "4 anomalies à corriger"]
    assert "2 clients Stripe ont l'e-mail " in job["attention"][0]["items"][0]
