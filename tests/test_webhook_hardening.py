"""Issue 13, part 6 (webhooks and tokens), below the web layer: deliveries remembered per
company (the store, and revision 0006 upgrading the rows already there, on SQLite and
PostgreSQL), the Stripe signature checked before the body is read, and where
hubspot-api-client's v3 signature and HubSpot's documented rule part (so our own check stays).
The routes themselves: tests/web/test_webhook_hardening_routes.py."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from concurrency import in_threads
from hubspot.utils.signature import Signature

from backend.hubspot_signature import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign_v3,
    signed_uri,
    verify_v3_signature,
)
from backend.services.webhooks import REFUSED_MESSAGE, hubspot_delivery, stripe_delivery
from backend.store import migrations, schema

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
SECRET = "whsec_hardening_0000"
APP_SECRET = "hubspot-app-secret-hardening"


def stripe_signed(payload: bytes, secret: str = SECRET, at: int | None = None) -> str:
    """A Stripe-Signature header as Stripe makes it (v1: HMAC-SHA256 of `t.payload`)."""
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def event(event_id: str, kind: str = "invoice.created") -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": kind,
                       "data": {"object": {"id": "in_1", "object": "invoice"}}}).encode()


# --- Deliveries keyed by company ----------------------------------------------------------

def test_one_company_s_delivery_id_does_not_block_another_s(store):
    assert store.record_delivery("maison", "stripe", "evt_1", now=T0)
    assert store.record_delivery("atelier", "stripe", "evt_1", now=T0)      # not a replay
    assert not store.record_delivery("maison", "stripe", "evt_1")
    assert not store.record_delivery("atelier", "stripe", "evt_1")
    assert store.record_delivery("maison", "hubspot", "evt_1")


def test_concurrent_replays_are_told_apart_per_company(make_store):
    stores = [make_store(), make_store()]
    stores[0].migrate()
    results = in_threads(8, lambda i: (i % 2, stores[i % 2].record_delivery(
        ("maison", "atelier")[i % 2], "stripe", "evt_race")))
    assert sorted(company for company, applied in results if applied) == [0, 1], results


def test_stripe_deliveries_of_two_companies_with_one_event_id_are_both_applied(store):
    runs = []
    payload = event("evt_same", "customer.updated")
    for company in ("maison", "atelier"):
        answer = stripe_delivery(payload, stripe_signed(payload), SECRET, store,
                                 lambda p, c, company=company: runs.append(company),
                                 company=company)
        assert (answer.status, answer.applied, answer.replays) == (200, 1, 0)
    again = stripe_delivery(payload, stripe_signed(payload), SECRET, store,
                            lambda p, c: runs.append("again"), company="maison")
    assert (again.applied, again.replays) == (0, 1) and runs == ["maison", "atelier"]


def test_hubspot_deliveries_are_remembered_per_company(store):
    uri = "https://journal.example.com/webhooks/hubspot/x"
    body = json.dumps([{"eventId": 7, "portalId": 1, "subscriptionId": 2, "objectId": 3,
                        "occurredAt": 4, "subscriptionType": "company.propertyChange"}]).encode()
    now_ms = int(time.time() * 1000)
    headers = {SIGNATURE_HEADER: sign_v3("POST", uri, body, now_ms, APP_SECRET),
               TIMESTAMP_HEADER: str(now_ms)}
    answers = [hubspot_delivery("POST", uri, body, headers, APP_SECRET, store,
                                lambda p, c: None, now_ms, company=company)
               for company in ("maison", "atelier", "maison")]
    assert [(a.applied, a.replays) for a in answers] == [(1, 0), (1, 0), (0, 1)]


# --- Revision 0006: the rows already there ------------------------------------------------

def alembic_at(engine: sa.Engine, revision: str) -> None:
    config = migrations.alembic_config()
    with schema.begin_write(engine) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


# Timestamps bound as the store binds them (schema.UTCDateTime), not by the driver's adapter.
AT = sa.bindparam("t", type_=schema.UTCDateTime)


def old_delivery(engine: sa.Engine, source: str, delivery_id: str) -> None:
    """A delivery recorded by the code before 0006 (no company)."""
    with schema.begin_write(engine) as conn:
        conn.execute(sa.text("INSERT INTO webhook_deliveries (source, delivery_id, received_at) "
                             "VALUES (:s, :d, :t)").bindparams(AT),
                     {"s": source, "d": delivery_id, "t": T0})


def register(engine: sa.Engine, company: str) -> None:
    with schema.begin_write(engine) as conn:
        conn.execute(sa.text(
            "INSERT INTO companies (id, name, spreadsheet_id, allowed_emails, client_ids, "
            "secrets, settings, created_at, updated_at) VALUES (:id, :id, :sheet, '[]', '[]', "
            "'{}', '{}', :t, :t)").bindparams(AT), {"id": company, "sheet": f"sheet-{company}",
                                                   "t": T0})


def schema_differences(engine: sa.Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "include_name": migrations.include_name, "compare_type": True})
        return compare_metadata(context, schema.metadata)


def test_0006_follows_0005():
    revision = migrations._scripts().get_revision("0006")
    assert revision.down_revision == "0005"
    assert migrations.head_revision() == "0006"


def test_upgrade_keeps_every_old_delivery_for_every_company(make_store):
    store = make_store()
    alembic_at(store.engine, "0005")
    register(store.engine, "maison")                              # in the registry
    store.start_run("atelier", "generate", "manuel", now=T0)      # known by its runs only
    old_delivery(store.engine, "stripe", "evt_old")
    old_delivery(store.engine, "hubspot", "1:2:3:4:5")

    assert store.migrate() == ["0006"]

    assert schema_differences(store.engine) == []
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT company, source, delivery_id FROM webhook_deliveries "
                                    "ORDER BY company, source")).all()
    assert [tuple(r) for r in rows] == [("atelier", "hubspot", "1:2:3:4:5"),
                                        ("atelier", "stripe", "evt_old"),
                                        ("maison", "hubspot", "1:2:3:4:5"),
                                        ("maison", "stripe", "evt_old")]
    # A retry of an old delivery is still a replay, for whichever company it was.
    assert not store.record_delivery("maison", "stripe", "evt_old")
    assert not store.record_delivery("atelier", "hubspot", "1:2:3:4:5")
    assert store.record_delivery("maison", "stripe", "evt_new")
    assert store.record_delivery("atelier", "stripe", "evt_new")
    with store.engine.connect() as conn:
        received = conn.execute(sa.text("SELECT received_at FROM webhook_deliveries WHERE "
                                        "delivery_id = 'evt_old'")).scalars().all()
    assert len(received) == 2 and all(str(r).startswith("2026-11-02") for r in received)


def test_upgrade_of_a_store_that_knows_no_company_keeps_the_rows(make_store):
    store = make_store()
    alembic_at(store.engine, "0005")
    old_delivery(store.engine, "stripe", "evt_orphan")
    assert store.migrate() == ["0006"]
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT company, delivery_id FROM webhook_deliveries")).all()
    assert [tuple(r) for r in rows] == [("", "evt_orphan")]
    assert schema_differences(store.engine) == []


def test_downgrade_to_0005_keeps_one_row_per_delivery(make_store):
    store = make_store()
    store.migrate()
    store.record_delivery("maison", "stripe", "evt_1", now=T0)
    store.record_delivery("atelier", "stripe", "evt_1", now=T0.replace(hour=10))
    store.record_delivery("atelier", "stripe", "evt_2", now=T0)
    config = migrations.alembic_config()
    with schema.begin_write(store.engine) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0005")
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT source, delivery_id, received_at FROM "
                                    "webhook_deliveries ORDER BY delivery_id")).all()
    assert [(r[0], r[1], str(r[2])[:16]) for r in rows] == [("stripe", "evt_1", "2026-11-02 09:30"),
                                                             ("stripe", "evt_2", "2026-11-02 09:30")]
    assert store.migrate() == ["0006"]          # and up again


# --- Stripe: the signature before the body ------------------------------------------------

@pytest.mark.parametrize("payload", [b"\xff\xfe not UTF-8 \x80", b"\xc3(", "é".encode("latin-1")])
def test_an_unsigned_body_that_is_not_utf8_gets_the_refusal(store, payload):
    for signature in ("", f"t={int(time.time())},v1={'0' * 64}"):
        answer = stripe_delivery(payload, signature, SECRET, store, lambda p, c: None,
                                 company="maison")
        assert (answer.status, answer.message) == (401, REFUSED_MESSAGE), payload


def test_a_signed_body_is_read_only_after_its_signature(store):
    not_json = b"{not json"
    assert stripe_delivery(not_json, stripe_signed(not_json), SECRET, store, lambda p, c: None,
                           company="maison").status == 400
    assert stripe_delivery(not_json, stripe_signed(not_json, "whsec_other"), SECRET, store,
                           lambda p, c: None, company="maison").status == 401
    stale = event("evt_stale")
    assert stripe_delivery(stale, stripe_signed(stale, at=int(time.time()) - 600), SECRET, store,
                           lambda p, c: None, company="maison").status == 401


def test_every_refused_signature_says_the_same(store):
    uri = "https://journal.example.com/webhooks/hubspot/x"
    payload = event("evt_x")
    refusals = [stripe_delivery(payload, "", SECRET, store, lambda p, c: None, company="m"),
                stripe_delivery(payload, stripe_signed(payload, "whsec_no"), SECRET, store,
                                lambda p, c: None, company="m"),
                hubspot_delivery("POST", uri, b"[]", {}, APP_SECRET, store, lambda p, c: None,
                                 int(time.time() * 1000), company="m")]
    assert {(r.status, r.applied, r.replays, r.message) for r in refusals} == \
        {(401, 0, 0, REFUSED_MESSAGE)}


# --- HubSpot v3: the library and HubSpot's documented rule --------------------------------
# HubSpot (developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/
# request-validation, "Validate the v3 request signature"): the URI enters the signature with
# the escapes of its table decoded (%3A ":", %2F "/", %3F "?", %40 "@", %21 "!", %24 "$",
# %27 "'", %28 "(", %29 ")", %2A "*", %2C ",", %3B ";"), any other (%20, %25...) kept.

ESCAPED = "https://journal.example.com/webhooks/hubspot/demo?at=09%3A30&who=a%40b&n=a%20b"
PLAIN = "https://journal.example.com/webhooks/hubspot/demo?portal=42"
BODY = '[{"eventId":1,"subscriptionType":"product.propertyChange"}]'


def test_the_library_signs_v3_over_the_uri_as_given():
    ts = "1764753000000"
    library = Signature.get_signature(APP_SECRET, BODY, "v3", ESCAPED, "POST", ts)
    ours = sign_v3("POST", ESCAPED, BODY, ts, APP_SECRET)
    assert library != ours                       # where they differ: the escapes
    # ... and only there: the library over the URI decoded as HubSpot documents is ours,
    assert Signature.get_signature(APP_SECRET, BODY, "v3", signed_uri(ESCAPED), "POST", ts) == ours
    # and on a URI without those escapes the two agree.
    assert Signature.get_signature(APP_SECRET, BODY, "v3", PLAIN, "POST", ts) == \
        sign_v3("POST", PLAIN, BODY, ts, APP_SECRET)


def test_the_documented_decoding_is_exactly_the_table():
    assert signed_uri(ESCAPED) == ("https://journal.example.com/webhooks/hubspot/demo"
                                   "?at=09:30&who=a@b&n=a%20b")          # %20 stays
    assert signed_uri("/x?a=%3a%2f%3F%40%21%24%27%28%29%2A%2C%3B%25%2B%20") == \
        "/x?a=:/?@!$'()*,;%25%2B%20"


def test_a_delivery_signed_by_hubspot_s_rule_passes_ours_and_fails_the_library_s():
    now_ms = int(time.time() * 1000)
    # What HubSpot sends: signed over the decoded URI (the sandbox signs so too).
    from backend.sandbox.hubspot_webhooks import delivery
    body, headers = delivery([{"eventId": 1}], ESCAPED, "POST", now_ms, APP_SECRET)
    assert verify_v3_signature("POST", ESCAPED, body, headers, APP_SECRET, now_ms)
    assert not Signature.is_valid(headers[SIGNATURE_HEADER], APP_SECRET, body.decode(), ESCAPED,
                                  "POST", "v3", headers[TIMESTAMP_HEADER])
