"""Associations between records: one link, seen from both ends.

HubSpot stores an association once and shows it from either record, each end with its own
type id (a quote's company is type 71, the company's quote type 72). Adding it from one end
adds both views; the same pair may carry several types (unlabeled and "Primary").
"""

from __future__ import annotations

from backend.sandbox.hubspot_schema import ASSOCIATION_TYPES, reverse_type

Key = tuple[str, str]   # (object type name, record id)


class AssociationGraph:
    def __init__(self) -> None:
        self._links: dict[Key, dict[str, dict[str, set[int]]]] = {}

    def clear(self) -> None:
        self._links.clear()

    def add(self, source: Key, target: Key, type_id: int) -> None:
        """Associate `source` to `target` with `type_id` (which must go from the source's
        type to the target's), and the target back to the source."""
        self._one_way(source, target, type_id)
        self._one_way(target, source, reverse_type(type_id))

    def of(self, source: Key, target_type: str) -> list[tuple[str, list[int]]]:
        """The records of `target_type` associated to `source`, by id, with their type ids."""
        targets = self._links.get(source, {}).get(target_type, {})
        return [(target_id, sorted(targets[target_id])) for target_id in sorted(targets, key=int)]

    def _one_way(self, source: Key, target: Key, type_id: int) -> None:
        by_type = self._links.setdefault(source, {}).setdefault(target[0], {})
        by_type.setdefault(target[1], set()).add(type_id)


def type_spec(type_id: int) -> dict:
    """An `AssociationSpecWithLabel` (v4 answers)."""
    return {"category": "HUBSPOT_DEFINED", "typeId": type_id,
            "label": ASSOCIATION_TYPES[type_id][2]}
