"""Lettering of the customer accounts: golden cases checked by hand, then properties.

A customer line is written as ("id", "account", "group", signed cents, "day"): the invoice's
own line is a debit (positive), payments and credit notes credits (negative), refunds and lost
disputes debits again.
"""

from collections import defaultdict
from datetime import date

import pytest
from builders import credit_line, credit_note, invoice, line
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from backend.core.journal import journal_document
from backend.core.lettering import (
    CustomerLine,
    Letter,
    LetteringState,
    OpenGroup,
    SplitGroup,
    entry_customer_lines,
    letter,
    open_receivables,
)
from backend.core.lettering_codes import code_at, index_of
from backend.core.settings import Settings


def lines(*rows):
    return [CustomerLine(i, account, group, amount, date.fromisoformat(on))
            for i, account, group, amount, on in rows]


def codes(result):
    """line id -> "CODE day" or None, to compare with a readable expectation."""
    return {i: (f"{x.code} {x.on:%Y-%m-%d}" if x else None) for i, x in result.letters.items()}


# --- the code sequence ---------------------------------------------------------------------

@pytest.mark.parametrize("index, code", [
    (0, "A"), (1, "B"), (25, "Z"),        # one letter
    (26, "AA"), (27, "AB"), (51, "AZ"),   # after Z: AA, never A again nor "BA" first
    (52, "BA"), (701, "ZZ"), (702, "AAA"),
])
def test_code_sequence(index, code):
    assert code_at(index) == code
    assert index_of(code) == index


@given(st.integers(0, 10**6))
def test_code_positions_round_trip(index):
    assert index_of(code_at(index)) == index


@pytest.mark.parametrize("bad", [-1, True, 1.0])
def test_code_position_must_be_a_natural_number(bad):
    with pytest.raises(ValueError):
        code_at(bad)


def test_the_27th_settlement_of_an_account_is_AA_and_the_28th_AB():
    # 28 invoices of 10,00 each paid in full, one a day: A … Z, then AA, AB.
    rows = []
    for n in range(28):
        rows += [(f"in_{n:02d}/0", "411SIMPL", f"in_{n:02d}", 1000, f"2026-03-{n % 28 + 1:02d}"),
                 (f"txn_{n:02d}/1", "411SIMPL", f"in_{n:02d}", -1000, f"2026-03-{n % 28 + 1:02d}")]
    result = letter(lines(*rows))
    assert result.letters["in_25/0"].code == "Z"
    assert result.letters["in_26/0"].code == "AA"
    assert result.letters["txn_27/1"].code == "AB"
    assert result.state.next_code("411SIMPL") == "AC"


# --- golden cases ------------------------------------------------------------------------

def test_full_payment_letters_both_lines_at_the_payment_date():
    # Invoice 540,00 on 2 March, paid 540,00 on 9 March: the group sums to zero, both lines
    # get A, dated the payment's day (the last line of the group).
    result = letter(lines(("in_1/0", "411SIMPL", "in_1", 54000, "2026-03-02"),
                          ("txn_1/1", "411SIMPL", "in_1", -54000, "2026-03-09")))
    assert codes(result) == {"in_1/0": "A 2026-03-09", "txn_1/1": "A 2026-03-09"}
    assert result.state.next_code("411SIMPL") == "B"
    assert result.split_groups == ()
    assert open_receivables(lines(("in_1/0", "411SIMPL", "in_1", 54000, "2026-03-02"),
                                  ("txn_1/1", "411SIMPL", "in_1", -54000, "2026-03-09"))) == {}


def test_partial_payment_leaves_the_group_open_with_what_is_left():
    # 540,00 invoiced, 200,00 paid: 340,00 left, no code on either line, no code spent.
    rows = lines(("in_1/0", "411SIMPL", "in_1", 54000, "2026-03-02"),
                 ("txn_1/1", "411SIMPL", "in_1", -20000, "2026-03-09"))
    result = letter(rows)
    assert codes(result) == {"in_1/0": None, "txn_1/1": None}
    assert result.state.next_code("411SIMPL") == "A"
    assert open_receivables(rows) == {"411SIMPL": (
        OpenGroup("411SIMPL", "in_1", 34000, date(2026, 3, 2), date(2026, 3, 9)),)}


