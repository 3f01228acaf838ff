"""Property definitions of each object type, and what a value must look like to be written.

An account starts with HubSpot's standard properties; custom ones are created through the
properties API (`POST /crm/v3/properties/{objectType}`) or loaded with the demo. A write that
names a property the type does not have, or gives a value its type refuses, is HubSpot's
400 "Property values were not valid" with one problem per property; nothing is written.

Values are stored as HubSpot answers them: strings; numbers as written; datetimes as ISO 8601
with milliseconds and "Z" (a write may give epoch milliseconds or ISO); dates as YYYY-MM-DD;
an empty string clears the property.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone

from backend.sandbox.hubspot_errors import HubSpotError, invalid
from backend.sandbox.hubspot_schema import (READ_ONLY, ObjectType, property_definition,
                                            standard_properties)
from backend.sandbox.hubspot_store import iso

TYPES = ("bool", "date", "datetime", "enumeration", "number", "phone_number", "string")
FIELD_TYPES = ("booleancheckbox", "calculation_equation", "checkbox", "date", "file", "html",
               "number", "phonenumber", "radio", "select", "text", "textarea")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_CREATE_REQUIRED = ("name", "label", "type", "fieldType", "groupName")


class PropertyRegistry:
    """The definitions of every object type, by type name then property name."""

    def __init__(self, kinds: list[ObjectType], at: str) -> None:
        self._kinds = kinds
        self._at = at
        self.reset()

    def reset(self) -> None:
        self._defs = {kind.name: {d["name"]: d for d in standard_properties(kind, self._at)}
                      for kind in self._kinds}

    def all(self, kind: ObjectType) -> list[dict]:
        return list(self._defs[kind.name].values())

    def get(self, kind: ObjectType, name: str) -> dict | None:
        return self._defs[kind.name].get(name)

    def names(self, kind: ObjectType) -> set[str]:
        return set(self._defs[kind.name])

    def create(self, kind: ObjectType, spec: dict, at: str) -> dict:
        """A new custom property from a `PropertyCreate`; 409 if the name is taken."""
        missing = [field for field in _CREATE_REQUIRED if not spec.get(field)]
        if missing:
            raise invalid(f"Missing required fields for property creation: {missing}")
        if not _NAME.match(str(spec["name"])):
            raise invalid(f"Property name {spec['name']!r} is invalid: use lower-case letters, "
                          "digits and underscores, starting with a letter.")
        if spec["type"] not in TYPES:
            raise invalid(f"Invalid property type {spec['type']!r}; expected one of {list(TYPES)}")
        if spec["fieldType"] not in FIELD_TYPES:
            raise invalid(f"Invalid fieldType {spec['fieldType']!r}; expected one of "
                          f"{list(FIELD_TYPES)}")
        if spec["name"] in self._defs[kind.name]:
            raise HubSpotError(409, f"Property named '{spec['name']}' already exists.",
                               "OBJECT_ALREADY_EXISTS")
        definition = property_definition(spec, at, len(self._defs[kind.name]))
        self._defs[kind.name][definition["name"]] = definition
        return definition

    def clean(self, kind: ObjectType, values: dict) -> tuple[dict[str, str], list[dict]]:
        """The values as they will be stored, and the problems (as HubSpot lists them)."""
        cleaned, problems = {}, []
        for name, value in values.items():
            definition = self._defs[kind.name].get(name)
            if definition is None:
                problems.append(_problem(name, "PROPERTY_DOESNT_EXIST",
                                         f'Property "{name}" does not exist'))
            elif name in READ_ONLY:
                problems.append(_problem(name, "READ_ONLY_VALUE",
                                         f'"{name}" is a read only property; its value cannot '
                                         "be set."))
            else:
                try:
                    cleaned[name] = normalized(definition, _as_text(value))
                except ValueError as error:
                    problems.append(_problem(name, *error.args))
        return cleaned, problems


def normalized(definition: dict, text: str) -> str:
    """`text` as stored for a property of this definition; ValueError(code, message)."""
    if text == "":
        return ""
    kind = definition["type"]
    if kind == "number":
        return _number(text)
    if kind == "datetime":
        return iso(_moment(text))
    if kind == "date":
        return _moment(text).date().isoformat()
    if kind == "bool":
        if text.lower() not in ("true", "false"):
            raise ValueError("INVALID_BOOLEAN", f"{text!r} was not a valid boolean.")
        return text.lower()
    allowed = [option["value"] for option in definition["options"]]
    if kind == "enumeration" and allowed and text not in allowed:
        raise ValueError("INVALID_OPTION",
                         f'"{text}" was not one of the allowed options: [{", ".join(allowed)}]')
    return text


def comparable(definition: dict, text: str):
    """A value that orders and compares as the property's type does (search filters, sorts)."""
    kind = definition["type"]
    if kind == "number":
        return float(text)
    if kind in ("datetime", "date"):
        return _moment(text).timestamp()
    return text.casefold()


def _number(text: str) -> str:
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    # HubSpot refuses blanks around a number, and anything that is not a finite number.
    if text != text.strip() or not math.isfinite(number):
        raise ValueError("INVALID_FLOAT", f"{text!r} was not a valid number.")
    return text


def _moment(text: str) -> datetime:
    """Epoch milliseconds or ISO 8601 (a date alone is midnight UTC)."""
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, timezone.utc)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise ValueError("INVALID_DATE", f"{text!r} was not a valid date.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _as_text(value) -> str:
    """JSON values as HubSpot takes them: booleans as "true"/"false", null clears."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _problem(name: str, error: str, message: str) -> dict:
    return {"name": name, "error": error, "message": message}
