"""Who may change which setting, and every value checked (issue 13, finding 4).

The Paramètres tab may change how the books are presented; what the company is (its SIREN,
its name, the HubSpot rules that decide which Stripe customers are created) comes only from
its configuration. Every value is checked against a fixed form, with a French message that
names the cell, so that a bad value is a settings error, never an "erreur inattendue".
"""

from __future__ import annotations

import time

import pytest

from backend import spreadsheet
from backend.adapters.memory import MemorySpreadsheet
from backend.core.settings import (
    CONFIG_ONLY,
    SHEET_KEYS,
    Settings,
    SettingsError,
    from_mapping,
    rate_key,
    to_rows,
)
from backend.services.generate import settings_spec
from backend.settings_file import load_settings
from backend.sheet_settings import load_sheet_settings, settings_from_rows

CONFIGURED = from_mapping({"company_name": "La Maison du Coworking", "siren": "918345620",
                           "hubspot_deal_stages": "closedwon"})


def tab(settings: Settings = CONFIGURED, **changed) -> list[list]:
    """The Paramètres tab as a run reads it: the header, then the rows `to_rows` writes, with
    the values in `changed` typed over (appended when the tab has no such row)."""
    rows = [list(spreadsheet.SETTINGS_HEADER)] + [list(r) for r in to_rows(settings)]
    for key, value in changed.items():
        row = next((r for r in rows if r[0] == key), None)
        if row is None:
            rows.append([key, value, ""])
        else:
            row[1] = value
    return rows


def cell(rows: list[list], key: str) -> str:
    return f"Paramètres!B{next(i for i, r in enumerate(rows) if r[0] == key) + 1}"


# --- encodings: a fixed list, not any codec Python knows --------------------------------------

@pytest.mark.parametrize("key, value", [
    ("fec_encoding", "utf\n8"), ("fec_encoding", "utf-16"), ("fec_encoding", "idna"),
    ("export_encoding", "utf\n8"), ("export_encoding", "utf-16"), ("export_encoding", "idna"),
    ("export_encoding", "rot13"), ("fec_encoding", "cp1252"), ("export_encoding", "latin-1 "),
    ("fec_encoding", "UTF8\x00"),
])
def test_an_encoding_outside_the_list_is_refused_naming_the_cell(key, value):
    rows = tab(**{key: value})
    with pytest.raises(SettingsError) as caught:
        settings_from_rows(rows, CONFIGURED)
    message = str(caught.value)
    assert message.startswith(f"{cell(rows, key)} : ")
    assert "encodage" in message and "\n" not in message and "\x00" not in message


@pytest.mark.parametrize("key, value, kept", [
    ("export_encoding", "cp1252", "cp1252"), ("export_encoding", "Windows-1252", "cp1252"),
    ("export_encoding", "UTF-8", "utf-8"), ("export_encoding", "utf8", "utf-8"),
    ("fec_encoding", "utf-8", "utf-8"), ("fec_encoding", "ISO-8859-15", "iso-8859-15"),
    ("fec_encoding", "latin-9", "iso-8859-15"),
])
def test_the_listed_encodings_are_taken_under_one_name(key, value, kept):
    assert getattr(settings_from_rows(tab(**{key: value}), CONFIGURED), key) == kept


# --- SIREN: nine ASCII digits ----------------------------------------------------------------

@pytest.mark.parametrize("siren", ["١٢٣٤٥٦٧٨٩", "９１８３４５６２０", "9183\n45620", "91834562", "9183456200",
                                   "918 345 620", "²³⁴⁵⁶⁷⁸⁹¹"])
def test_a_siren_that_is_not_nine_ascii_digits_is_refused(siren):
    with pytest.raises(SettingsError, match="SIREN"):
        from_mapping({"siren": siren})


def test_a_siren_of_nine_digits_is_taken():
    assert from_mapping({"siren": " 918345620 "}).siren == "918345620"
    assert from_mapping({"siren": 918345620}).siren == "918345620"     # a number in a file


# --- VAT rates: plain decimals ------------------------------------------------------------

