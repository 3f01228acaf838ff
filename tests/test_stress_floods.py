"""Point 2 of issue 7 (floods) at CI size, and proof that each counter it reports sees the
defect it is there for: a record that differs, an event applied twice or never, an error
answer, a connection refused, a second job, an entry written twice or missing, a stalled
server."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests
import sqlalchemy as sa

from backend.adapters.stripe_catalog import StripeCatalogAdapter
from backend.jobs.model import Job
from backend.jobs.runner import STALE_AFTER
from backend.store.schema import webhook_deliveries
from stress import floods
from stress.serve import Served
from stress.world import STRIPE_SECRET, World


def test_floods_at_ci_size(campaign_figures):
    result = floods.campaign(full=False, progress=lambda message: None)
    print("\n".join(result.lines()))
    campaign_figures(result)
    assert result.ok, result.failures
    assert len(result.targets) == 8


@pytest.fixture
def world():
    with World(companies=1) as running, Served(running.app) as server:
        running.url = server.url
        yield running


def product_delivery(world, price: str = "99.00") -> floods.Delivery:
    """A HubSpot edit of a linked product's price, and its delivery."""
    hub = world.sandbox.hubspot
    product = next(p for p in hub.objects("products") if p["properties"].get("stripe_product_id"))
    hub.set_properties("products", product["id"], {"price": price})
    event = hub.event("product.propertyChange", product["id"], "price", price)
    return floods.Delivery("hubspot", [event])


def test_a_record_changed_on_either_side_is_a_difference(world):
    before = floods.snapshot(world, [])
    assert floods.differences(before, floods.snapshot(world, [])) == []
    customer = next(c for c in world.sandbox.hubspot.objects("companies")
                    if c["properties"].get("stripe_customer_id"))
    StripeCatalogAdapter(STRIPE_SECRET, base_url=world.sandbox.stripe_url).update_customer(
        customer["properties"]["stripe_customer_id"], {"name": "Autre nom"}, "company",
        customer["id"])
    world.sandbox.hubspot.set_properties("companies", customer["id"], {"city": "Brest"})
    found = floods.differences(floods.snapshot(world, []), before)
    assert len(found) == 2, found
    assert any("/name" in line and "Autre nom" in line for line in found)
    assert any("/properties/city" in line and "Brest" in line for line in found)


def test_an_event_applied_twice_or_never_is_counted(world):
    sent_once, never_sent = product_delivery(world, "99.00"), product_delivery(world, "98.00")
    deliveries = [sent_once, never_sent]
    session = requests.Session()
    first = floods.send(world, session, world.url, deliveries, 0, 0)
    replay = floods.send(world, session, world.url, deliveries, 0, 1)
    assert (first.status, first.applied, replay.applied, replay.replays) == (200, 1, 0, 1)
    assert floods.applications(deliveries, [first, replay]) == (0, 1)
    # The store forgets the delivery (a lost row): the next sending applies it again.
    with world.store.engine.begin() as conn:
        conn.execute(sa.delete(webhook_deliveries))
    again = floods.send(world, session, world.url, deliveries, 0, 2)
    assert again.applied == 1
    assert floods.applications(deliveries, [first, replay, again]) == (1, 1)
    floods.settle(world)


def test_error_answers_and_connection_errors_are_counted(world):
    delivery = product_delivery(world)
    path, body, headers = delivery.request(world, world.url, 0)
    tally = floods.Tally()
    tally.add(requests.post(world.url + path, data=body.replace(b"99", b"98"), headers=headers,
                            timeout=30).status_code)
    tally.add(requests.post(world.url + path, data=body, headers=headers, timeout=30).status_code)
    closed = floods.send(world, requests.Session(), "http://127.0.0.1:9", [delivery], 0, 0)
    tally.add(closed.status)
    assert (tally.errors(), tally.connection_errors, tally.sent) == (1, 1, 3)
    assert tally.statuses == {401: 1, 200: 1}
    floods.settle(world)


