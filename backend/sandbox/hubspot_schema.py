"""What the HubSpot sandbox knows of the CRM's shape: object types, their standard properties
and the HubSpot-defined association types between them.

Names and ids are HubSpot's: object type ids ("0-2" for companies), association type ids as
`hubspot.crm.association_type.AssociationType` lists them (quote -> company is 71, its
reverse 72), property definitions in the shape of the properties API (`Property`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ObjectType:
    name: str                   # as in the URL: "line_items"
    singular: str               # in association type names and webhook events: "line_item"
    type_id: str                # HubSpot's object type id: "0-8"
    label: str                  # in error messages: "LINE_ITEM"
    group: str                  # the group of its standard properties
    defaults: tuple[str, ...]   # properties answered when none are asked for
    searchable: tuple[str, ...] # what a search's free-text `query` looks into


# The properties every object has, set by HubSpot itself and read-only.
MODIFIED = "hs_lastmodifieddate"
CREATED = "createdate"
OBJECT_ID = "hs_object_id"
CONTACT_MODIFIED = "lastmodifieddate"   # contacts keep this older name beside the other

TYPES = {t.name: t for t in (
    ObjectType("products", "product", "0-7", "PRODUCT", "productinformation",
               ("name", "description", "price"), ("name", "description", "hs_sku")),
    ObjectType("companies", "company", "0-2", "COMPANY", "companyinformation",
               ("name", "domain"), ("name", "domain", "phone")),
    ObjectType("contacts", "contact", "0-1", "CONTACT", "contactinformation",
               ("firstname", "lastname", "email"), ("firstname", "lastname", "email", "phone")),
    ObjectType("deals", "deal", "0-3", "DEAL", "dealinformation",
               ("dealname", "amount", "closedate", "pipeline", "dealstage"), ("dealname",)),
    ObjectType("quotes", "quote", "0-14", "QUOTE", "quoteinformation",
               ("hs_title", "hs_expiration_date", "hs_status"), ("hs_title",)),
    ObjectType("line_items", "line_item", "0-8", "LINE_ITEM", "lineiteminformation",
               ("name", "quantity", "price", "hs_product_id"), ("name",)),
)}

# Every way the API accepts to name a type: "companies", "company", "0-2", "COMPANIES".
_ALIASES = {alias.lower(): t for t in TYPES.values() for alias in (t.name, t.singular, t.type_id)}


def type_named(name: str) -> ObjectType | None:
    return _ALIASES.get(name.lower())


def always_answered(kind: ObjectType) -> tuple[str, ...]:
    """What HubSpot adds to any answer, whatever properties were asked for."""
    modified = CONTACT_MODIFIED if kind.name == "contacts" else MODIFIED
    return (CREATED, modified, OBJECT_ID)


# --- standard properties ---------------------------------------------------------------------

DEAL_STAGES = ("appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
               "decisionmakerboughtin", "contractsent", "closedwon", "closedlost")
# A quote's life: DRAFT while edited, then published either straight away
# (APPROVAL_NOT_NEEDED) or after an approval (PENDING_APPROVAL -> APPROVED or REJECTED).
QUOTE_STATUSES = ("DRAFT", "APPROVAL_NOT_NEEDED", "PENDING_APPROVAL", "APPROVED", "REJECTED")
# How often a recurring product bills (empty: sold once); HubSpot's options, shortest first.
BILLING_FREQUENCIES = ("weekly", "biweekly", "monthly", "quarterly", "per_six_months",
                       "annually", "per_two_years", "per_three_years", "per_four_years",
                       "per_five_years")


def _prop(name: str, label: str, ptype: str = "string", field: str = "text",
          options: tuple[str, ...] = ()) -> tuple:
    return name, label, ptype, field, options


def _number(name: str, label: str) -> tuple:
    return _prop(name, label, "number", "number")


_STANDARD = {
    "products": [_prop("name", "Name"), _prop("description", "Description", field="textarea"),
                 _number("price", "Unit price"), _prop("hs_sku", "SKU"),
                 _prop("recurringbillingfrequency", "Billing frequency", "enumeration", "select",
                       BILLING_FREQUENCIES)],
    "companies": [_prop("name", "Company name"), _prop("domain", "Company Domain Name"),
                  _prop("phone", "Phone Number"), _prop("address", "Street Address"),
                  _prop("address2", "Street Address 2"), _prop("city", "City"),
                  _prop("zip", "Postal Code"), _prop("country", "Country/Region")],
    "contacts": [_prop("firstname", "First Name"), _prop("lastname", "Last Name"),
                 _prop("email", "Email"), _prop("phone", "Phone Number"),
                 _prop("address", "Street Address"), _prop("city", "City"),
                 _prop("zip", "Postal Code"), _prop("country", "Country/Region")],
    "deals": [_prop("dealname", "Deal Name"),
              _prop("dealstage", "Deal Stage", "enumeration", "radio", DEAL_STAGES),
              _prop("pipeline", "Pipeline", "enumeration", "select", ("default",)),
              _number("amount", "Amount"), _prop("closedate", "Close Date", "datetime", "date")],
    "quotes": [_prop("hs_title", "Quote Name"),
               _prop("hs_status", "Quote approval status", "enumeration", "select",
                     QUOTE_STATUSES),
               _prop("hs_expiration_date", "Expiration date", "date", "date"),
               _number("hs_quote_amount", "Quote amount")],
    "line_items": [_prop("name", "Name"), _number("quantity", "Quantity"),
                   _number("price", "Unit price"), _prop("hs_product_id", "Product ID"),
                   _number("amount", "Net price")],
}
# HubSpot's own bookkeeping, on every type.
_SYSTEM = [_number(OBJECT_ID, "Record ID"), _prop(CREATED, "Create Date", "datetime", "date"),
           _prop(MODIFIED, "Last Modified Date", "datetime", "date")]
_CONTACT_SYSTEM = [_prop(CONTACT_MODIFIED, "Last Modified Date", "datetime", "date")]
# Properties whose value identifies one record (creating a second one is a 409).
UNIQUE = {"contacts": {"email"}}
# HubSpot keeps these itself; a write to them is refused.
READ_ONLY = {OBJECT_ID, CREATED, MODIFIED, CONTACT_MODIFIED}


def standard_properties(kind: ObjectType, at: str) -> list[dict]:
    """The definitions an account starts with for `kind`, created at `at` (ISO)."""
    rows = _STANDARD[kind.name] + _SYSTEM + (_CONTACT_SYSTEM if kind.name == "contacts" else [])
    return [property_definition(
        {"name": name, "label": label, "type": ptype, "fieldType": field,
         "groupName": kind.group, "hasUniqueValue": name in UNIQUE.get(kind.name, ()),
         "options": [{"label": value.replace("_", " ").title(), "value": value}
                     for value in options]},
        at, order, hubspot_defined=True, read_only=name in READ_ONLY)
        for order, (name, label, ptype, field, options) in enumerate(rows)]


def property_definition(spec: dict, at: str, order: int, hubspot_defined: bool = False,
                        read_only: bool = False) -> dict:
    """A `Property` as the API answers it, from the fields of a `PropertyCreate`."""
    definition = {
        "name": spec["name"], "label": spec["label"], "type": spec["type"],
        "fieldType": spec["fieldType"], "groupName": spec["groupName"],
        "description": spec.get("description", ""),
        "options": [{"label": o["label"], "value": o["value"],
                     "displayOrder": o.get("displayOrder", n), "hidden": o.get("hidden", False)}
                    for n, o in enumerate(spec.get("options") or ())],
        "displayOrder": spec.get("displayOrder", order),
        "calculated": False, "externalOptions": False,
        "hasUniqueValue": bool(spec.get("hasUniqueValue", False)),
        "hidden": bool(spec.get("hidden", False)),
        "formField": bool(spec.get("formField", False)),
        "modificationMetadata": {"archivable": not hubspot_defined,
                                 "readOnlyDefinition": hubspot_defined,
                                 "readOnlyValue": read_only},
        "createdAt": at, "updatedAt": at, "archived": False,
    }
    if hubspot_defined:
        definition["hubspotDefined"] = True
    return definition


# --- association types ----------------------------------------------------------------------

# (from, to) -> the HubSpot-defined type id of their unlabeled association; every pair is
# listed both ways, since an association is one link seen from either end.
DEFAULT_ASSOCIATION = {
    ("contacts", "companies"): 279, ("companies", "contacts"): 280,
    ("deals", "companies"): 341, ("companies", "deals"): 342,
    ("deals", "contacts"): 3, ("contacts", "deals"): 4,
    ("quotes", "companies"): 71, ("companies", "quotes"): 72,
    ("quotes", "contacts"): 69, ("contacts", "quotes"): 70,
    ("quotes", "deals"): 64, ("deals", "quotes"): 63,
    ("quotes", "line_items"): 67, ("line_items", "quotes"): 68,
    ("line_items", "deals"): 20, ("deals", "line_items"): 19,
}
# The labeled ones a record may also carry ("Primary" company of a contact or a deal).
PRIMARY_ASSOCIATION = {
    ("contacts", "companies"): 1, ("companies", "contacts"): 2,
    ("deals", "companies"): 5, ("companies", "deals"): 6,
}
# type id -> (from, to, label)
ASSOCIATION_TYPES = {
    **{type_id: (a, b, None) for (a, b), type_id in DEFAULT_ASSOCIATION.items()},
    **{type_id: (a, b, "Primary") for (a, b), type_id in PRIMARY_ASSOCIATION.items()},
}


def reverse_type(type_id: int) -> int:
    """The id of the same association seen from the other end."""
    source, target, label = ASSOCIATION_TYPES[type_id]
    table = PRIMARY_ASSOCIATION if label else DEFAULT_ASSOCIATION
    return table[(target, source)]
