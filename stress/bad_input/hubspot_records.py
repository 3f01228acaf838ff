"""HubSpot records with bad names, e-mails, prices and accounts, through the sync over HTTP
(hubspot-api-client and stripe against the sandbox), then through a generation that carries
the names they gave into the sheet.

The demo's HubSpot and Stripe accounts are synced once; each case then adds its record (a
company or contact with a won deal, so the customer sync takes it up, or a product), runs the
sync again (the accountant's "synchroniser" button, with its Historique line), and checks the
answer written in the case: the record created in Stripe (its name kept exactly as text, its
code), or left alone with a problem naming it and saying why, in French. When the case says so,
an invoice is then made in Stripe for the new customer or product and the month generated
into a fresh spreadsheet: the name reaches the sheet as text (never a formula), the entry or
anomaly is the one expected, every other document of the month gets its entry exactly once.
CI size: every case's record added at once, one sync and one generation for them all (a bad
record must not stop the others). Full size: each case on its own sync and generation, on the
whole demo month, its records archived afterwards.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from pathlib import Path

from backend.sandbox.local import LocalSandbox
from backend.services.generate import generate
from backend.services.sync import sync
from backend.store.ledger import LedgerStore
from stress.bad_input.cases import Case, Expect, Verdict
from stress.bad_input.checks import (expected_entries, formula_cells, lost_documents, read_tabs,
                                     scratch_dir, sheet_refs, store_disagreements, unexpected_rows)
from stress.bad_input.stripe_objects import FORMULA_NAME, NOW, Base, _entry_rows
from stress.world import demo_data

SYNC_NOW = datetime(2026, 11, 2, 5, 0, tzinfo=timezone.utc)
COMPANY = "hubspot-cases"
SHEET = "sheet-hubspot-cases"           # where the syncs write their Historique lines
GENERATED = "sheet-hubspot-generated"   # where each round's generation goes


def H(name: str, given: str, record: dict, expect: Expect, finding: str = "", gap: str = "") -> Case:
    """`record`: {"type": "companies" | "contacts" | "products", "props": {...},
    "invoice": None | "entry" | "anomaly"} (the invoice made afterwards and what it becomes).
    In `says`, {id} stands for the record's HubSpot id."""
    return Case(f"hubspot.{name}", "hubspot", given, expect, record, gap, finding)


def company(name: str, invoice: str | None = "entry", **props) -> dict:
    return {"type": "companies", "props": {"name": name, **props}, "invoice": invoice}


def contact(first: str, last: str, invoice: str | None = "entry", **props) -> dict:
    return {"type": "contacts", "props": {"firstname": first, "lastname": last, **props},
            "invoice": invoice}


def product(name: str, price: str, code: str, invoice: str | None = None, **props) -> dict:
    return {"type": "products", "props": {"name": name, "price": price, "code_comptable": code,
                                          **props}, "invoice": invoice}


def change(object_type: str, name: str, invoice: str | None = None, **props) -> dict:
    """A change a person makes to a record the demo already has (found by its name): the
    harness sets `props` on it before the sync and puts the old values back afterwards."""
    return {"type": object_type, "change": name, "props": props, "invoice": invoice}


def created(*says: str) -> Expect:
    return Expect(outcome="created", says=says)


def problem(*says: str) -> Expect:
    return Expect(outcome="problem", says=says)


LONG_NAME = "Quetzal " + "Z" * 4992
IMAGE_NAME = '=IMAGE("http://evil.example/pixel.png")'
NO_CODE = "ni lettre ni chiffre"