def test_invoices_of_one_customer_get_codes_in_the_order_they_were_settled():
    # in_1 (2 March) is paid on the 20th, in_2 (5 March) on the 10th: in_2 was settled first
    # and gets A, in_1 gets B. in_3 is unpaid and stays open.
    result = letter(lines(("in_1/0", "411SIMPL", "in_1", 54000, "2026-03-02"),
                          ("in_2/0", "411SIMPL", "in_2", 12000, "2026-03-05"),
                          ("in_3/0", "411SIMPL", "in_3", 9900, "2026-03-06"),
                          ("txn_2/1", "411SIMPL", "in_2", -12000, "2026-03-10"),
                          ("txn_1/1", "411SIMPL", "in_1", -54000, "2026-03-20")))
    assert codes(result) == {"in_1/0": "B 2026-03-20", "txn_1/1": "B 2026-03-20",
                             "in_2/0": "A 2026-03-10", "txn_2/1": "A 2026-03-10",
                             "in_3/0": None}


def test_reopened_group_loses_its_code_and_later_gets_a_new_one_never_the_old():
    paid = lines(("in_1/0", "411SIMPL", "in_1", 54000, "2026-03-02"),
                 ("txn_1/1", "411SIMPL", "in_1", -54000, "2026-03-09"))
    # Day 9: paid in full -> A.
    first = letter(paid)
    assert codes(first) == {"in_1/0": "A 2026-03-09", "txn_1/1": "A 2026-03-09"}
    # Day 15: refunded 540,00 (a debit): the group sums to 540,00 again, the code comes off
    # every line, and A stays spent.
    refunded = paid + lines(("txn_2/1", "411SIMPL", "in_1", 54000, "2026-03-15"))
    second = letter(refunded, first.state)
    assert codes(second) == {"in_1/0": None, "txn_1/1": None, "txn_2/1": None}
    assert second.state.held == {}
    assert second.state.given_codes("411SIMPL") == ("A",)
    assert open_receivables(refunded)["411SIMPL"][0].left == 54000
    # Day 20: paid again: zero again -> B, dated the new payment, on all four lines.
    repaid = refunded + lines(("txn_3/1", "411SIMPL", "in_1", -54000, "2026-03-20"))
    third = letter(repaid, second.state)
    assert set(codes(third).values()) == {"B 2026-03-20"} and len(third.letters) == 4
    # The refund and the new payment arriving in one call give the same B: the group was
    # reopened in between even if no call saw it open.
    assert codes(letter(repaid, first.state)) == codes(third)


def test_lost_dispute_reopens_the_group():
    # Paid 540,00 -> A; a lost dispute takes the 540,00 back (debit): open again, 540,00 left.
    rows = lines(("in_1/0", "411SIMPL", "in_1", 54000, "2026-03-02"),
                 ("txn_1/1", "411SIMPL", "in_1", -54000, "2026-03-09"))
    first = letter(rows)
    rows += lines(("txn_dp/1", "411SIMPL", "in_1", 54000, "2026-03-25"))
    assert set(codes(letter(rows, first.state)).values()) == {None}


def test_a_credit_note_settles_part_of_the_invoice():
    # 540,00 invoiced, a 240,00 credit note, 300,00 paid: 540 - 240 - 300 = 0 -> A on the
    # three lines (both journals), dated the payment, the last of them.
    result = letter(lines(("in_1/0", "411SIMPL", "in_1", 54000, "2026-03-02"),
                          ("cn_1/0", "411SIMPL", "in_1", -24000, "2026-03-04"),
                          ("txn_1/1", "411SIMPL", "in_1", -30000, "2026-03-12")))
    assert set(codes(result).values()) == {"A 2026-03-12"} and len(result.letters) == 3


