from backend.sync.merge import merge

BASE = {"name": "Bureau", "price": 45000}


def test_unchanged_fields_give_nothing_to_do():
    m = merge("product", "1", "prod_1", dict(BASE), dict(BASE), dict(BASE))
    assert not m.changes and m.conflicts == [] and m.state == BASE


def test_a_change_on_one_side_is_carried_to_the_other():
    m = merge("product", "1", "prod_1", {**BASE, "name": "Bureau fixe"}, dict(BASE), dict(BASE))
    assert m.to_stripe == {"name": "Bureau fixe"} and m.to_hubspot == {}
    m = merge("product", "1", "prod_1", dict(BASE), {**BASE, "name": "Bureau Stripe"}, dict(BASE))
    assert m.to_hubspot == {"name": "Bureau Stripe"} and m.state["name"] == "Bureau Stripe"


def test_both_sides_changed_is_a_conflict_and_nothing_is_overwritten():
    m = merge("product", "1", "prod_1", {**BASE, "name": "A"}, {**BASE, "name": "B"}, dict(BASE))
    assert not m.changes
    assert [(c.field, c.hubspot_value, c.stripe_value) for c in m.conflicts] == [("name", "A", "B")]
    assert m.state["name"] == "Bureau"   # the conflict stays until a person settles it
    settled = merge("product", "1", "prod_1", {**BASE, "name": "B"}, {**BASE, "name": "B"}, m.state)
    assert settled.conflicts == [] and settled.state["name"] == "B"


def test_both_sides_changed_to_the_same_value_is_no_conflict():
    m = merge("product", "1", "prod_1", {**BASE, "name": "C"}, {**BASE, "name": "C"}, dict(BASE))
    assert m.conflicts == [] and m.state["name"] == "C"


def test_a_master_field_changed_in_stripe_alone_is_put_back():
    m = merge("product", "1", "prod_1", dict(BASE), {**BASE, "price": 1}, dict(BASE),
              master_fields=frozenset({"price"}))
    assert m.to_stripe == {"price": 45000} and m.to_hubspot == {}


def test_without_a_base_hubspot_wins():
    m = merge("product", "1", "prod_1", {"name": "H"}, {"name": "S"}, None)
    assert m.to_stripe == {"name": "H"} and m.conflicts == []


def test_without_a_base_an_empty_value_never_erases_a_filled_one():
    m = merge("company", "1", "cus_1", {"email": "", "city": "Lyon"},
              {"email": "compta@x.fr", "city": ""}, None)
    assert m.to_hubspot == {"email": "compta@x.fr"} and m.to_stripe == {"city": "Lyon"}