CASES: list[Case] = [
    H("empty_name", "a company with an empty name and a won deal", company("", None),
      problem("entreprise {id}", NO_CODE), "F9"),
    H("spaces_name", "a company named only with spaces", company("     ", None),
      problem("entreprise {id}", NO_CODE), "F9"),
    H("punctuation_name", "a company named « *** »", company("***", None),
      problem("entreprise ***", NO_CODE), "F9"),
    H("name_5000_chars", "a company name of 5,000 characters (Stripe takes 256 at most)",
      company(LONG_NAME, None),
      problem("(HubSpot {id})", "« name » trop long pour Stripe", "256 au plus")),
    H("emoji_name", "a company named « 🚀 Fusée & Co 🎉 »", company("🚀 Fusée & Co 🎉"),
      created("411FUSEE", "Facture BAD-H05 🚀 Fusée & Co 🎉")),
    H("hyperlink_name", f"a company named {FORMULA_NAME}", company(FORMULA_NAME),
      created("411HYPER", f"Facture BAD-H06 {FORMULA_NAME}")),
    H("image_name_anomaly", f"a company named {IMAGE_NAME}, invoiced for an uncoded "
      "product: the Anomalies row's Client cell starts with =",
      company(IMAGE_NAME, "anomaly-uncoded"), created("411IMAGE", IMAGE_NAME)),
    H("plus_name", "a company named « +33 6 12 34 56 78 »", company("+33 6 12 34 56 78"),
      created("41133612", "Facture BAD-H08 +33 6 12 34 56 78")),
    H("minus_name", "a company named « -1 »", company("-1"), created("4111", "Facture BAD-H09 -1")),
    H("at_name", "a company named « @SUM(A1) »", company("@SUM(A1)"),
      created("411SUMA1", "Facture BAD-H10 @SUM(A1)")),
    H("leading_tab", "a company named « \\tTabulation SARL » (a leading tab)",
      company("\tTabulation SARL"), created("411TABUL", "Facture BAD-H11 Tabulation SARL")),
    H("leading_quote", "a company named « '=1+1 » (a leading quote)", company("'=1+1"),
      created("41111", "Facture BAD-H12 '=1+1")),
    H("newline_name", "a company named « Ligne un\\nLigne deux »", company("Ligne un\nLigne deux"),
      created("411LIGNE", "Facture BAD-H13 Ligne un\nLigne deux")),
    H("formula_contact", "a contact « =1+1 » « @MAX(B2) »", contact("=1+1", "@MAX(B2)"),
      created("411MAXB2", "Facture BAD-H14 =1+1 @MAX(B2)")),
    H("invalid_email", "a contact whose e-mail is « pas-un-email »",
      contact("Jean", "Sansmail", None, email="pas-un-email"),
      problem("contact Jean Sansmail", "e-mail invalide", "pas-un-email"), "F10"),
    H("customer_code_formula", "a company whose code_comptable is « =1+1 »",
      company("Formule SARL", None, code_comptable="=1+1"),
      problem("entreprise Formule SARL", "code comptable « =1+1 » invalide"), "F6"),
    # Issue 13, finding 1: a code typed in HubSpot that another customer has (whatever its
    # case) is refused, naming both customers; on a change, nothing of the record is written.
    H("customer_code_taken_on_creation", "a new company whose code_comptable is Simplicité "
      "Conseil's « 411SIMPL »", company("Double Compte SARL", None, code_comptable="411SIMPL"),
      problem("entreprise Double Compte SARL", "« 411SIMPL »", "Simplicité Conseil (Stripe cus_",
              "deux clients ne partagent jamais un compte"), "F16"),
    H("customer_code_taken_other_case", "a new company whose code_comptable is « 411simpl » "
      "(Simplicité Conseil's, in lower case)",
      company("Casse Basse SARL", None, code_comptable="411simpl"),
      problem("entreprise Casse Basse SARL", "« 411simpl »", "Simplicité Conseil (Stripe cus_"),
      "F16"),
    H("customer_code_taken_on_change", "Bellecour Patrimoine's code_comptable changed in "
      "HubSpot to Simplicité Conseil's « 411SIMPL »",
      change("companies", "Bellecour Patrimoine", "entry", code_comptable="411SIMPL"),
      problem("entreprise Bellecour Patrimoine", "« 411SIMPL »", "Simplicité Conseil (Stripe cus_",
              "'accounting_code': '411BELLE'"), "F16"),
    H("customer_code_not_customer_account", "a new company whose code_comptable is « 706000 » "
      "(a revenue account, not a customer's)",
      company("Compte Général SARL", None, code_comptable="706000"),
      problem("entreprise Compte Général SARL", "code comptable « 706000 » invalide")),
    H("price_three_decimals", "a product priced 12.345 (not a price in cents)",
      product("Produit au millième", "12.345", "706100"),
      problem("produit Produit au millième", "prix illisible", "12.345")),
    H("negative_price", "a product priced -5", product("Produit négatif", "-5", "706100"),
      problem("produit Produit négatif", "prix négatif", "-5"), "F11"),
    H("empty_product_name", "a product with no name", product("", "10", "706100"),
      problem("produit {id}", "sans nom"), "F12"),
    H("product_code_not_account", "a product whose code_comptable is « ventes »",
      product("Produit mal codé", "10", "ventes"),
      problem("produit Produit mal codé", "code comptable « ventes » invalide"), "F6"),
    # Issue 13, finding 2 (the sync's side): a section that would start a formula in the
    # accountant's files is not taken in.
    H("product_section_formula", "a product whose axe_analytique_1 is « =1+1 »",
      product("Produit section formule", "10", "706100", axe_analytique_1="=1+1"),
      problem("produit Produit section formule", "section « =1+1 » invalide sur l'axe 1")),
    H("product_section_at", "a product whose axe_analytique_3 is « @SUM(1+1)*cmd|' /C calc'!A0 »",
      product("Produit section arobase", "10", "706100",
              axe_analytique_3="@SUM(1+1)*cmd|' /C calc'!A0"),
      problem("produit Produit section arobase", "invalide sur l'axe 3")),
    H("product_hyperlink_name", f"a product named {FORMULA_NAME}, no code",
      product(FORMULA_NAME, "10", "", "anomaly"),
      created(FORMULA_NAME, "n'a pas de code comptable")),
]