def test_two_customers_each_have_their_own_sequence():
    # Simplon settles two invoices (A, B), Dupont one: its first code is A too.
    result = letter(lines(("in_1/0", "411SIMPL", "in_1", 54000, "2026-03-02"),
                          ("txn_1/1", "411SIMPL", "in_1", -54000, "2026-03-03"),
                          ("in_2/0", "411DUPON", "in_2", 1200, "2026-03-02"),
                          ("txn_2/1", "411DUPON", "in_2", -1200, "2026-03-04"),
                          ("in_3/0", "411SIMPL", "in_3", 700, "2026-03-05"),
                          ("txn_3/1", "411SIMPL", "in_3", -700, "2026-03-06")))
    assert codes(result) == {"in_1/0": "A 2026-03-03", "txn_1/1": "A 2026-03-03",
                             "in_2/0": "A 2026-03-04", "txn_2/1": "A 2026-03-04",
                             "in_3/0": "B 2026-03-06", "txn_3/1": "B 2026-03-06"}
    assert result.state.next_code("411SIMPL") == "C"
    assert result.state.next_code("411DUPON") == "B"


def test_sales_entries_give_their_customer_lines_to_the_invoice_group(catalog):
    # Real sales entries: invoice 450,00 + 20 % VAT = 540,00 (411SIMPL debited 540,00 on
    # 5 October), a credit note of 200,00 + VAT = 240,00 (411SIMPL credited 240,00 on
    # 20 October), then a Stripe payment of 300,00 on 25 October: 540 - 240 - 300 = 0 -> A,
    # dated the 25th. Only the customer lines take part, not revenue or VAT.
    doc = invoice("in_1", "F-2026-0001", "cus_simplon", [line("il_1", "prod_bureau", 45000)])
    catalog.add(doc)  # the credit note's lines point at the invoice's
    sale = journal_document(doc, catalog, Settings())
    note = journal_document(credit_note("cn_1", "AV-0001", doc,
                                        [credit_line("cnli_1", doc["lines"]["data"][0], 20000)]),
                            catalog, Settings())
    rows = entry_customer_lines(sale, "in_1") + entry_customer_lines(note, "in_1")
    assert rows == lines(("in_1/0", "411SIMPL", "in_1", 54000, "2026-10-05"),
                         ("cn_1/0", "411SIMPL", "in_1", -24000, "2026-10-20"))
    rows += lines(("txn_1/1", "411SIMPL", "in_1", -30000, "2026-10-25"))
    assert set(codes(letter(rows)).values()) == {"A 2026-10-25"}


def test_a_voided_invoice_is_lettered_against_its_cancellation(catalog):
    # Invoice 540,00 on 5 October, voided on the 7th after it was journaled: its reversal
    # (Ref. Pièce in_1/annulation) credits 411SIMPL 540,00 and settles the group -> A, the 7th.
    doc = invoice("in_1", "F-2026-0001", "cus_simplon", [line("il_1", "prod_bureau", 45000)],
                  status="void", voided="2026-10-07 09:00")
    sale = journal_document({**doc, "status": "open"}, catalog, Settings())
    cancel = journal_document(doc, catalog, Settings(), {"in_1"})
    result = letter(entry_customer_lines(sale, "in_1") + entry_customer_lines(cancel, "in_1"))
    assert codes(result) == {"in_1/0": "A 2026-10-07", "in_1/annulation/0": "A 2026-10-07"}


def test_account_codes_compare_case_insensitively():
    # `411simpl` and `411SIMPL` are one account (codes.code_key): one group, one sequence.
    result = letter(lines(("in_1/0", "411SIMPL", "in_1", 54000, "2026-03-02"),
                          ("txn_1/1", "411simpl", "in_1", -54000, "2026-03-09")))
    assert set(codes(result).values()) == {"A 2026-03-09"}
    assert result.split_groups == ()


