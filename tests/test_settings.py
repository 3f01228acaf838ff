"""Settings: the design's defaults, a file, and the sheet's key/value form."""

import json
from decimal import Decimal

import pytest

from backend.core.settings import Settings, SettingsError, from_mapping, to_rows
from backend.settings_file import load_settings


def test_design_defaults():
    s = Settings()
    assert s.journal_code == "VT"
    assert s.vat_accounts == {"20": "445711", "10": "445712", "5.5": "445713", "2.1": "445714"}
    assert s.vat_account(Decimal("20.0")) == "445711" and s.vat_account(Decimal("5.50")) == "445713"
    assert s.discount_account == "" and s.credit_note_custom_account == "709000"
    assert (s.customer_code_prefix, s.customer_code_length, s.customer_account) == ("411", 8, "411000")
    assert (s.timezone, s.export_encoding) == ("Europe/Paris", "cp1252")


def test_file_overrides_only_what_it_names(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"journal_code": "VE", "vat_accounts": {"20.0": "445710"},
                                "axis_names": ["Activité", "Site", "Offre"]}), encoding="utf-8")
    s = load_settings(path)
    assert s.journal_code == "VE" and s.vat_accounts == {"20": "445710"}
    assert s.axis_names == ("Activité", "Site", "Offre") and s.timezone == "Europe/Paris"


def test_toml_file(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('discount_account = "709000"\nexport_encoding = "utf-8"\n', encoding="utf-8")
    assert load_settings(path).discount_account == "709000"


@pytest.mark.parametrize("values, message", [
    ({"jornal_code": "VT"}, "paramètre inconnu"),
    ({"axis_names": "A;B"}, "trois"),
    ({"timezone": "Mars/Olympus"}, "fuseau horaire"),
    ({"export_encoding": "klingon"}, "encodage"),
    ({"customer_code_length": "abc"}, "longueur"),
    ({"siren": "12345"}, "SIREN"),
    ({"vat_accounts": "20:445711"}, "clé=valeur"),
])
def test_bad_settings_are_refused_with_a_reason(values, message):
    with pytest.raises(SettingsError, match=message):
        from_mapping(values)


def test_unreadable_file_is_refused(tmp_path):
    path = tmp_path / "s.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SettingsError, match="not valid JSON"):
        load_settings(path)


def test_sheet_rows_round_trip():
    s = from_mapping({"discount_account": "709000", "fec_separator": "|",
                      "vat_accounts": {"20": "445711", "8.5": "445719"}})
    rows = to_rows(s)
    assert all(desc for _, _, desc in rows)
    assert from_mapping({k: v for k, v, _ in rows}) == s