def test_a_delivery_during_another_job_syncs_when_that_job_ends(world):
    """The bug the webhook flood found: a delivery arriving while the company had a job
    running (another sync, a generation) started nothing, and its change waited for the
    daily run. Now its sync starts when the running job ends."""
    store = world.backend.job_store()
    running, created = store.create(Job.new("demo", "validate", {}, "campagne",
                                            datetime.now(timezone.utc)), STALE_AFTER)
    assert created
    delivery = product_delivery(world, "123.00")
    answer = floods.send(world, requests.Session(), world.url, [delivery], 0, 0)
    assert (answer.status, answer.applied) == (200, 1)
    assert [j.action for j in store.latest("demo")] == ["validate"]    # not started twice
    world.backend.runner().execute(running.id)                         # the running job ends
    assert floods.settle(world)
    syncs = [j for j in store.latest("demo") if j.action == "sync_products"]
    assert [(j.trigger, j.state) for j in syncs] == [("webhook HubSpot", "done")]
    product_id = world.sandbox.hubspot.get("products", delivery.events[0]["objectId"])[
        "properties"]["stripe_product_id"]
    price = world.sandbox.stripe.get(world.sandbox.stripe.get(product_id)["default_price"])
    assert price["unit_amount"] == 12300


def post_generate(world) -> str:
    answer = requests.post(world.url + "/actions/generate", json={"spreadsheet_id": world.sheets[0]},
                           headers=world.auth(world.token(world.users[0])), timeout=60)
    assert answer.status_code == 202
    assert floods.settle(world)
    return answer.json()["job"]["id"]


def test_a_second_job_and_an_entry_written_twice_or_missing_are_counted(world):
    first = post_generate(world)
    expected = floods.expected_journal(world)
    tabs = world.sheet(world.sheets[0])
    assert floods.journal_check(tabs, expected) == (0, 0)
    quiet = floods.comparable_sheet(tabs, world.users[0])
    second = post_generate(world)          # after the first ended: a job of its own
    assert first != second and len(floods.generate_jobs(world, "demo")) == 2
    sheet = world.sandbox.sheet_adapter(world.sheets[0])
    entries = next(t for t in sheet.tab_titles() if t.startswith("Écritures"))
    rows = world.sheet(world.sheets[0])[entries]
    sheet.append(entries, [rows[1]])                       # one row twice
    assert floods.journal_check(world.sheet(world.sheets[0]), expected) == (1, 0)
    ref = rows[0].index("Ref. Pièce")
    other = next(i for i, row in enumerate(rows) if i and row[ref] != rows[1][ref])
    sheet.delete_rows(entries, [other])                    # a row of another entry gone
    duplicated, missing = floods.journal_check(world.sheet(world.sheets[0]), expected)
    assert missing == 1
    changed = floods.comparable_sheet(world.sheet(world.sheets[0]), world.users[0])
    assert floods.differences(changed, quiet)


def test_the_poll_charges_a_stall_to_every_request_due_during_it(world):
    """One thread, 20 requests a second: the server stalls 0.6 s once; the requests due
    meanwhile are sent late and their latency, counted from their slot, shows it (a closed
    loop would see one slow request)."""
    stalled = []

    def stall(conn, cursor, statement, *args):
        if not stalled and "FROM runs" in statement:
            stalled.append(statement)
            import time
            time.sleep(0.6)

    token = world.token(world.users[0])
    sa.event.listen(world.store.engine, "before_cursor_execute", stall)
    try:
        load = floods.poll_load(world.url, token, world.sheets[0], rate=20, seconds=1.5, threads=1)
    finally:
        sa.event.remove(world.store.engine, "before_cursor_execute", stall)
    late = [ms for ms in load["latencies_ms"] if ms > 150]
    assert stalled and len(late) >= 5, sorted(load["latencies_ms"])
    assert floods.percentile(load["latencies_ms"], 100) >= 600
    assert load["statuses"] == {200: 30} and load["connection_errors"] == 0


def test_the_poll_counts_error_answers_and_refused_connections(world):
    refused = floods.poll_load(world.url, "not-a-token", world.sheets[0], rate=20, seconds=0.5)
    assert refused["statuses"] == {401: 10} and refused["sent"] == 10
    down = floods.poll_load("http://127.0.0.1:9", "x", world.sheets[0], rate=20, seconds=0.5)
    assert down["connection_errors"] == 10 and down["statuses"] == {}