def test_a_group_over_two_accounts_is_lettered_per_account_and_reported():
    # The invoice is on Simplon, its payment was journaled on Dupont: neither account sums
    # to zero, nothing is lettered, and the group is reported. A credit note on Simplon
    # settling the invoice there would letter Simplon's part alone.
    rows = lines(("in_1/0", "411SIMPL", "in_1", 54000, "2026-03-02"),
                 ("txn_1/1", "411DUPON", "in_1", -54000, "2026-03-09"))
    result = letter(rows)
    assert codes(result) == {"in_1/0": None, "txn_1/1": None}
    assert result.split_groups == (SplitGroup("in_1", ("411DUPON", "411SIMPL")),)
    assert "plusieurs comptes (411DUPON, 411SIMPL)" in result.split_groups[0].reason
    assert {a: [g.left for g in gs] for a, gs in open_receivables(rows).items()} == {
        "411DUPON": [-54000], "411SIMPL": [54000]}
    rows += lines(("cn_1/0", "411SIMPL", "in_1", -54000, "2026-03-10"))
    assert codes(letter(rows)) == {"in_1/0": "A 2026-03-10", "cn_1/0": "A 2026-03-10",
                                   "txn_1/1": None}


def test_same_lines_and_state_give_the_same_result():
    rows = lines(("in_1/0", "411SIMPL", "in_1", 54000, "2026-03-02"),
                 ("txn_1/1", "411SIMPL", "in_1", -54000, "2026-03-09"),
                 ("in_2/0", "411SIMPL", "in_2", 1000, "2026-03-03"))
    first = letter(rows)
    again = letter(rows, first.state)
    assert again.letters == first.letters and again.state == first.state


def test_more_lines_change_only_their_own_groups():
    # in_1 was settled as A. A later call adds in_2's invoice and payment: in_1 keeps A (and
    # its date), in_2 gets B.
    rows = lines(("in_1/0", "411SIMPL", "in_1", 54000, "2026-03-02"),
                 ("txn_1/1", "411SIMPL", "in_1", -54000, "2026-03-09"))
    first = letter(rows)
    later = letter(rows + lines(("in_2/0", "411SIMPL", "in_2", 1000, "2026-03-01"),
                                ("txn_2/1", "411SIMPL", "in_2", -1000, "2026-03-05")),
                   first.state)
    assert later.letters["in_1/0"] == Letter("A", date(2026, 3, 9))
    assert later.letters["in_2/0"] == Letter("B", date(2026, 3, 5))


def test_a_group_left_out_of_a_call_keeps_its_code():
    first = letter(lines(("in_1/0", "411SIMPL", "in_1", 54000, "2026-03-02"),
                         ("txn_1/1", "411SIMPL", "in_1", -54000, "2026-03-09")))
    other = letter(lines(("in_2/0", "411SIMPL", "in_2", 1000, "2026-03-10"),
                         ("txn_2/1", "411SIMPL", "in_2", -1000, "2026-03-11")), first.state)
    assert other.state.held[("411SIMPL", "in_1")].code == "A"
    assert other.letters == {"in_2/0": Letter("B", date(2026, 3, 11)),
                             "txn_2/1": Letter("B", date(2026, 3, 11))}


def test_a_line_given_twice_counts_once_and_two_lines_with_one_id_are_refused():
    row = ("in_1/0", "411SIMPL", "in_1", 54000, "2026-03-02")
    pay = ("txn_1/1", "411SIMPL", "in_1", -54000, "2026-03-09")
    assert set(codes(letter(lines(row, pay, pay))).values()) == {"A 2026-03-09"}
    with pytest.raises(ValueError):
        letter(lines(row, pay, ("txn_1/1", "411SIMPL", "in_1", -100, "2026-03-09")))


@pytest.mark.parametrize("amount", [540.0, True, "54000"])
def test_amounts_are_integer_cents_only(amount):
    with pytest.raises(TypeError):
        CustomerLine("in_1/0", "411SIMPL", "in_1", amount, date(2026, 3, 2))


# --- properties --------------------------------------------------------------------------