@pytest.mark.parametrize("rate", ["1e999999999", "sNaN", "NaN", "inf", "-Infinity", "1_0", "1e2",
                                  "2O", "٢٠", "20.5.1", "-20", "101", "0x14", ""])
def test_a_vat_rate_that_is_not_a_plain_decimal_is_a_settings_error(rate):
    rows = tab(vat_accounts=f"{rate}=445711;20=445712")
    started = time.perf_counter()
    with pytest.raises(SettingsError) as caught:
        settings_from_rows(rows, CONFIGURED)
    assert time.perf_counter() - started < 1
    assert str(caught.value).startswith(f"{cell(rows, 'vat_accounts')} : ")
    assert "taux" in str(caught.value)


@pytest.mark.parametrize("rate", ["sNaN", "1e999999999", "Infinity"])
def test_a_rate_from_elsewhere_is_a_settings_error_too(rate):
    from decimal import Decimal
    with pytest.raises(SettingsError):
        rate_key(Decimal(rate))


def test_plain_rates_are_taken_with_a_comma_or_a_point():
    s = settings_from_rows(tab(vat_accounts="20=445711;5,5=445713;2.10=445714;0=445710"),
                           CONFIGURED)
    assert s.vat_accounts == {"20": "445711", "5.5": "445713", "2.1": "445714", "0": "445710"}


# --- other values: one fixed form each, the cell named -----------------------------------------

@pytest.mark.parametrize("key, value, said", [
    ("timezone", "Mars/Olympus", "fuseau horaire"),
    ("timezone", "../../etc/passwd", "fuseau horaire"),
    ("timezone", "Europe", "fuseau horaire"),
    ("start_date", "20261001", "AAAA-MM-JJ"),
    ("start_date", "2026-W40-1", "AAAA-MM-JJ"),
    ("customer_code_length", "1e9", "longueur"),
    ("customer_code_length", "99999999999999999999", "longueur"),
    ("customer_account", "411\n000", "compte"),
    ("vat_accounts", "20=4457\t11", "compte"),
    ("journal_code", "V\nT", "code du journal"),
    ("journal_label", "Ventes\r\n=1+1", "libellé"),
    ("axis_names", "A;B", "trois"),
    ("axis_names", "A\nB;C;D", "axe"),
    ("currency", "euros", "devise"),
    ("tab_per_month", "peut-être", "oui ou non"),
    ("fec_separator", ";", "séparateur"),
])
def test_a_bad_value_is_refused_in_french_naming_its_cell(key, value, said):
    rows = tab(**{key: value})
    with pytest.raises(SettingsError) as caught:
        settings_from_rows(rows, CONFIGURED)
    message = str(caught.value)
    assert message.startswith(f"{cell(rows, key)} : ") and said in message
    assert "\n" not in message and "\r" not in message and "\t" not in message


def test_an_unknown_key_is_refused_naming_its_cell():
    rows = tab(jornal_code="VE")
    with pytest.raises(SettingsError, match=r"^Paramètres!B\d+ : paramètre inconnu « jornal_code »"):
        settings_from_rows(rows, CONFIGURED)


def test_the_allowed_values_still_change_the_books():
    s = settings_from_rows(tab(journal_code="VE", axis_names="Activité;Site;Offre",
                               timezone="America/Martinique", tab_per_month="oui",
                               customer_account="411100", fec_separator="|"), CONFIGURED)
    assert (s.journal_code, s.axis_names, s.timezone) == ("VE", ("Activité", "Site", "Offre"),
                                                          "America/Martinique")
    assert s.tab_per_month and s.customer_account == "411100" and s.fec_separator == "|"


# --- who may change what ----------------------------------------------------------------------

def test_the_allow_list_is_written_and_covers_every_setting():
    from dataclasses import fields
    assert SHEET_KEYS.isdisjoint(CONFIG_ONLY)
    assert SHEET_KEYS | set(CONFIG_ONLY) == {f.name for f in fields(Settings)}
    assert {"siren", "company_name", "hubspot_quote_statuses", "hubspot_deal_stages"} <= set(CONFIG_ONLY)


