"""The HubSpot sandbox, driven by the official `hubspot-api-client` over real HTTP.

Every check goes through `hubspot.HubSpot` unchanged, pointed at the sandbox with its `host`
setting, so that what passes here is what the production adapter will see: list and search
paging, batch limits and 207 answers, properties, associations v4, HubSpot's error bodies as
the client's `ApiException`, injected faults, the rolling rate limit, v3 webhook signatures,
and the shapes of HubSpot's OpenAPI files.
"""

from __future__ import annotations

import json
import random
import re
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import hubspot
import pytest
from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest
from hubspot.crm.products import (BatchInputSimplePublicObjectBatchInput,
                                  BatchInputSimplePublicObjectBatchInputForCreate,
                                  BatchInputSimplePublicObjectId,
                                  BatchReadInputSimplePublicObjectId, PublicObjectSearchRequest,
                                  SimplePublicObjectInput, SimplePublicObjectInputForCreate)
from hubspot.crm.properties import PropertyCreate
from hubspot.utils.signature import Signature
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3.util.retry import Retry

from backend.demo.hubspot import build_demo_hubspot
from backend.hubspot_signature import signed_uri, verify_v3_signature
from backend.sandbox import hubspot_search as search
from backend.sandbox.faults import Fault, FaultPlan
from backend.sandbox.hubspot_api import PRIVATE_APP_DAILY, HubSpotSandbox
from backend.sandbox.hubspot_properties import PropertyRegistry
from backend.sandbox.hubspot_schema import TYPES
from backend.sandbox import hubspot_scopes as scopes
from backend.sandbox.hubspot_scopes import ALL_SCOPES
from backend.sandbox.hubspot_store import ObjectStore, Record, iso
from backend.sandbox.server import Request, serve
from clocks import SimClock

TOKEN = "pat-sandbox"
SECRET = "hubspot-secret"
REFERENCE = Path(__file__).resolve().parent / "reference" / "hubspot"
NOW = datetime(2026, 10, 31, 12, 0, tzinfo=timezone.utc)


def hubspot_client(access_token: str, host: str) -> hubspot.HubSpot:
    """The client as production builds it: `host` is a `Configuration` setting that the
    client passes to every API it makes (crm.products, crm.associations.v4, ...)."""
    return hubspot.HubSpot(access_token=access_token, host=host)


@pytest.fixture(scope="module")
def demo() -> dict:
    return build_demo_hubspot()


@pytest.fixture(scope="module")
def served():
    """One server for the module; each test reloads its state."""
    service = HubSpotSandbox(FaultPlan())
    with serve(service) as running:
        yield service, running


@pytest.fixture
def sandbox(demo, served) -> HubSpotSandbox:
    service, _ = served
    service.clock = SimClock(NOW.timestamp())
    service.load(demo)
    service.plan.reset()
    service.rate_limit_per_10s = None
    # This module drives the whole API, not only the product's calls: every scope.
    service.scopes, service.lag, service.search_limit_per_second = ALL_SCOPES, 0.0, None
    service.daily_limit, service._used_today = PRIVATE_APP_DAILY, 0
    service._recent.clear()
    service._searches.clear()
    service.limited.clear()
    return service


@pytest.fixture
def running(sandbox, served):
    return served[1]


@pytest.fixture
def client(running) -> hubspot.HubSpot:
    return hubspot_client(TOKEN, running.url)


@contextmanager
def refused(status: int):
    """A call that must fail with `status`. Each API module of the client raises its own
    `ApiException` class (crm.contacts', crm.quotes'...); all carry the status, HubSpot's
    body and the headers, which the yielded dict receives."""
    answer: dict = {}
    with pytest.raises(Exception) as raised:
        yield answer
    assert getattr(raised.value, "status", None) == status, raised.value
    answer.update(body=json.loads(raised.value.body), headers=raised.value.headers)


