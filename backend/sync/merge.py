"""Three-way merge of one record's fields: HubSpot's value, Stripe's, and the value both had at
the last sync. A field changed on one side is carried to the other; changed on both sides to
different values, it is a conflict and nothing is overwritten. HubSpot is the master of some
fields: a change made to those in Stripe alone is put back to HubSpot's value."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Conflict:
    object_type: str
    hubspot_id: str
    stripe_id: str
    field: str
    hubspot_value: object
    stripe_value: object
    base_value: object

    def french(self) -> str:
        return (f"{self.object_type} {self.hubspot_id}/{self.stripe_id} : « {self.field} » modifié "
                f"des deux côtés (HubSpot : {self.hubspot_value!r}, Stripe : {self.stripe_value!r})")


@dataclass
class Merge:
    to_stripe: dict = field(default_factory=dict)     # field -> value to write in Stripe
    to_hubspot: dict = field(default_factory=dict)    # field -> value to write in HubSpot
    conflicts: list[Conflict] = field(default_factory=list)
    state: dict = field(default_factory=dict)         # the new last-synced values

    @property
    def changes(self) -> bool:
        return bool(self.to_stripe or self.to_hubspot)


def merge(object_type: str, hubspot_id: str, stripe_id: str, hubspot: dict, stripe: dict,
          base: dict | None, master_fields: frozenset[str] = frozenset()) -> Merge:
    """`hubspot`, `stripe` and `base` map the same field names to comparable values. With no
    base (a first sync of an existing link), HubSpot's values win where the two differ, except
    that an empty value never erases a filled one: the filled one is copied over."""
    result = Merge()
    for name in hubspot:
        hub, strp = hubspot[name], stripe.get(name)
        old = base.get(name) if base is not None else None
        if hub == strp:
            result.state[name] = hub
            continue
        if base is None and hub in ("", None):
            hub_changed, stripe_changed = False, True
        else:
            hub_changed = base is None or hub != old
            stripe_changed = base is not None and strp != old
        if hub_changed and stripe_changed:
            result.conflicts.append(Conflict(object_type, hubspot_id, stripe_id, name, hub, strp, old))
            result.state[name] = old            # still unsettled: the conflict is seen again
        elif hub_changed or name in master_fields:
            result.to_stripe[name] = hub
            result.state[name] = hub
        else:
            result.to_hubspot[name] = strp
            result.state[name] = strp
    return result