class Harness:
    """CI size: every case's record added at once, one sync, one generation (a day of bad
    records: none may stop the others). Full size: each case on its own sync and generation,
    its records archived after it."""

    def __init__(self, full: bool) -> None:
        self.isolated = full
        self.results: dict[str, dict] = {}

    def __enter__(self) -> "Harness":
        self.base = Base(self.isolated)
        _, hubspot = demo_data()
        self._tmp = scratch_dir("bad-hubspot-")
        self.store = LedgerStore(f"sqlite:///{Path(self._tmp.name) / 'ledger.db'}")
        self.store.migrate()
        self.sandbox = LocalSandbox().__enter__()
        self.sandbox.stripe.load(self.base.objects_with([]))
        self.sandbox.hubspot.load(copy.deepcopy(hubspot))
        for sid in (SHEET, GENERATED):
            self.sandbox.sheets.create_spreadsheet("Journal des ventes", ["Feuille 1"],
                                                   spreadsheet_id=sid)
        self.hubspot = self.sandbox.hubspot_adapter()
        self.catalog = self.sandbox.catalog_adapter()
        self.stripe = self.sandbox.stripe_adapter()
        self.sheet = self.sandbox.sheet_adapter(SHEET)
        self.generated = self.sandbox.sheet_adapter(GENERATED)
        self.deal = next(d["id"] for d in hubspot["deals"] if d["properties"]["dealstage"] == "closedwon")
        self._sync()            # the demo in step first: each case's sync then sees its record
        self.rounds = 0
        return self

    def __exit__(self, *exc) -> None:
        self.sandbox.__exit__(*exc)
        self.store.close()
        self._tmp.cleanup()

    def _sync(self):
        return sync(self.hubspot, self.catalog, self.store, self.base.settings, COMPANY,
                    trigger="bad input", sheet=self.sheet, now=SYNC_NOW)

    def prepare(self, cases: list[Case]) -> None:
        if not self.isolated:
            self._apply(cases)

    def run(self, case: Case) -> Verdict:
        if self.isolated:
            self._apply([case])
        result = self.results[case.name]
        verdict = Verdict(case, list(result["failures"]), result["formulas"], result["lost"],
                          result["wrong"], result["answer"])
        expect: Expect = case.expect
        verdict.check(result["outcome"] == expect.outcome,
                      f"{result['outcome']}, expected {expect.outcome}: {result['report'][:300]}")
        for text in expect.says:
            text = text.replace("{id}", result["hid"])
            verdict.check(text in result["said"], f"{text[:80]!r} not said: {result['said'][:300]}")
        return verdict

    def _apply(self, cases: list[Case]) -> None:
        """Add the cases' records, sync, invoice what was created, generate; each case's result."""
        self.rounds += 1
        hids, restore = {}, {}
        for case in cases:
            record = case.make
            if record.get("change"):
                existing = next(o for o in self.sandbox.hubspot.objects(record["type"])
                                if o["properties"].get("name") == record["change"])
                hids[case.name] = existing["id"]
                restore[case.name] = {k: existing["properties"].get(k) or "" for k in record["props"]}
                self.sandbox.hubspot.set_properties(record["type"], existing["id"], record["props"])
                continue
            associations = [("deals", self.deal)] if record["type"] != "products" else []
            hids[case.name] = self.sandbox.hubspot.add(record["type"], record["props"],
                                                       associations=associations)
        results = {c.name: {"hid": hids[c.name], "failures": [], "formulas": 0, "lost": 0,
                            "wrong": 0, "answer": "", "outcome": "nothing", "said": "",
                            "report": ""} for c in cases}
        self.results.update(results)
        try:
            try:
                report = self._sync()
            except Exception as exc:   # every record of the sync lost to one of them
                for result in results.values():
                    result["failures"].append(f"the sync failed: {type(exc).__name__}: {exc}"[:300])
                return
            history = read_tabs(self.sandbox.sheets, SHEET).get("Historique", [])
            synced = bool(history) and history[-1][2] == "Synchronisation HubSpot–Stripe"
            invoices = {}
            for case in cases:
                result, record = results[case.name], case.make
                hid, label = result["hid"], _label(record)
                mine = [line for line in report.created + report.problems
                        if hid in line or (label and label in line)]
                stored = self.sandbox.hubspot.get(record["type"], hid)["properties"]
                link = stored.get("stripe_customer_id") or stored.get("stripe_product_id")
                reported = any(line in report.problems for line in mine)
                if record.get("change"):   # a linked record: reported, or its change taken
                    result["outcome"] = "problem" if reported else "changed"
                else:
                    result["outcome"] = "created" if link else "problem" if reported else "nothing"
                result["answer"] = f"{result['outcome']}: {' ; '.join(mine)[:200]}"
                result["report"] = report.french(detail=3)
                result["said"] = " | ".join(mine) + " | " + str(self.sandbox.stripe.get(link) if link else "")
                if not synced:
                    result["failures"].append("no Historique line for the sync")
                if link and record["invoice"]:
                    invoices[case.name] = self._invoice(case, link)
            if invoices:
                self._generate(cases, results, invoices)
        finally:
            if self.isolated:
                for case in cases:
                    if case.name in restore:
                        self.sandbox.hubspot.set_properties(case.make["type"], hids[case.name],
                                                            restore[case.name])
                    else:
                        self.sandbox.hubspot.archive(case.make["type"], hids[case.name])
        formulas = formula_cells(self.sandbox.sheets)
        first = results[cases[0].name]
        first["formulas"] = len(formulas)      # counted once per spreadsheet scan
        for result in results.values():
            result["failures"] += [f"formula: {x}" for x in formulas[:5]]

    def _invoice(self, case: Case, link: str) -> dict:
        record = case.make
        key = f"H{CASES.index(case) + 1:02d}"
        if record["type"] == "products":
            invoice = self.base.invoice(key, lines=((link, 1000, 20.0),))
        elif record["invoice"] == "anomaly-uncoded":
            uncoded = next(p["id"] for p in demo_data()[0]["products"]
                           if not p["metadata"].get("accounting_code"))
            invoice = self.base.invoice(key, lines=((uncoded, 1000, 20.0),), customer=link)
        else:
            invoice = self.base.invoice(key, customer=link)
        invoice["customer_name"] = (self.sandbox.stripe.get(invoice["customer"]) or {}).get("name")
        return invoice

    def _generate(self, cases: list[Case], results: dict, invoices: dict[str, dict]) -> None:
        """The invoices put into Stripe, the month generated into a fresh spreadsheet (and a
        company of its own in the store); what the sheet says of each invoice."""
        base_objects = [o for store in self.sandbox.stripe.stores.values() for o in store.all()]
        expected = expected_entries(base_objects, self.base.settings)
        for invoice in invoices.values():
            self.sandbox.stripe.add(invoice)
        company = f"hubspot-generation-{self.rounds}"
        with self.sandbox.sheets.lock:
            del self.sandbox.sheets.spreadsheets[GENERATED]
        self.sandbox.sheets.create_spreadsheet("Journal des ventes", ["Feuille 1"],
                                               spreadsheet_id=GENERATED)
        first = results[cases[0].name]
        try:
            generate(self.stripe, self.generated, self.store, self.base.settings, company, now=NOW)
        except Exception as exc:
            for name in invoices:
                results[name]["failures"].append(f"the generation failed: {type(exc).__name__}: {exc}"[:300])
            first["lost"] = len(expected)
            return
        tabs = read_tabs(self.sandbox.sheets, GENERATED)
        refs = sheet_refs(tabs)
        allowed = set(expected)
        for name, invoice in invoices.items():
            result, record = results[name], next(c.make for c in cases if c.name == name)
            rows = _entry_rows(tabs, invoice["id"])
            anomalies = [r for r in tabs.get("Anomalies", [])[1:] if r and r[0] == invoice["id"]]
            wanted = "entry" if record["invoice"] == "entry" else "anomaly"
            got = "entry" if rows else "anomaly" if anomalies else "nothing"
            if got != wanted:
                result["failures"].append(f"the invoice: {got}, expected {wanted}")
            if anomalies:   # the Client cell holds the customer's name exactly, as text
                name_given = (invoice["customer_name"] or "").strip()
                if str(anomalies[0][2]) != name_given:
                    result["failures"].append(f"Anomalies' Client cell {str(anomalies[0][2])[:60]!r}, "
                                              f"expected {name_given[:60]!r}")
            if rows:
                allowed.add(invoice["id"])
            result["said"] += " | " + " | ".join(" | ".join(map(str, r)) for r in rows + anomalies)
        lost = lost_documents(expected, refs)
        wrong = unexpected_rows(allowed, refs) + store_disagreements(self.store, company, refs)
        first["lost"], first["wrong"] = len(lost), len(wrong)
        first["failures"] += [f"lost: {x}" for x in lost[:5]] + [f"wrong: {x}" for x in wrong[:5]]


def _label(record: dict) -> str | None:
    """How the sync's report names the record (None: by its id, having no name)."""
    props = record["props"]
    if record.get("change"):
        return f"entreprise {record['change']}"
    if record["type"] == "contacts":
        name = " ".join(p.strip() for p in (props["firstname"], props["lastname"]) if p.strip())
        return f"contact {name} " if name else None
    word = "produit" if record["type"] == "products" else "entreprise"
    return f"{word} {props['name'].strip()}" if props["name"].strip() else None