def raw(running, method: str, path: str, body=None, token: str = TOKEN
        ) -> tuple[int, dict, dict | None]:
    """A request without the client, to see the exact JSON and headers."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(running.url + path, data=data, method=method,
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            text = answer.read()
            return answer.status, dict(answer.headers), json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def product_ids(demo: dict) -> list[str]:
    return sorted((p["id"] for p in demo["products"]), key=int)


def linked(demo: dict, kind: str) -> list[dict]:
    return [o for o in demo[kind] if o["properties"].get("stripe_customer_id")]


# --- lists and reads ---------------------------------------------------------------------------

def test_a_list_pages_through_every_product_in_id_order(demo, client):
    seen, after, pages = [], None, 0
    while True:
        page = client.crm.products.basic_api.get_page(limit=5, after=after)
        seen += [p.id for p in page.results]
        pages += 1
        if page.paging is None:
            break
        after = page.paging.next.after
    assert seen == product_ids(demo) and pages == 4
    first = client.crm.products.basic_api.get_page(limit=1).results[0]
    assert set(first.properties) == {"name", "description", "price", "createdate",
                                     "hs_lastmodifieddate", "hs_object_id"}


def test_properties_asked_for_and_null_when_unset(demo, client):
    casier = next(p for p in demo["products"] if p["properties"]["name"] == "Casier sécurisé")
    product = client.crm.products.basic_api.get_by_id(
        casier["id"], properties=["code_comptable", "axe_analytique_1", "no_such_property"])
    assert product.properties == {"code_comptable": None, "axe_analytique_1": "SERVICES",
                                  "createdate": casier["createdAt"],
                                  "hs_lastmodifieddate": casier["updatedAt"],
                                  "hs_object_id": casier["id"]}
    assert product.created_at == datetime.fromisoformat(casier["createdAt"])


def test_a_contact_by_its_email(demo, client):
    contact = linked(demo, "contacts")[0]
    email = contact["properties"]["email"].upper()     # HubSpot ignores the case
    found = client.crm.contacts.basic_api.get_by_id(email, id_property="email",
                                                    properties=["stripe_customer_id"])
    assert found.id == contact["id"]
    assert found.properties["stripe_customer_id"] == contact["properties"]["stripe_customer_id"]
    assert set(found.properties) == {"stripe_customer_id", "createdate", "lastmodifieddate",
                                     "hs_object_id"}


def test_a_missing_record_is_hubspot_s_404(client):
    with refused(404) as answer:
        client.crm.products.basic_api.get_by_id("123")
    body = answer["body"]
    assert body["category"] == "OBJECT_NOT_FOUND" and body["message"] == "resource not found"
    assert body["status"] == "error" and body["correlationId"]
    assert answer["headers"]["X-HubSpot-Correlation-Id"] == body["correlationId"]


def test_v3_associations_on_a_read(demo, client):
    quote = demo["quotes"][0]
    links = {(a["toObjectType"], a["toObjectId"]) for a in demo["associations"]
             if a["fromObjectType"] == "quotes" and a["fromObjectId"] == quote["id"]}
    answer = client.crm.quotes.basic_api.get_by_id(quote["id"],
                                                   associations=["companies", "contacts",
                                                                 "deals"])
    found = {(name, item.id) for name, group in answer.associations.items()
             for item in group.results}
    assert found == links
    kinds = {item.type for group in answer.associations.values() for item in group.results}
    assert kinds <= {"quote_to_company", "quote_to_contact", "quote_to_deal"}


# --- writes ------------------------------------------------------------------------------------

def test_create_update_and_archive(sandbox, client):
    created = client.crm.products.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"name": "Forfait visio", "price": "30.00", "code_comptable": "706300"}))
    assert created.properties["hs_object_id"] == created.id
    assert created.properties["createdate"] == iso(NOW) == created.properties["hs_lastmodifieddate"]

    sandbox.clock.advance(60)
    updated = client.crm.products.basic_api.update(created.id, SimplePublicObjectInput(
        properties={"price": "32.50"}))
    assert updated.properties["hs_lastmodifieddate"] == iso(NOW + timedelta(seconds=60))
    assert sandbox.get("products", created.id)["properties"]["price"] == "32.50"

    sandbox.clock.advance(60)   # the same value again is not an edit
    same = client.crm.products.basic_api.update(created.id, SimplePublicObjectInput(
        properties={"price": "32.50"}))
    assert same.updated_at == updated.updated_at

    cleared = client.crm.products.basic_api.update(created.id, SimplePublicObjectInput(
        properties={"code_comptable": ""}))
    assert "code_comptable" not in sandbox.get("products", created.id)["properties"]
    assert cleared.updated_at > updated.updated_at

    client.crm.products.basic_api.archive(created.id)
    with refused(404):
        client.crm.products.basic_api.get_by_id(created.id)
    archived = client.crm.products.basic_api.get_by_id(created.id, archived=True)
    assert archived.archived and archived.archived_at is not None
    page = client.crm.products.basic_api.get_page(limit=100, archived=True)
    assert [p.id for p in page.results] == [created.id]
    client.crm.products.basic_api.archive(created.id)     # twice is not an error


def test_unknown_property_and_bad_values_are_validation_errors(sandbox, client):
    with refused(400) as answer:
        client.crm.products.basic_api.create(SimplePublicObjectInputForCreate(
            properties={"name": "X", "couleur": "bleu", "price": "douze"}))
    body = answer["body"]
    assert body["category"] == "VALIDATION_ERROR"
    prefix = "Property values were not valid: "
    assert body["message"].startswith(prefix)
    problems = {p["name"]: p["error"] for p in json.loads(body["message"][len(prefix):])}
    assert problems == {"couleur": "PROPERTY_DOESNT_EXIST", "price": "INVALID_FLOAT"}
    with refused(400) as answer:
        client.crm.quotes.basic_api.update(
            sandbox.objects("quotes")[0]["id"],
            SimplePublicObjectInput(properties={"hs_status": "SENT"}))
    assert "INVALID_OPTION" in answer["body"]["message"]
    assert len(sandbox.objects("products")) == 19   # nothing written


def test_a_second_contact_with_the_same_email_is_a_conflict(demo, client):
    email = demo["contacts"][0]["properties"]["email"]
    with refused(409) as answer:
        client.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(
            properties={"email": email.title(), "firstname": "Doublon"}))
    body = answer["body"]
    assert body["category"] == "CONFLICT"
    assert body["message"] == f"Contact already exists. Existing ID: {demo['contacts'][0]['id']}"


def test_create_with_associations(demo, sandbox, client):
    company = demo["companies"][0]
    contact = client.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"email": "nouvelle@exemple.example", "lastname": "Nouvelle"},
        associations=[{"to": {"id": company["id"]},
                       "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                  "associationTypeId": 279}]}]))
    back = client.crm.associations.v4.basic_api.get_page("companies", company["id"], "contacts")
    assert [r.to_object_id for r in back.results] == [contact.id]
    assert back.results[0].association_types[0].type_id == 280


def test_helpers_edit_as_a_person_would(demo, sandbox, client):
    company = demo["companies"][5]["id"]
    edited_at = NOW + timedelta(days=1)
    sandbox.set_properties("companies", company, {"name": "Nouveau nom", "address2": ""},
                           at=edited_at)
    found = do_search(client, "companies", [[{"propertyName": "hs_lastmodifieddate",
                                              "operator": "GT", "value": iso(NOW)}]],
                      properties=["name", "address2"])
    assert [(c.id, c.properties["name"], c.properties["address2"]) for c in found.results] == \
        [(company, "Nouveau nom", None)]
    assert found.results[0].updated_at == edited_at

    contact = sandbox.add("contacts", {"email": "zoe@exemple.example", "lastname": "Zoé"},
                          associations=[("companies", company)])
    assert sandbox.get("contacts", contact)["properties"]["email"] == "zoe@exemple.example"
    page = client.crm.associations.v4.basic_api.get_page("companies", company, "contacts")
    assert contact in [r.to_object_id for r in page.results]
    sandbox.archive("contacts", contact)
    page = client.crm.associations.v4.basic_api.get_page("companies", company, "contacts")
    assert contact not in [r.to_object_id for r in page.results]
    assert sandbox.get("contacts", contact)["archived"]

    with pytest.raises(ValueError, match="PROPERTY_DOESNT_EXIST"):
        sandbox.set_properties("companies", company, {"couleur": "bleu"})
    with pytest.raises(ValueError, match="Contact already exists"):
        sandbox.add("contacts", {"email": demo["contacts"][0]["properties"]["email"]})


def test_an_update_by_email(demo, sandbox, client):
    contact = demo["contacts"][2]
    client.crm.contacts.basic_api.update(contact["properties"]["email"],
                                         SimplePublicObjectInput(properties={"city": "Lyon"}),
                                         id_property="email")
    assert sandbox.get("contacts", contact["id"])["properties"]["city"] == "Lyon"


# --- batches -----------------------------------------------------------------------------------

def test_batches_of_100_and_not_one_more(sandbox, client):
    batch = client.crm.products.batch_api
    inputs = [{"properties": {"name": f"Produit {n}", "price": f"{n}.00"}, "associations": []}
              for n in range(100)]
    created = batch.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs))
    assert created.status == "COMPLETE" and len(created.results) == 100
    ids = [p.id for p in created.results]

    read = batch.read(BatchReadInputSimplePublicObjectId(
        inputs=[{"id": i} for i in ids], properties=["price"], properties_with_history=[]))
    assert sorted(p.properties["price"] for p in read.results) == \
        sorted(f"{n}.00" for n in range(100))

    updated = batch.update(BatchInputSimplePublicObjectBatchInput(
        inputs=[{"id": i, "properties": {"price": "1.00"}} for i in ids]))
    assert {p.properties["price"] for p in updated.results} == {"1.00"}

    for call, body in ((batch.read, BatchReadInputSimplePublicObjectId(
                            inputs=[{"id": i} for i in ids + ["1"]], properties=[],
                            properties_with_history=[])),
                       (batch.create, BatchInputSimplePublicObjectBatchInputForCreate(
                            inputs=inputs + inputs[:1])),
                       (batch.update, BatchInputSimplePublicObjectBatchInput(
                            inputs=[{"id": i, "properties": {}} for i in ids + ["1"]]))):
        with refused(400) as answer:
            call(body)
        assert "maximum number of inputs" in answer["body"]["message"]
    assert len(sandbox.objects("products")) == 119

    batch.archive(BatchInputSimplePublicObjectId(inputs=[{"id": i} for i in ids]))
    assert len(sandbox.objects("products")) == 19


def test_batch_partial_failures_are_207(demo, sandbox, client):
    batch = client.crm.companies.batch_api
    known = demo["companies"][0]["id"]
    read = batch.read(BatchReadInputSimplePublicObjectId(
        inputs=[{"id": known}, {"id": "99"}, {"id": known}], properties=["name"],
        properties_with_history=[]))
    assert [c.id for c in read.results] == [known]
    assert read.num_errors == 1 and read.errors[0].category == "OBJECT_NOT_FOUND"
    assert read.errors[0].context == {"ids": ["99"]}

    updated = batch.update(BatchInputSimplePublicObjectBatchInput(
        inputs=[{"id": known, "properties": {"city": "Lyon"}},
                {"id": "99", "properties": {"city": "Lyon"}}]))
    assert [c.id for c in updated.results] == [known] and updated.num_errors == 1
    assert sandbox.get("companies", known)["properties"]["city"] == "Lyon"

    with refused(400) as answer:
        batch.update(BatchInputSimplePublicObjectBatchInput(
            inputs=[{"id": known, "properties": {}}, {"id": known, "properties": {}}]))
    assert "Duplicate IDs" in answer["body"]["message"]


# --- search ------------------------------------------------------------------------------------

def do_search(client, kind: str, groups: list[list[dict]], **more):
    api = getattr(client.crm, kind).search_api
    request = PublicObjectSearchRequest(filter_groups=[{"filters": g} for g in groups], **more)
    return api.do_search(public_object_search_request=request)


def test_search_by_equality_in_and_presence(demo, client):
    company = linked(demo, "companies")[3]
    stripe_id = company["properties"]["stripe_customer_id"]
    found = do_search(client, "companies", [[{"propertyName": "stripe_customer_id",
                                              "operator": "EQ", "value": stripe_id}]],
                      properties=["stripe_customer_id", "code_comptable"])
    assert found.total == 1 and found.results[0].id == company["id"]
    assert found.results[0].properties["stripe_customer_id"] == stripe_id

    published = do_search(client, "quotes", [[{"propertyName": "hs_status", "operator": "IN",
                                               "values": ["APPROVAL_NOT_NEEDED", "APPROVED"]}]])
    expected = {q["id"] for q in demo["quotes"]
                if q["properties"]["hs_status"] in ("APPROVAL_NOT_NEEDED", "APPROVED")}
    assert {q.id for q in published.results} == expected and published.total == len(expected)

    unlinked = do_search(client, "companies", [[{"propertyName": "stripe_customer_id",
                                                 "operator": "NOT_HAS_PROPERTY"}]], limit=100)
    assert {c.id for c in unlinked.results} == {
        c["id"] for c in demo["companies"] if "stripe_customer_id" not in c["properties"]}


def test_search_ranges_or_groups_tokens_and_sort(demo, client):
    products = demo["products"]
    cheap = do_search(client, "products", [[{"propertyName": "price", "operator": "LT",
                                             "value": "20"}],
                                           [{"propertyName": "name", "operator": "CONTAINS_TOKEN",
                                             "value": "privatif"}]],
                      sorts=[{"propertyName": "price", "direction": "DESCENDING"}], limit=50)
    prices = [float(p.properties["price"]) for p in cheap.results]
    assert prices == sorted(prices, reverse=True)
    assert {p.id for p in cheap.results} == {
        p["id"] for p in products if float(p["properties"]["price"]) < 20
        or "privatif" in p["properties"]["name"].lower().split()}

    since = "2026-10-01T00:00:00.000Z"
    recent = do_search(client, "products", [[{"propertyName": "hs_lastmodifieddate",
                                              "operator": "GTE", "value": since}]])
    in_ms = do_search(client, "products", [[{"propertyName": "hs_lastmodifieddate",
                                             "operator": "GTE",
                                             "value": str(int(datetime.fromisoformat(
                                                 since).timestamp() * 1000))}]])
    assert {p.id for p in recent.results} == {p.id for p in in_ms.results} == {
        p["id"] for p in products if p["updatedAt"] >= since}

    text = client.crm.products.search_api.do_search(
        public_object_search_request=PublicObjectSearchRequest(query="PRIVATIF", limit=10))
    assert sorted(p.properties["name"] for p in text.results) == sorted(
        p["properties"]["name"] for p in products if "privatif" in p["properties"]["name"])


def test_search_pages_with_after_and_counts_the_total(demo, client):
    group = [[{"propertyName": "country", "operator": "EQ", "value": "france"}]]
    seen, after = [], None
    while True:
        page = do_search(client, "contacts", group, limit=7, after=after,
                         sorts=[{"propertyName": "lastname", "direction": "ASCENDING"}],
                         properties=["lastname"])
        assert page.total == len(demo["contacts"])
        seen += [c.id for c in page.results]
        if page.paging is None:
            break
        after = page.paging.next.after
    assert sorted(seen) == sorted(c["id"] for c in demo["contacts"]) and len(set(seen)) == len(seen)


@pytest.mark.parametrize("body, words", [
    ({"limit": 201}, "limit"),
    ({"after": "10000"}, "10000"),
    ({"filterGroups": [{"filters": [{"propertyName": "nope", "operator": "EQ",
                                     "value": "1"}]}]}, "nope"),
    ({"filterGroups": [{"filters": []}] * 6}, "filterGroups"),
    ({"sorts": ["name", "price"]}, "one sort"),
])
def test_search_refusals(running, body, words):
    status, _, answer = raw(running, "POST", "/crm/v3/objects/products/search", body)
    assert status == 400 and answer["category"] == "VALIDATION_ERROR"
    assert words in answer["message"]


@settings(max_examples=80, deadline=None)
@given(prices=st.lists(st.one_of(st.none(), st.integers(0, 9)), max_size=40),
       limit=st.integers(1, 6), low=st.integers(0, 9), descending=st.booleans())
def test_search_paging_returns_each_match_once_in_order(prices, limit, low, descending):
    store = ObjectStore(TYPES["products"])
    stamp = iso(NOW)
    store.replace_all(Record(str(100 + n), {"hs_object_id": str(100 + n), "createdate": stamp,
                                            "hs_lastmodifieddate": stamp,
                                            **({"price": str(p)} if p is not None else {})})
                      for n, p in enumerate(prices))
    registry = PropertyRegistry(list(TYPES.values()), stamp)
    direction = "DESCENDING" if descending else "ASCENDING"
    body = {"filterGroups": [{"filters": [{"propertyName": "price", "operator": "GTE",
                                           "value": str(low)}]}],
            "sorts": [{"propertyName": "price", "direction": direction}], "limit": limit}
    walked = []
    while True:
        found = search.run(search.parse(body), store, registry)
        walked += [(float(r.properties["price"]), int(r.id)) for r in found.records]
        if found.next_after is None:
            break
        body["after"] = found.next_after
    expected = sorted(((p, 100 + n) for n, p in enumerate(prices) if p is not None and p >= low),
                      key=lambda pair: (-pair[0] if descending else pair[0], pair[1]))
    assert walked == [(float(p), i) for p, i in expected]


# --- properties --------------------------------------------------------------------------------

def test_custom_properties_are_created_then_writable(running):
    fresh = HubSpotSandbox()
    with serve(fresh) as other:
        client = hubspot_client(TOKEN, other.url)
        properties = client.crm.properties.core_api
        names = {p.name for p in properties.get_all("products").results}
        assert {"name", "description", "price", "hs_sku"} <= names
        assert "code_comptable" not in names
        with refused(400):
            client.crm.products.basic_api.create(SimplePublicObjectInputForCreate(
                properties={"name": "X", "code_comptable": "706100"}))
        spec = PropertyCreate(name="code_comptable", label="Code comptable", type="string",
                              field_type="text", group_name="productinformation")
        created = properties.create("products", spec)
        assert created.name == "code_comptable" and not created.hubspot_defined
        assert properties.get_by_name("products", "code_comptable").label == "Code comptable"
        with refused(409) as answer:
            properties.create("products", spec)
        assert answer["body"]["category"] == "OBJECT_ALREADY_EXISTS"
        product = client.crm.products.basic_api.create(SimplePublicObjectInputForCreate(
            properties={"name": "X", "code_comptable": "706100"}))
        assert fresh.get("products", product.id)["properties"]["code_comptable"] == "706100"
        with refused(404):
            properties.get_by_name("companies", "code_comptable")


# --- associations v4 ---------------------------------------------------------------------------

def test_associations_are_listed_from_both_ends(demo, client):
    v4 = client.crm.associations.v4
    quote = demo["quotes"][0]
    link = next(a for a in demo["associations"]
                if a["fromObjectId"] == quote["id"] and a["toObjectType"] in ("companies",
                                                                              "contacts"))
    forward = v4.basic_api.get_page("quotes", quote["id"], link["toObjectType"])
    assert [r.to_object_id for r in forward.results] == [link["toObjectId"]]
    assert forward.results[0].association_types[0].type_id in (69, 71)
    # Types by any of their names: "company", "companies", "0-2".
    backward = v4.basic_api.get_page(TYPES[link["toObjectType"]].type_id, link["toObjectId"],
                                     "quote")
    assert [r.to_object_id for r in backward.results] == [quote["id"]]
    assert backward.results[0].association_types[0].type_id in (70, 72)


def test_default_association_paging_and_batch_read(demo, client):
    v4 = client.crm.associations.v4
    company = demo["companies"][0]["id"]
    contacts = [c["id"] for c in demo["contacts"][:7]]
    for contact in contacts:
        made = v4.basic_api.create_default("contacts", contact, "companies", company)
        assert {(r._from.id, r.to.id, r.association_spec.association_type_id)
                for r in made.results} == {(contact, company, 279), (company, contact, 280)}
    seen, after = [], None
    while True:
        page = v4.basic_api.get_page("companies", company, "contacts", limit=3, after=after)
        seen += [r.to_object_id for r in page.results]
        if page.paging is None:
            break
        after = page.paging.next.after
    assert seen == sorted(contacts, key=int)

    batch = v4.batch_api.get_page("contacts", "companies",
                                  BatchInputPublicFetchAssociationsBatchRequest(
                                      inputs=[{"id": contacts[0]}, {"id": "1"}]))
    assert [(r._from.id, [t.to_object_id for t in r.to]) for r in batch.results] == \
        [(contacts[0], [company])]
    assert batch.num_errors == 1 and batch.errors[0].context == {"fromObjectId": ["1"]}


def test_associating_a_missing_record_is_a_404(demo, client):
    with refused(404):
        client.crm.associations.v4.basic_api.create_default(
            "contacts", "1", "companies", demo["companies"][0]["id"])


# --- authentication, faults, rate limit ---------------------------------------------------------

def test_a_wrong_or_missing_token_is_a_401(running):
    with refused(401) as answer:
        hubspot_client("pat-wrong", running.url).crm.products.basic_api.get_page()
    assert answer["body"]["category"] == "INVALID_AUTHENTICATION"
    status, _, body = raw(running, "GET", "/crm/v3/objects/products", token="")
    assert status == 401 and body["message"].startswith("Authentication credentials not found")


@pytest.mark.parametrize("status, category", [(429, None), (500, "INTERNAL_ERROR"),
                                              (502, "INTERNAL_ERROR")])
def test_injected_faults_reach_the_client(sandbox, client, status, category):
    sandbox.plan.reset([Fault("hubspot", 1, status=status)])
    with refused(status) as answer:
        client.crm.companies.basic_api.get_page()
    body = answer["body"]
    # The ten-second limit's 429 comes from in front of the API: a policy, no category.
    assert body.get("category") == category and body["correlationId"]
    if status == 429:
        assert body["policyName"] == "TEN_SECONDLY_ROLLING" and body["errorType"] == "RATE_LIMIT"
        assert answer["headers"]["X-HubSpot-RateLimit-Remaining"] == "0"
    assert client.crm.companies.basic_api.get_page().results     # the next call is fine


def test_the_client_s_retry_setting_retries_5xx_reads(sandbox, running):
    """What production may configure: urllib3's Retry, through the client's `retry`."""
    sandbox.plan.reset([Fault("hubspot", 1, status=502), Fault("hubspot", 2, status=503)])
    retry = Retry(total=3, backoff_factor=0, status_forcelist=(429, 500, 502, 503, 504))
    patient = hubspot.HubSpot(access_token=TOKEN, host=running.url, retry=retry)
    assert patient.crm.products.basic_api.get_page().results
    assert sandbox.plan.count("hubspot") == 3


def test_the_rolling_ten_second_limit(sandbox, client):
    sandbox.rate_limit_per_10s = 4
    remaining = []
    for _ in range(4):
        _, status, headers = client.crm.products.basic_api.get_page_with_http_info()
        assert status == 200
        remaining.append(headers["X-HubSpot-RateLimit-Remaining"])
        assert headers["X-HubSpot-RateLimit-Max"] == "4"
        assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert remaining == ["3", "2", "1", "0"]
    with refused(429) as answer:
        client.crm.products.basic_api.get_page()
    assert answer["body"]["message"] == "You have reached your ten_secondly_rolling limit."
    sandbox._recent.clear()          # ten seconds later
    assert client.crm.products.basic_api.get_page().results


SEARCH = "/crm/v3/objects/companies/search"
RATE_HEADERS = ("X-HubSpot-RateLimit-Max", "X-HubSpot-RateLimit-Remaining",
                "X-HubSpot-RateLimit-Interval-Milliseconds")


def test_each_limit_answers_with_hubspot_s_429_and_headers(sandbox, running):
    sandbox.rate_limit_per_10s, sandbox.search_limit_per_second, sandbox.daily_limit = 3, 2, 8
    status, headers, _ = raw(running, "GET", "/crm/v3/objects/products")
    assert status == 200 and headers["X-HubSpot-RateLimit-Remaining"] == "2"
    assert (headers["X-HubSpot-RateLimit-Daily"], headers["X-HubSpot-RateLimit-Daily-Remaining"]) \
        == ("8", "7")
    # Searches have their own limit, outside the ten seconds, answered without its headers.
    for _ in range(2):
        status, headers, _ = raw(running, "POST", SEARCH, {"limit": 1})
        assert status == 200 and not set(RATE_HEADERS) & set(headers)
    status, headers, body = raw(running, "POST", SEARCH, {"limit": 1})
    assert status == 429 and not set(RATE_HEADERS) & set(headers)
    assert list(body) == ["status", "message", "correlationId", "category"]
    assert (body["message"], body["category"]) == ("You have reached your secondly limit.",
                                                   "RATE_LIMITS")
    # The association batch endpoints are outside the ten seconds too.
    status, headers, _ = raw(running, "POST", "/crm/v4/associations/quotes/companies/batch/read",
                             {"inputs": [{"id": "1"}]})
    assert status == 207 and not set(RATE_HEADERS) & set(headers)
    for _ in range(2):
        assert raw(running, "GET", "/crm/v3/objects/products")[0] == 200
    status, headers, body = raw(running, "GET", "/crm/v3/objects/products")
    assert status == 429 and headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert list(body) == ["status", "message", "correlationId", "errorType", "policyName",
                          "requestId"]
    assert (body["policyName"], body["errorType"]) == ("TEN_SECONDLY_ROLLING", "RATE_LIMIT")
    sandbox.clock.advance(1)
    assert raw(running, "POST", SEARCH, {"limit": 1})[0] == 200      # a second later
    sandbox.clock.advance(10)
    assert raw(running, "GET", "/crm/v3/objects/products")[0] == 200  # ten seconds later
    # Eight answered (the refused ones do not count): the ninth is one too many today.
    status, headers, body = raw(running, "GET", "/crm/v3/objects/products")
    assert status == 429 and body["policyName"] == "DAILY"
    assert body["message"] == "You have reached your daily limit."
    assert headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
    sandbox.clock.advance(86_400)
    assert raw(running, "GET", "/crm/v3/objects/products")[0] == 200   # the next day
    assert sandbox.limited == {"SECONDLY": 1, "TEN_SECONDLY_ROLLING": 1, "DAILY": 1}


def test_a_token_without_a_scope_gets_hubspot_s_403(sandbox, running):
    sandbox.scopes = frozenset({"crm.objects.companies.read", "crm.objects.contacts.read"})
    status, headers, body = raw(running, "POST", "/crm/v4/associations/deals/companies/batch/read",
                                {"inputs": [{"id": "1"}]})
    assert status == 403 and headers["X-HubSpot-Correlation-Id"] == body["correlationId"]
    assert body == {"status": "error", "message": scopes.MESSAGE,
                    "correlationId": body["correlationId"],
                    "errors": [{"message": "One or more of the following scopes are required.",
                                "context": {"requiredGranularScopes": [
                                    "crm.objects.deals.read", "crm.objects.deals.write",
                                    "crm.objects.deals.sensitive.read.v2",
                                    "crm.objects.deals.sensitive.write.v2",
                                    "crm.objects.deals.highly_sensitive.read.v2",
                                    "crm.objects.deals.highly_sensitive.write.v2"]}}],
                    "links": {"scopes": "https://developers.hubspot.com/scopes"},
                    "category": "MISSING_SCOPES"}
    assert OpenApi("crm-companies-openapi.json").problems(body, "Error") == []
    assert raw(running, "POST", "/crm/v4/associations/contacts/companies/batch/read",
               {"inputs": [{"id": "1"}]})[0] == 207     # allowed; no such contact
    sandbox.scopes = frozenset({"e-commerce"})      # products, line items, quotes: all of it
    assert raw(running, "POST", "/crm/v3/properties/products", {
        "name": "canal", "label": "Canal", "type": "string", "fieldType": "text",
        "groupName": "productinformation"})[0] == 201
    assert raw(running, "GET", "/crm/v3/objects/quotes")[0] == 200
    assert raw(running, "GET", "/crm/v3/objects/companies")[0] == 403


def _spec_alternatives(paths: dict, path: str, method: str) -> set[str]:
    # Each file names a record's id its own way: {companyId}, {dealId}...
    pattern = re.escape(path).replace(re.escape("{id}"), r"\{\w+\}")
    path = next(p for p in paths if re.fullmatch(pattern, p))
    return {scope for s in paths[path][method.lower()]["security"] for scope in s["oauth2"]}


SPEC_ROUTES = [  # (sandbox method and path, file, its path, whose types' scopes it names)
    ("GET", "/crm/v3/objects/{t}", "objects", "/crm/v3/objects/{t}"),
    ("POST", "/crm/v3/objects/{t}", "objects", "/crm/v3/objects/{t}"),
    ("POST", "/crm/v3/objects/{t}/batch/read", "objects", "/crm/v3/objects/{t}/batch/read"),
    ("POST", "/crm/v3/objects/{t}/batch/create", "objects", "/crm/v3/objects/{t}/batch/create"),
    ("POST", "/crm/v3/objects/{t}/batch/update", "objects", "/crm/v3/objects/{t}/batch/update"),
    ("POST", "/crm/v3/objects/{t}/batch/archive", "objects",
     "/crm/v3/objects/{t}/batch/archive"),
    ("POST", "/crm/v3/objects/{t}/search", "objects", "/crm/v3/objects/{t}/search"),
    ("GET", "/crm/v3/objects/{t}/7", "objects", "/crm/v3/objects/{t}/{id}"),
    ("PATCH", "/crm/v3/objects/{t}/7", "objects", "/crm/v3/objects/{t}/{id}"),
    ("DELETE", "/crm/v3/objects/{t}/7", "objects", "/crm/v3/objects/{t}/{id}"),
    ("GET", "/crm/v3/properties/{t}", "crm-properties-openapi.json",
     "/crm/v3/properties/{objectType}"),
    ("POST", "/crm/v3/properties/{t}", "crm-properties-openapi.json",
     "/crm/v3/properties/{objectType}"),
    ("GET", "/crm/v3/properties/{t}/name", "crm-properties-openapi.json",
     "/crm/v3/properties/{objectType}/{propertyName}"),
    ("POST", "/crm/v4/associations/{t}/{t}/batch/read", "crm-associations-openapi.json",
     "/crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read"),
    ("GET", "/crm/v4/objects/{t}/7/associations/{t}", "crm-associations-openapi.json",
     "/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}"),
    ("PUT", "/crm/v4/objects/{t}/7/associations/default/{t}/8", "crm-associations-openapi.json",
     "/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/"
     "{toObjectId}"),
]


@pytest.mark.parametrize("kind", sorted(TYPES))
def test_the_scope_table_is_hubspot_s_openapi_files(kind):
    """Per type, the alternatives the sandbox accepts are those the file of the operation
    lists: all of them for a type's own file; of a generic file (properties,
    associations), those naming the type, and e-commerce for the commerce types."""
    def names_kind(scope: str) -> bool:
        return f".{kind}." in scope or scope.startswith(f"cpq.{kind}.") or (
            scope == "e-commerce" and kind in scopes.COMMERCE_TYPES)

    url_kind = "0-3" if kind == "deals" else kind     # the deals file names its id
    for method, sandbox_path, file, spec_path in SPEC_ROUTES:
        name = SPEC_FILES[kind] if file == "objects" else file
        paths = json.loads((REFERENCE / name).read_text(encoding="utf-8"))["paths"]
        listed = _spec_alternatives(paths, spec_path.replace("{t}", url_kind), method)
        expected = listed if file == "objects" else {s for s in listed if names_kind(s)}
        requirements = scopes.required(method, sandbox_path.replace("{t}", kind))
        assert requirements and all(set(r) == expected for r in requirements), \
            (method, sandbox_path, requirements, expected)


def test_search_answers_from_an_index_that_lags_behind_writes(demo, sandbox, client):
    sandbox.lag = 30.0
    changed, archived = demo["companies"][0]["id"], demo["companies"][1]["id"]
    old_name = demo["companies"][0]["properties"]["name"]
    new = sandbox.add("companies", {"name": "Atelier Lumen SARL"})
    sandbox.set_properties("companies", changed, {"name": "Nom changé"})
    sandbox.archive("companies", archived)

    def searched() -> dict[str, str]:
        found = do_search(client, "companies", [], limit=200, properties=["name"])
        return {c.id: c.properties["name"] for c in found.results}

    sandbox.clock.advance(29)
    seen = searched()
    assert new not in seen and seen[changed] == old_name and archived in seen
    # Reads by id and lists are current.
    assert client.crm.companies.basic_api.get_by_id(new).properties["name"] == \
        "Atelier Lumen SARL"
    assert client.crm.companies.basic_api.get_by_id(changed).properties["name"] == "Nom changé"
    listed = client.crm.companies.basic_api.get_page(limit=100)
    assert new in {c.id for c in listed.results} and archived not in {c.id for c in listed.results}
    sandbox.clock.advance(1)
    seen = searched()
    assert seen[new] == "Atelier Lumen SARL" and seen[changed] == "Nom changé"
    assert archived not in seen


def test_the_page_that_ends_at_10000_links_to_a_refused_one():
    store = ObjectStore(TYPES["companies"])
    stamp = iso(NOW)
    store.replace_all(Record(str(100 + n), {"hs_object_id": str(100 + n), "createdate": stamp,
                                            "hs_lastmodifieddate": stamp})
                      for n in range(10_050))
    registry = PropertyRegistry(list(TYPES.values()), stamp)
    found = search.run(search.parse({"limit": 200, "after": "9800"}), store, registry)
    assert len(found.records) == 200 and found.total == 10_050 and found.next_after == "10000"
    with pytest.raises(Exception) as refused:
        search.parse({"limit": 200, "after": found.next_after})
    assert refused.value.status == 400


# --- webhooks ----------------------------------------------------------------------------------

URI = "https://compta.example.fr/webhooks/hubspot?portal=146372519&from=a%3Ab"


def test_a_signed_delivery_verifies(sandbox):
    events = [sandbox.event("product.propertyChange", sandbox.objects("products")[0]["id"],
                            "price", "195.00"),
              sandbox.event("company.creation", sandbox.objects("companies")[0]["id"])]
    body, headers = sandbox.signed_delivery(events, URI)
    now_ms = int(NOW.timestamp() * 1000)
    assert headers["X-HubSpot-Request-Timestamp"] == str(now_ms)
    assert verify_v3_signature("POST", URI, body, headers, SECRET, now_ms + 1000)
    # Header names in any case, the URI with HubSpot's escapes decoded or not.
    lowered = {k.lower(): v for k, v in headers.items()}
    assert verify_v3_signature("POST", URI.replace("%3A", ":"), body, lowered, SECRET, now_ms)
    # The library's own v3 signature (it takes the URI as signed, escapes decoded) agrees.
    assert Signature.get_signature(SECRET, body.decode(), "v3", signed_uri(URI), "POST",
                                   str(now_ms)) == headers["X-HubSpot-Signature-v3"]
    delivered = json.loads(body)
    assert delivered[0]["subscriptionType"] == "product.propertyChange"
    assert delivered[0]["propertyName"] == "price" and delivered[0]["attemptNumber"] == 0
    assert delivered[1]["eventId"] == delivered[0]["eventId"] + 1


def test_tampered_wrong_secret_or_old_deliveries_are_refused(sandbox):
    events = [sandbox.event("contact.propertyChange", 51, "email", "a@b.example")]
    now_ms = int(NOW.timestamp() * 1000)
    body, headers = sandbox.signed_delivery(events, URI)
    assert not verify_v3_signature("POST", URI, body.replace(b"a@b", b"x@b"), headers, SECRET,
                                   now_ms)
    assert not verify_v3_signature("POST", URI, body, headers, "other-secret", now_ms)
    assert not verify_v3_signature("POST", URI + "&x=1", body, headers, SECRET, now_ms)
    assert not verify_v3_signature("PUT", URI, body, headers, SECRET, now_ms)
    assert not verify_v3_signature("POST", URI, body, {}, SECRET, now_ms)
    wrong = {**headers, "X-HubSpot-Signature-v3": "x" + headers["X-HubSpot-Signature-v3"][1:]}
    assert not verify_v3_signature("POST", URI, body, wrong, SECRET, now_ms)
    five_minutes = 300_000
    assert verify_v3_signature("POST", URI, body, headers, SECRET, now_ms + five_minutes)
    assert not verify_v3_signature("POST", URI, body, headers, SECRET, now_ms + five_minutes + 1)
    old_body, old_headers = sandbox.signed_delivery(events, URI,
                                                    timestamp_ms=now_ms - five_minutes - 1)
    assert not verify_v3_signature("POST", URI, old_body, old_headers, SECRET, now_ms)


def test_webhook_events_use_hubspot_s_subscription_types(sandbox):
    spec = json.loads((REFERENCE / "webhooks-openapi.json").read_text(encoding="utf-8"))
    allowed = set(spec["components"]["schemas"]["SubscriptionCreateRequest"]["properties"]
                  ["eventType"]["enum"])
    for subscription in ("product.propertyChange", "product.creation", "company.propertyChange",
                         "company.creation", "contact.propertyChange", "contact.creation",
                         "deal.propertyChange"):
        assert subscription in allowed
        sandbox.event(subscription, 1, "name" if "propertyChange" in subscription else None)
    with pytest.raises(ValueError):
        sandbox.event("invoice.creation", 1)


# --- shapes, against HubSpot's OpenAPI files ------------------------------------------------

ERROR_EXTRAS = {"status", "errorType", "policyName"}


class OpenApi:
    """Checks an answer against a schema of a reference file: required fields present (not
    null), nothing outside the schema, types, enums and date-times. Values of `properties`
    maps may be null: HubSpot answers null for a property asked for and unset."""

    def __init__(self, name: str) -> None:
        self.doc = json.loads((REFERENCE / name).read_text(encoding="utf-8"))

    def problems(self, data, schema_name: str) -> list[str]:
        found: list[str] = []
        if schema_name == "Error":
            # What HubSpot sends beside the schema's fields: "status": "error" always, and
            # the limit that was hit on a 429.
            data = {k: v for k, v in data.items() if k not in ERROR_EXTRAS}
        self._check(data, {"$ref": f"#/components/schemas/{schema_name}"}, schema_name, found)
        return found

    def _check(self, data, schema: dict, path: str, found: list[str]) -> None:
        while "$ref" in schema:
            schema = self.doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        kind = schema.get("type")
        if kind == "object":
            if not isinstance(data, dict):
                found.append(f"{path}: not an object")
                return
            fields, required = schema.get("properties", {}), schema.get("required", [])
            found += [f"{path}.{name}: missing" for name in required if data.get(name) is None]
            extra = schema.get("additionalProperties")
            for key, value in data.items():
                if key in fields:
                    if value is not None:
                        self._check(value, fields[key], f"{path}.{key}", found)
                elif extra is not None:
                    if value is not None:
                        self._check(value, extra, f"{path}[{key}]", found)
                else:
                    found.append(f"{path}.{key}: not in the schema")
        elif kind == "array":
            if not isinstance(data, list):
                found.append(f"{path}: not an array")
                return
            for n, item in enumerate(data):
                self._check(item, schema.get("items", {}), f"{path}[{n}]", found)
        elif kind == "string":
            if not isinstance(data, str):
                found.append(f"{path}: not a string: {data!r}")
            elif "enum" in schema and data not in schema["enum"]:
                found.append(f"{path}: {data!r} not in {schema['enum']}")
            elif schema.get("format") == "date-time" and not _is_datetime(data):
                found.append(f"{path}: not a date-time: {data!r}")
        elif kind == "integer" and (not isinstance(data, int) or isinstance(data, bool)):
            found.append(f"{path}: not an integer: {data!r}")
        elif kind == "boolean" and not isinstance(data, bool):
            found.append(f"{path}: not a boolean: {data!r}")


def _is_datetime(text: str) -> bool:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


SPEC_FILES = {"products": "crm-products-openapi.json", "companies": "crm-companies-openapi.json",
              "contacts": "crm-contacts-openapi.json", "deals": "crm-deals-openapi.json",
              "quotes": "crm-quotes-openapi.json", "line_items": "crm-line-items-openapi.json"}


@pytest.mark.parametrize("kind", sorted(SPEC_FILES))
def test_object_answers_match_the_openapi_schemas(demo, sandbox, running, kind):
    spec = OpenApi(SPEC_FILES[kind])
    base = f"/crm/v3/objects/{kind}"
    # A record with associations, where the type has any (products have none).
    ends = [(link[f"{end}ObjectType"], link[f"{end}ObjectId"])
            for link in demo["associations"] for end in ("from", "to")]
    one = next((i for t, i in ends if t == kind), demo[kind][0]["id"])
    answers = [
        ("CollectionResponseSimplePublicObjectWithAssociationsForwardPaging",
         raw(running, "GET", f"{base}?limit=2&associations=companies,contacts")),
        ("SimplePublicObjectWithAssociations",
         raw(running, "GET", f"{base}/{one}?associations=companies,contacts,deals,quotes,"
                             "line_items")),
        ("CollectionResponseWithTotalSimplePublicObject",
         raw(running, "POST", f"{base}/search", {"limit": 3, "properties": ["name"]})),
        ("BatchResponseSimplePublicObject",
         raw(running, "POST", f"{base}/batch/read",
             {"inputs": [{"id": one}], "properties": [], "propertiesWithHistory": []})),
        ("BatchResponseSimplePublicObjectWithErrors",
         raw(running, "POST", f"{base}/batch/read",
             {"inputs": [{"id": one}, {"id": "1"}], "properties": [],
              "propertiesWithHistory": []})),
        ("SimplePublicObject",
         raw(running, "PATCH", f"{base}/{one}", {"properties": {}})),
        ("BatchResponseSimplePublicObject",
         raw(running, "POST", f"{base}/batch/update",
             {"inputs": [{"id": one, "properties": {}}]})),
        ("Error", raw(running, "GET", f"{base}/1")),
        ("Error", raw(running, "POST", f"{base}", {"properties": {"nope": "1"}})),
    ]
    assert sandbox.get(kind, one)
    for schema, (status, _, body) in answers:
        assert status in (200, 201, 207, 400, 404), (schema, status, body)
        assert spec.problems(body, schema) == [], (schema, body)
    assert ("associations" in answers[1][1][2]) == (kind != "products")


def test_property_and_association_answers_match_the_openapi_schemas(demo, running):
    properties = OpenApi("crm-properties-openapi.json")
    status, _, listing = raw(running, "GET", "/crm/v3/properties/products")
    assert status == 200
    assert properties.problems(listing, "CollectionResponsePropertyNoPaging") == []
    status, _, one = raw(running, "GET", "/crm/v3/properties/products/code_comptable")
    assert status == 200 and properties.problems(one, "Property") == []
    status, _, made = raw(running, "POST", "/crm/v3/properties/deals",
                          {"name": "canal", "label": "Canal", "type": "enumeration",
                           "fieldType": "select", "groupName": "dealinformation",
                           "options": [{"label": "Salon", "value": "salon", "hidden": False}]})
    assert status == 201 and properties.problems(made, "Property") == []

    associations = OpenApi("crm-associations-openapi.json")
    quote = demo["quotes"][0]["id"]
    company, contact = demo["companies"][0]["id"], demo["contacts"][0]["id"]
    checks = [
        ("CollectionResponseMultiAssociatedObjectWithLabelForwardPaging",
         raw(running, "GET", f"/crm/v4/objects/quotes/{quote}/associations/line_items")),
        ("BatchResponsePublicDefaultAssociation",
         raw(running, "PUT", f"/crm/v4/objects/companies/{company}/associations/default/"
                             f"contacts/{contact}")),
        ("BatchResponsePublicAssociationMultiWithLabel",
         raw(running, "POST", "/crm/v4/associations/quotes/line_items/batch/read",
             {"inputs": [{"id": quote}]})),
        ("BatchResponsePublicAssociationMultiWithLabelWithErrors",
         raw(running, "POST", "/crm/v4/associations/quotes/line_items/batch/read",
             {"inputs": [{"id": quote}, {"id": "1"}]})),
    ]
    for schema, (status, _, body) in checks:
        assert status in (200, 207), (schema, body)
        assert associations.problems(body, schema) == [], (schema, body)


# --- scale -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def big() -> HubSpotSandbox:
    """2,000 companies and 50 products, as the benchmarks sync them."""
    rng = random.Random(7)
    stamp = iso(NOW)

    def record(record_id: int, properties: dict) -> dict:
        return {"id": str(record_id), "properties": properties, "createdAt": stamp,
                "updatedAt": stamp, "archived": False}

    companies = [record(9_000_000_000 + n, {"name": f"Société {n}", "city": rng.choice(
        ("Paris", "Lyon")), "stripe_customer_id": f"cus_{n:014d}", "code_comptable": f"411{n:05d}"})
        for n in range(2000)]
    products = [record(7_000_000_000 + n, {"name": f"Produit {n}", "price": f"{n}.50"})
                for n in range(50)]
    data = build_demo_hubspot()
    sandbox = HubSpotSandbox()
    sandbox.load({"properties": data["properties"], "companies": companies,
                  "products": products})
    return sandbox


def call(sandbox: HubSpotSandbox, method: str, path: str, body=None, query=()) -> dict:
    request = Request(method, path, list(query), {"authorization": f"Bearer {TOKEN}"},
                      json.dumps(body).encode() if body is not None else b"")
    response = sandbox.dispatch(request)
    assert response.status in (200, 201, 207), response.body
    return json.loads(response.body)


def test_2000_companies_are_searched_and_batch_read_quickly(big):
    start = time.perf_counter()
    for n in range(0, 2000, 100):
        found = call(big, "POST", "/crm/v3/objects/companies/batch/read",
                     {"inputs": [{"id": str(9_000_000_000 + i)} for i in range(n, n + 100)],
                      "properties": ["stripe_customer_id", "code_comptable"]})
        assert len(found["results"]) == 100
    for n in range(2000):       # one search per company by its Stripe id: index lookups
        found = call(big, "POST", "/crm/v3/objects/companies/search",
                     {"filterGroups": [{"filters": [{"propertyName": "stripe_customer_id",
                                                     "operator": "EQ",
                                                     "value": f"cus_{n:014d}"}]}]})
        assert found["total"] == 1
    walked, after = 0, None
    while True:                 # and the whole list, 100 a page
        page = call(big, "GET", "/crm/v3/objects/companies",
                    query=[("limit", "100")] + ([("after", after)] if after else []))
        walked += len(page["results"])
        if "paging" not in page:
            break
        after = page["paging"]["next"]["after"]
    assert walked == 2000
    assert time.perf_counter() - start < 3.0
