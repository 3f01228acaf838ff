"""Golden files: each rule's Stripe input beside the Inexweb file, the FEC and the summary
it must give, byte for byte. A person read each expected file once (see tests/golden/README.md).

UPDATE_GOLDEN=1 rewrites the expected files from the current code, to be read again.
"""

import os
from pathlib import Path

import pytest

from backend.cli import main

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "input.json").exists())
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def run_convert(case: Path, fmt: str, output: Path, capsys) -> tuple[int, str]:
    args = ["convert", "--format", fmt, "--output", str(output)]
    if (case / "settings.json").exists():
        args += ["--settings", str(case / "settings.json")]
    code = main(args + [str(case / "input.json")])
    out = capsys.readouterr().out.replace(str(output), "OUTPUT").replace(str(case), "CASE")
    return code, out


# A FEC with no entry at all fails the validator ("no line after the header"): refused.
NO_ENTRY = {"zero_total"}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("fmt", ["inexweb", "fec"])
def test_golden(case, fmt, tmp_path, capsys):
    if fmt == "fec" and case in NO_ENTRY:
        code, _ = run_convert(GOLDEN / case, fmt, tmp_path / "out.txt", capsys)
        assert code == 3 and not (tmp_path / "out.txt").exists()
        return
    folder = GOLDEN / case
    output = tmp_path / "out.txt"
    code, summary = run_convert(folder, fmt, output, capsys)
    assert code == 0, summary
    expected_file = folder / f"expected.{fmt}.txt"
    expected_summary = folder / f"expected.{fmt}.summary.txt"
    if UPDATE:
        expected_file.write_bytes(output.read_bytes())
        expected_summary.write_text(summary, encoding="utf-8")
    assert output.read_bytes() == expected_file.read_bytes()
    assert summary == expected_summary.read_text(encoding="utf-8")