ACCOUNTS = ["411SIMPL", "411DUPON", "411ACME"]
DAYS = [date(2026, 3, d) for d in range(1, 29)]


@st.composite
def movements(draw):
    """Customer lines of a few invoices: each invoice's own line, then payments, credit
    notes, refunds and disputes drawn around what is left, so that groups often settle,
    sometimes stay open and sometimes reopen. A few lines go to another account."""
    rows = []
    for n in range(draw(st.integers(1, 8))):
        account = draw(st.sampled_from(ACCOUNTS))
        group = f"in_{n}"
        total = draw(st.integers(1, 200_000))
        rows.append(CustomerLine(f"{group}/0", account, group, total, draw(st.sampled_from(DAYS))))
        left = total
        for k in range(draw(st.integers(0, 5))):
            kind = draw(st.sampled_from(["settle", "part", "reopen", "stray"]))
            if kind == "settle" and left:
                amount = -left
            elif kind == "part":
                amount = -draw(st.integers(1, 200_000))
            elif kind == "reopen":
                amount = draw(st.integers(1, 200_000))
            else:
                amount = -draw(st.integers(1, 200_000))
            on_account = draw(st.sampled_from(ACCOUNTS)) if kind == "stray" else account
            left += amount if on_account == account else 0
            rows.append(CustomerLine(f"txn_{n}_{k}/1", on_account, group, amount,
                                     draw(st.sampled_from(DAYS))))
    return rows


def check_lettering(rows, result):
    """Every lettered group sums to zero with one code and the date of its last line;
    lines of open groups carry none; a code belongs to one group per account."""
    groups = defaultdict(list)
    for row in rows:
        groups[(row.account.upper(), row.group)].append(row)
    assert set(result.letters) == {row.id for row in rows}
    owner = {}
    for key, members in groups.items():
        given = {result.letters[m.id] for m in members}
        if sum(m.amount for m in members) != 0:
            assert given == {None}
            continue
        assert len(given) == 1 and None not in given
        (one,) = given
        assert one.on == max(m.on for m in members)
        assert owner.setdefault((key[0], one.code), key) == key


@hsettings(max_examples=300, deadline=None)
@given(movements())
def test_lettered_groups_sum_to_zero_and_open_ones_carry_no_code(rows):
    result = letter(rows)
    check_lettering(rows, result)
    again = letter(rows, result.state)
    assert again.letters == result.letters and again.state == result.state


@hsettings(max_examples=300, deadline=None)
@given(movements(), st.data())
def test_codes_are_never_given_twice_across_successive_calls(rows, data):
    # The lines arrive over several calls (as the days pass), each call given everything
    # known so far and the state of the call before. Across all calls, a code of an account
    # ever names one group only; each call is idempotent; and the end result letters the
    # same lines as one call over everything would.
    cuts = sorted(data.draw(st.lists(st.integers(0, len(rows)), max_size=4)))
    state = LetteringState()
    ever = {}
    for cut in cuts + [len(rows)]:
        known = rows[:cut]
        result = letter(known, state)
        check_lettering(known, result)
        assert letter(known, result.state) == result
        for (account, group), held in result.state.held.items():
            assert ever.setdefault((account, held.code), group) == group
        for account, count in result.state.next_index.items():
            assert count >= state.next_index.get(account, 0)  # the counter never goes back
        state = result.state
    once = letter(rows)
    assert ({i for i, x in once.letters.items() if x} ==
            {i for i, x in result.letters.items() if x})


@hsettings(max_examples=200, deadline=None)
@given(movements())
def test_open_receivables_add_up_to_each_account_balance(rows):
    balance = defaultdict(int)
    for row in rows:
        balance[row.account.upper()] += row.amount
    listed = open_receivables(rows)
    assert {account: sum(g.left for g in groups) for account, groups in listed.items()} == {
        account: total for account, total in balance.items() if total or account in listed}
    assert all(g.left != 0 for groups in listed.values() for g in groups)
