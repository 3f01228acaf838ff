"""Customer account codes by the nomenclature."""

import pytest
from hypothesis import given, strategies as st

from backend.core.codes import CodeError, assign_codes, code_stem, customer_code, display_name


@pytest.mark.parametrize("name, code", [
    ("Simplon", "411SIMPL"),
    ("Élodie & Fils", "411ELODI"),
    ("Œuvre Café", "411OEUVR"),
    ("Straße GmbH", "411STRAS"),
    ("l'Atelier d'Ébène", "411LATEL"),
    ("3D Print Lab", "4113DPRI"),
    ("  ça-va ", "411CAVA"),
])
def test_prefix_and_first_five_letters_or_digits(name, code):
    assert customer_code(name, []) == code


def test_clash_turns_the_tail_into_a_counter_keeping_the_length():
    taken = ["411SIMPL"]
    assert customer_code("Simplicité", taken) == "411SIMP1"
    taken += [f"411SIMP{i}" for i in range(1, 10)]
    assert customer_code("Simplet", taken) == "411SIM10"
    assert all(len(c) == 8 for c in taken)


def test_clash_is_case_insensitive():
    assert customer_code("simplon", ["411simpl"]) == "411SIMP1"


def test_short_names_get_the_counter_appended():
    assert customer_code("Bo", []) == "411BO"
    assert customer_code("Bo", ["411BO"]) == "411BO1"


def test_prefix_and_length_are_settings():
    assert customer_code("Simplon", [], prefix="C", length=7) == "CSIMPLO"
    assert customer_code("Simplon", ["CSIMPLO"], prefix="C", length=7) == "CSIMPL1"


def test_a_name_without_letters_or_digits_has_no_code():
    with pytest.raises(CodeError, match="no letter or digit"):
        customer_code("☕ — ✨", [])


def test_display_name_is_company_else_last_then_first():
    assert display_name("Simplon", "Dupont", "Élodie") == "Simplon"
    assert display_name(None, "Dupont", "Élodie") == "Dupont Élodie"
    assert customer_code(display_name("", "Dupont", "Élodie"), []) == "411DUPON"


def test_assign_codes_hands_out_unique_codes_in_order():
    codes, errors = assign_codes({"a": "Simplon", "b": "Simplicité", "c": "💥", "d": "SIMPLE"},
                                 existing=["411SIMP1"])
    assert codes == {"a": "411SIMPL", "b": "411SIMP2", "d": "411SIMP3"}
    assert list(errors) == ["c"]


@given(st.lists(st.text(max_size=30), max_size=40))
def test_generated_codes_are_unique_well_formed_and_stable(names):
    codes, errors = assign_codes({str(i): n for i, n in enumerate(names)}, existing=[])
    assert len(set(codes.values())) == len(codes)
    for key, code in codes.items():
        assert code.startswith("411") and len(code) <= 8 and code[3:].isalnum() and code.isascii()
        assert code == code.upper()
    assert set(errors) == {str(i) for i, n in enumerate(names) if not code_stem(n)}
    assert assign_codes({str(i): n for i, n in enumerate(names)}, existing=[]) == (codes, errors)
