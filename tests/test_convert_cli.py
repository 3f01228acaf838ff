"""`python -m backend convert`: inputs in every form Stripe returns them, clear refusals."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backend.cli import main
from builders import customer, invoice, line, standard_catalog

ROOT = Path(__file__).resolve().parents[1]


def write(path: Path, data) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def month():
    return [invoice("in_1", "F-1", "cus_simplon", [line("il_1", "prod_bureau", 10000)]),
            invoice("in_2", "F-2", "cus_new", [line("il_2", "prod_casier", 1000)])]


def test_objects_split_across_files_in_every_form(tmp_path, capsys):
    catalog = write(tmp_path / "catalog.json", {"object": "list", "data": standard_catalog(),
                                                "has_more": False, "url": "/v1/products"})
    invoices = write(tmp_path / "invoices.json", month())
    one = write(tmp_path / "customer.json", customer("cus_new", "Nouvelle Agence"))
    out = tmp_path / "out" / "journal.txt"
    code = main(["convert", "--format", "inexweb", "--output", str(out),
                 str(catalog), str(invoices), str(one)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "documents: 2 (entries 1, skipped 0, anomalies 1)" in printed
    assert "anomaly: in_2 F-2: product prod_casier (Casier sécurisé) has no accounting code" in printed
    assert "customer codes generated: 1 (411NOUVE)" in printed
    assert out.read_bytes().count(b"\r\n") == 4


def test_fec_with_siren_and_settings(tmp_path, capsys):
    settings = write(tmp_path / "settings.json", {"journal_code": "VE"})
    data = write(tmp_path / "all.json", standard_catalog() + month())
    out = tmp_path / "732829320FEC20261031.txt"
    assert main(["convert", "--format", "fec", "--settings", str(settings), "--siren", "732829320",
                 "--output", str(out), str(data)]) == 0
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith("VE\t")


def test_a_later_copy_of_a_document_replaces_an_earlier_one(tmp_path, capsys):
    old = invoice("in_1", "F-1", "cus_simplon", [line("il_1", "prod_bureau", 10000)], status="open")
    new = invoice("in_1", "F-1", "cus_simplon", [line("il_1", "prod_bureau", 10000)], status="void",
                  voided="2026-10-06 10:00")
    first = write(tmp_path / "a.json", standard_catalog() + [old])
    second = write(tmp_path / "b.json", [new])
    assert main(["convert", "--format", "inexweb", "--output", str(tmp_path / "o.txt"),
                 str(first), str(second)]) == 0
    assert "1 x voided before it was journaled" in capsys.readouterr().out


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON (line 1, column 2"),
    ('{"object": "list", "data": 3}', "list object without a 'data' array"),
    ('[{"id": "in_1"}]', "item 0 is not a Stripe object"),
    ('"text"', "expected a Stripe object"),
    (b"\xff\xfe\x00", "not UTF-8"),
])
def test_unreadable_input_writes_nothing_and_says_why(tmp_path, capsys, content, message):
    good = write(tmp_path / "good.json", standard_catalog() + month())
    bad = tmp_path / "bad.json"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = tmp_path / "out.txt"
    assert main(["convert", "--format", "inexweb", "--output", str(out), str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and message in err and "nothing written" in err
    assert not out.exists()


def test_missing_file_and_bad_settings(tmp_path, capsys):
    out = tmp_path / "out.txt"
    assert main(["convert", "--format", "fec", "--output", str(out), str(tmp_path / "nope.json")]) == 2
    assert "nope.json: cannot be read" in capsys.readouterr().err
    good = write(tmp_path / "good.json", month())
    assert main(["convert", "--format", "fec", "--siren", "12", "--output", str(out), str(good)]) == 2
    assert "siren : SIREN (9 chiffres) invalide : « 12 »" in capsys.readouterr().err
    assert not out.exists()


def test_an_existing_file_survives_a_refused_run(tmp_path, capsys):
    out = tmp_path / "out.txt"
    out.write_bytes(b"previous")
    bad = tmp_path / "bad.json"
    bad.write_text("[", encoding="utf-8")
    assert main(["convert", "--format", "inexweb", "--output", str(out), str(bad)]) == 2
    assert out.read_bytes() == b"previous"


def test_runs_as_a_module(tmp_path):
    data = write(tmp_path / "all.json", standard_catalog() + month())
    done = subprocess.run([sys.executable, "-m", "backend", "convert", "--format", "fec", "--output",
                           str(tmp_path / "f.txt"), str(data)], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert "wrote fec file" in done.stdout
