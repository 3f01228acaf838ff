"""The scopes HubSpot requires of a private app's token, per route of the sandbox.

Taken from the `security` of each operation in HubSpot's OpenAPI files
(tests/reference/hubspot/): a requirement is a tuple of alternatives, any one of which is
enough (the files list each as its own `{"oauth2": [scope]}`); a call meets all of its
requirements. The object APIs want the type's own read or write scope (`e-commerce` also
covers products, line items and quotes); the properties and associations APIs are generic,
their files list every type's scopes, and HubSpot asks for those of the types in the URL.
A call outside the token's scopes is answered 403 MISSING_SCOPES, naming in
`errors[].context.requiredGranularScopes` the alternatives of each requirement not met.
"""

from __future__ import annotations

import re

from backend.sandbox.hubspot_schema import TYPES, ObjectType, type_named

Requirement = tuple[str, ...]

ECOMMERCE = "e-commerce"
COMMERCE_TYPES = ("products", "line_items", "quotes")
_SENSITIVE_TYPES = ("companies", "contacts", "deals")   # have sensitive-data scopes too
SCOPES_LINK = "https://developers.hubspot.com/scopes"
MESSAGE = ("This app hasn't been granted all required scopes to make this call. Read more "
           f"about required scopes here: {SCOPES_LINK}.")

# Exactly what the product's calls need (README, "HubSpot and Stripe kept in step"): reading
# the three types' properties and creating the missing ones, listing products, searching
# quotes, deals, companies and contacts, reading associations, reading and updating
# companies, contacts and products. `e-commerce` is the only scope that creates product
# properties, and it also covers reading and writing products and reading quotes.
PRODUCT_SCOPES = frozenset({
    ECOMMERCE,
    "crm.objects.companies.read", "crm.objects.companies.write", "crm.schemas.companies.write",
    "crm.objects.contacts.read", "crm.objects.contacts.write", "crm.schemas.contacts.write",
    "crm.objects.deals.read",
})


def _commerce(kind: ObjectType) -> Requirement:
    return (ECOMMERCE,) if kind.name in COMMERCE_TYPES else ()


def objects_read(kind: ObjectType) -> Requirement:
    return (f"crm.objects.{kind.name}.read",) + _commerce(kind)


def objects_write(kind: ObjectType) -> Requirement:
    return (f"crm.objects.{kind.name}.write",) + _commerce(kind)


def _any_access(kind: ObjectType) -> Requirement:
    """Any object scope of the type, read or write, sensitive data included."""
    name = kind.name
    sensitive = tuple(f"crm.objects.{name}.{level}.{access}.v2"
                      for level in ("sensitive", "highly_sensitive")
                      for access in ("read", "write")) if name in _SENSITIVE_TYPES else ()
    return (f"crm.objects.{name}.read", f"crm.objects.{name}.write") + sensitive


def schema_read(kind: ObjectType) -> Requirement:
    # The properties file lists no products.read nor schemas.products.read: only the write
    # scope and e-commerce read product properties.
    if kind.name == "products":
        return ("crm.objects.products.write", ECOMMERCE)
    quotes = ("cpq.quotes.read", "cpq.quotes.write") if kind.name == "quotes" else ()
    return _any_access(kind) + (f"crm.schemas.{kind.name}.read",) + quotes + _commerce(kind)


def schema_write(kind: ObjectType) -> Requirement:
    # Products and line items have no schemas scope: e-commerce alone creates their properties.
    own = () if kind.name in ("products", "line_items") else (f"crm.schemas.{kind.name}.write",)
    return own + _commerce(kind)


def associations(source: ObjectType, target: ObjectType) -> list[Requirement]:
    return [_any_access(source) + _commerce(source), _any_access(target) + _commerce(target)]


# (method, path pattern, requirements of the types named in the path). {type} and {to} are
# object types; other placeholders match one segment.
_OBJECTS = "/crm/v3/objects/{type}"
_ROUTES = [
    ("GET", _OBJECTS, lambda t, _: [objects_read(t)]),
    ("POST", _OBJECTS, lambda t, _: [objects_write(t)]),
    ("POST", _OBJECTS + "/batch/read", lambda t, _: [objects_read(t)]),
    ("POST", _OBJECTS + "/batch/create", lambda t, _: [objects_write(t)]),
    ("POST", _OBJECTS + "/batch/update", lambda t, _: [objects_write(t)]),
    ("POST", _OBJECTS + "/batch/archive", lambda t, _: [objects_write(t)]),
    ("POST", _OBJECTS + "/search", lambda t, _: [objects_read(t)]),
    ("GET", _OBJECTS + "/{id}", lambda t, _: [objects_read(t)]),
    ("PATCH", _OBJECTS + "/{id}", lambda t, _: [objects_write(t)]),
    ("DELETE", _OBJECTS + "/{id}", lambda t, _: [objects_write(t)]),
    ("GET", "/crm/v3/properties/{type}", lambda t, _: [schema_read(t)]),
    ("POST", "/crm/v3/properties/{type}", lambda t, _: [schema_write(t)]),
    ("GET", "/crm/v3/properties/{type}/{name}", lambda t, _: [schema_read(t)]),
    ("GET", "/crm/v4/objects/{type}/{id}/associations/{to}", associations),
    ("PUT", "/crm/v4/objects/{type}/{id}/associations/default/{to}/{to_id}", associations),
    ("POST", "/crm/v4/associations/{type}/{to}/batch/read", associations),
]
_COMPILED = [(method, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$"),
              needs) for method, pattern, needs in _ROUTES]

# Every scope a route of the sandbox accepts: a token with all of them may call anything.
ALL_SCOPES = frozenset(scope for kind in TYPES.values()
                       for requirement in (objects_read(kind), objects_write(kind),
                                           schema_read(kind), schema_write(kind),
                                           *associations(kind, kind))
                       for scope in requirement)


def required(method: str, path: str) -> list[Requirement] | None:
    """The requirements of a call; None for a route the table does not know or an object
    type HubSpot would not infer (the route's own answer, 404 or 400, is given then)."""
    for route_method, regex, needs in _COMPILED:
        match = regex.match(path) if route_method == method else None
        if match is None:
            continue
        kind = type_named(match.group("type"))
        target = type_named(match.group("to")) if "to" in regex.groupindex else kind
        if kind is None or target is None:
            return None
        return needs(kind, target)
    return None


# What a private app's token may learn about itself: HubSpot's
# `POST /oauth/v2/private-apps/get/access-token-info` with `{"tokenKey": <the token>}` answers
# the user who made the app, the account, the app and the token's scopes (the product's
# preflight compares those with PRODUCT_SCOPES). No scope is needed to ask.
TOKEN_INFO_PATH = "/oauth/v2/private-apps/get/access-token-info"


def token_info(user_id: int, hub_id: int, app_id: int, granted: frozenset[str]) -> dict:
    return {"userId": user_id, "hubId": hub_id, "appId": app_id, "scopes": sorted(granted)}


def unmet(requirements: list[Requirement], granted: frozenset[str]) -> list[Requirement]:
    return [r for r in requirements if not granted.intersection(r)]


def missing_scopes_body(missing: list[Requirement]) -> dict:
    """The fields of HubSpot's 403 beside status, message and correlationId."""
    return {"errors": [{"message": ("All of the following scopes are required."
                                    if len(r) == 1 else
                                    "One or more of the following scopes are required."),
                        "context": {"requiredGranularScopes": list(r)}} for r in missing],
            "links": {"scopes": SCOPES_LINK}, "category": "MISSING_SCOPES"}