@pytest.mark.parametrize("key, value, said", [
    ("siren", "552100554", "le SIREN ne se change pas depuis la feuille"),
    ("siren", "١٢٣٤٥٦٧٨٩", "le SIREN ne se change pas depuis la feuille"),
    ("company_name", "Autre Société", "la raison sociale ne se change pas depuis la feuille"),
    ("hubspot_deal_stages", "appointmentscheduled;closedwon",
     "les étapes de transaction HubSpot ne se changent pas depuis la feuille"),
    ("hubspot_quote_statuses", "DRAFT", "les statuts de devis HubSpot ne se changent pas"),
])
def test_the_sheet_cannot_change_what_the_company_is(key, value, said):
    rows = tab(**{key: value})
    notes: list[str] = []
    s = settings_from_rows(rows, CONFIGURED, notes)
    assert getattr(s, key) == getattr(CONFIGURED, key)            # the configuration's value
    assert len(notes) == 1 and notes[0].startswith(f"{cell(rows, key)} : {said}")


def test_a_sheet_repeating_the_configuration_says_nothing():
    # A tab written before the allow-list holds the company's own SIREN: nothing to report.
    rows = tab(siren=CONFIGURED.siren, company_name=CONFIGURED.company_name)
    notes: list[str] = []
    assert settings_from_rows(rows, CONFIGURED, notes) == CONFIGURED and notes == []


def test_a_forbidden_key_is_reported_even_beside_a_bad_value():
    # The forbidden value is never applied, whatever else the tab holds.
    rows = tab(siren="552100554", timezone="Mars/Olympus")
    with pytest.raises(SettingsError, match="fuseau horaire"):
        settings_from_rows(rows, CONFIGURED)


def test_the_tab_shows_only_what_it_may_change():
    keys = [r[0] for r in to_rows(CONFIGURED)]
    assert set(keys) == set(SHEET_KEYS)
    assert "siren" not in keys and "hubspot_deal_stages" not in keys


def test_a_run_reads_the_tab_over_the_configuration():
    sheet = MemorySpreadsheet()
    sheet.ensure_tabs([settings_spec()])
    sheet.replace(settings_spec(), tab(journal_code="VE", siren="552100554")[1:])
    notes: list[str] = []
    s = load_sheet_settings(sheet, CONFIGURED, notes)
    assert (s.journal_code, s.siren) == ("VE", "918345620")
    assert len(notes) == 1 and "le SIREN ne se change pas" in notes[0]


# --- the company's configuration: a file, the registry's settings -------------------------------

def test_the_configuration_sets_what_the_company_is(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('siren = "918345620"\nhubspot_deal_stages = ["closedwon", "contractsent"]\n'
                    'fec_encoding = "ISO-8859-15"\n', encoding="utf-8")
    s = load_settings(path)
    assert s.siren == "918345620" and s.hubspot_deal_stages == ("closedwon", "contractsent")
    assert s.fec_encoding == "iso-8859-15"


def test_a_bad_value_in_a_file_names_its_key(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"fec_encoding": "idna"}', encoding="utf-8")
    with pytest.raises(SettingsError, match="fec_encoding : .*encodage"):
        load_settings(path)


def test_a_file_reads_back_what_the_tab_writes():
    s = from_mapping({"vat_accounts": "20=445711;8,5=445719", "export_encoding": "windows-1252"})
    assert from_mapping({k: v for k, v, _ in to_rows(s)}) == s


# --- the files' own guard: an encoding outside the list never writes a file --------------------

@pytest.mark.parametrize("encoding", ["idna", "utf-16", "utf\n8", "rot13"])
def test_a_file_is_never_written_in_an_encoding_outside_the_list(encoding):
    from backend.formats.encoding import encode
    with pytest.raises(SettingsError):
        encode("Société", encoding)


def test_the_listed_encodings_write_the_files():
    from backend.formats.encoding import encode
    assert encode("Société", "cp1252") == "Société".encode("cp1252")
    assert encode("Société", "iso-8859-15") == "Société".encode("iso-8859-15")
    assert encode("Œuvre €", "UTF-8") == "Œuvre €".encode()
