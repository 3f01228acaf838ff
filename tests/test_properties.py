"""Any invoice the generators can build becomes a balanced entry, an anomaly with a reason,
or a skip; never a crash, never an unbalanced entry."""

from dataclasses import replace

from hypothesis import given, settings as hsettings, strategies as st

from backend.core.catalog import Catalog
from backend.core.journal import journal_document
from backend.core.model import Anomaly, Entry, Skipped
from backend.core.settings import Settings
from builders import credit_line, credit_note, custom_line, invoice, line, standard_catalog

PRODUCTS = ["prod_bureau", "prod_salle", "prod_cafe", "prod_impr", "prod_casier", "prod_unknown"]
RATES = [("txr_20", 20), ("txr_10", 10), ("txr_55", 5.5), ("txr_unknown", 8), None]


@st.composite
def invoice_lines(draw):
    items = []
    for i in range(draw(st.integers(1, 14))):
        amount = draw(st.integers(-200_000, 2_000_000))
        discount = draw(st.integers(0, max(0, amount))) if draw(st.booleans()) else 0
        rate = draw(st.sampled_from(RATES))
        inclusive = bool(rate) and rate[0] == "txr_20" and draw(st.booleans())
        items.append(line(f"il_{i}", draw(st.sampled_from(PRODUCTS)), amount,
                          ("txr_20i", 20) if inclusive else rate, discount, inclusive))
    return items


@st.composite
def invoices(draw):
    return invoice(
        "in_p", "F-P", draw(st.sampled_from(["cus_simplon", "cus_dupont", "cus_nobody"])),
        draw(invoice_lines()), status=draw(st.sampled_from(["paid", "open", "uncollectible",
                                                            "draft", "void"])),
        currency=draw(st.sampled_from(["eur"] * 5 + ["usd"])),
        starting_balance=draw(st.integers(-100_000, 0)))


def check(outcome):
    if isinstance(outcome, Entry):
        assert outcome.balanced, outcome
        assert outcome.total_debit > 0
        for entry_line in outcome.lines:
            assert (entry_line.debit > 0) != (entry_line.credit > 0)
            assert isinstance(entry_line.debit, int) and isinstance(entry_line.credit, int)
            assert entry_line.sections == ("", "", "") or entry_line.account.startswith("7")
    elif isinstance(outcome, Anomaly):
        assert outcome.problems and all(p.reason and p.reason_en for p in outcome.problems)
    else:
        assert isinstance(outcome, Skipped) and outcome.reason


all_settings = st.sampled_from([Settings(), Settings(discount_account="709000")])


@hsettings(max_examples=300, deadline=None)
@given(invoices(), all_settings, st.booleans())
def test_every_invoice_balances_or_is_an_anomaly(doc, settings, journaled):
    catalog = Catalog().add_all(standard_catalog() + [doc])
    check(journal_document(doc, catalog, settings, {"in_p"} if journaled else set()))


@hsettings(max_examples=150, deadline=None)
@given(invoices(), st.data())
def test_every_credit_note_balances_or_is_an_anomaly(doc, data):
    catalog = Catalog().add_all(standard_catalog() + [doc])
    items = doc["lines"]["data"]
    lines = []
    for i, item in enumerate(data.draw(st.lists(st.sampled_from(items), max_size=4))):
        lines.append(credit_line(f"cnli_{i}", item, data.draw(st.integers(0, 500_000)),
                                 data.draw(st.sampled_from(RATES))))
    if data.draw(st.booleans()) or not lines:
        lines.append(custom_line("cnli_c", data.draw(st.integers(1, 100_000))))
    check(journal_document(credit_note("cn_p", "CN-P", doc, lines), catalog, Settings()))


def _mutations():
    leaf = st.one_of(st.none(), st.integers(-10**12, 10**12), st.text(max_size=5), st.booleans(),
                     st.floats(allow_nan=True), st.just([]), st.just({}))
    return st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(["drop", "set"]), leaf),
                    max_size=4)


def _paths(obj, prefix=()):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield prefix + (key,)
            yield from _paths(value, prefix + (key,))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield prefix + (index,)
            yield from _paths(value, prefix + (index,))


@hsettings(max_examples=300, deadline=None)
@given(invoices(), _mutations())
def test_damaged_documents_never_crash(doc, mutations):
    """Fields dropped or replaced by nulls, texts or floats: an anomaly or an entry, no crash."""
    for pick, action, value in mutations:
        paths = list(_paths(doc))
        if not paths:
            break
        path = paths[pick % len(paths)]
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        if action == "drop" and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
    catalog = Catalog().add_all(standard_catalog())
    catalog.add(doc) if isinstance(doc, dict) else None
    check(journal_document(doc, catalog, replace(Settings(), discount_account="709000")))


def test_the_journal_fields_give_the_same_entries_for_the_whole_demo_month():
    from backend.core.documents import journal_fields
    from backend.demo import build_demo_company
    company = build_demo_company()
    objects = [o for kind in company.values() for o in kind]
    full = Catalog().add_all(objects)
    slim = Catalog().add_all([o if o["object"] not in ("invoice", "credit_note")
                              else journal_fields(o) for o in objects])
    for doc in company["invoices"] + company["credit_notes"]:
        for journaled in (set(), {doc["id"]}):
            assert journal_document(journal_fields(doc), slim, Settings(), journaled) == \
                journal_document(doc, full, Settings(), journaled), doc["id"]
    assert len(str(journal_fields(company["invoices"][0]))) < len(str(company["invoices"][0])) / 2


@hsettings(max_examples=150, deadline=None)
@given(invoices(), all_settings)
def test_the_journal_fields_give_the_same_outcome(doc, settings):
    from backend.core.documents import journal_fields
    full = Catalog().add_all(standard_catalog() + [doc])
    slim = Catalog().add_all(standard_catalog() + [journal_fields(doc)])
    assert journal_document(journal_fields(doc), slim, settings) == \
        journal_document(doc, full, settings)
