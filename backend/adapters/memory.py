"""In-memory stand-ins behind the ports, for fast tests of the use cases.

`MemorySpreadsheet` keeps typed cell values per tab; the local .xlsx workbook extends it
with a file. `MemoryStripe` serves plain Stripe dicts.
"""

from __future__ import annotations

from collections.abc import Iterator

from backend.errors import ServiceError
from backend.ports import TabSpec, no_progress


class MemorySpreadsheet:
    def __init__(self) -> None:
        self.tabs: dict[str, list[list]] = {}
        self.specs: dict[str, TabSpec] = {}
        self.highlighted: dict[str, set[int]] = {}
        self._calls = 0

    def _call(self) -> None:
        self._calls += 1

    def _changed(self) -> None:
        """Hook for subclasses that persist (the .xlsx workbook)."""

    def calls(self) -> int:
        return self._calls

    def tab_titles(self) -> list[str]:
        self._call()
        return list(self.tabs)

    def ensure_tabs(self, specs: list[TabSpec]) -> list[str]:
        self._call()
        created = []
        for spec in specs:
            if spec.title not in self.tabs:
                self.tabs[spec.title] = [list(spec.header)]
                created.append(spec.title)
            self.specs.setdefault(spec.title, spec)
        if created:
            self._changed()
        return created

    def read(self, titles: list[str]) -> dict[str, list[list]]:
        self._call()
        return {t: [list(r) for r in self.tabs.get(t, [])] for t in titles}

    def read_column(self, titles: list[str], header: str) -> dict[str, list]:
        self._call()
        out = {}
        for title in titles:
            rows = self.tabs.get(title) or [[]]
            names = [str(c).strip() for c in rows[0]]
            if header not in names:
                out[title] = []
                continue
            col = names.index(header)
            out[title] = [r[col] if col < len(r) else "" for r in rows[1:]]
        return out

    def append(self, title: str, rows: list[list]) -> None:
        self._call()
        self.tabs[title].extend(list(r) for r in rows)
        self._changed()

    def replace(self, spec: TabSpec, rows: list[list]) -> None:
        self._call()
        self.tabs[spec.title] = [list(spec.header)] + [list(r) for r in rows]
        self.specs[spec.title] = spec
        self.highlighted.pop(spec.title, None)
        self._changed()

    def delete_rows(self, title: str, indexes: list[int]) -> None:
        self._call()
        drop = set(indexes)
        if 0 in drop:
            raise ValueError("the header row is never deleted")
        self.tabs[title] = [r for i, r in enumerate(self.tabs[title]) if i not in drop]
        self.highlighted.pop(title, None)
        self._changed()

    def highlight(self, title: str, indexes: list[int], clear_others: bool = True) -> None:
        self._call()
        marked = set() if clear_others else set(self.highlighted.get(title, set()))
        self.highlighted[title] = marked | set(indexes)
        self._changed()


class MemoryStripe:
    """Stripe objects held in memory, listed as the real adapter lists them (newest first)."""

    def __init__(self, company: dict) -> None:
        self.company = company
        self._calls = 0

    def calls(self) -> int:
        return self._calls

    def _listed(self, kind: str, created_gte=None, created_lt=None,
                status=None) -> Iterator[dict]:
        self._calls += 1
        customers = {c["id"]: c for c in self.company.get("customers", [])}
        items = [_expanded(o, customers) for o in self.company.get(kind, [])
                 if (created_gte is None or o["created"] >= created_gte)
                 and (created_lt is None or o["created"] < created_lt)
                 and (status is None or o.get("status") == status)]
        return iter(sorted(items, key=lambda o: (o["created"], o["id"]), reverse=True))

    def invoices(self, created_gte=None, created_lt=None, progress=no_progress, keep=None,
                 status=None):
        return map(keep or (lambda d: d),
                   self._listed("invoices", created_gte, created_lt, status))

    def credit_notes(self, created_gte=None, created_lt=None, keep=None):
        return map(keep or (lambda d: d), self._listed("credit_notes", created_gte, created_lt))

    def invoice(self, invoice_id):
        return self._one("invoices", invoice_id, "invoice")

    def credit_note(self, credit_note_id):
        return self._one("credit_notes", credit_note_id, "credit note")

    def _one(self, kind: str, object_id: str, label: str) -> dict:
        """One document, customer expanded; Stripe's 404 for an id it does not have."""
        self._calls += 1
        customers = {c["id"]: c for c in self.company.get("customers", [])}
        for obj in self.company.get(kind, []):
            if obj["id"] == object_id:
                return _expanded(obj, customers)
        raise ServiceError("stripe", f"No such {label}: '{object_id}'", status=404)

    def customers(self):
        return self._listed("customers")

    def products(self):
        return self._listed("products")

    def tax_rates(self):
        return self._listed("tax_rates")

    def events(self, types, created_gte):
        return (e for e in self._listed("events", created_gte) if e["type"] in types)


def _expanded(obj: dict, customers: dict[str, dict]) -> dict:
    """Documents come with their customer expanded, as the real adapter asks Stripe."""
    if isinstance(obj.get("customer"), str) and obj["customer"] in customers:
        return {**obj, "customer": customers[obj["customer"]]}
    return obj
