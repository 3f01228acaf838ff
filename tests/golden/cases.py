"""The golden cases: one Stripe input per accounting rule, beside the files it must give.

`python tests/golden/cases.py` rewrites every `input.json` (and `settings.json`) from here;
`UPDATE_GOLDEN=1 pytest tests/test_golden.py` rewrites the expected files, which a person
then reads and checks before committing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from zoneinfo import ZoneInfo  # noqa: E402

from builders import (credit_line, credit_note, custom_line, customer, invoice, line,  # noqa: E402
                      standard_catalog, ts)

UTC = ZoneInfo("UTC")


def simple_invoice():
    return [invoice("in_simple", "MDC-2026-0001", "cus_simplon",
                    [line("il_s1", "prod_bureau", 45000)])]


def several_rates_merged_lines():
    return [invoice("in_rates", "MDC-2026-0002", "cus_simplon", [
        line("il_r1", "prod_bureau", 30000), line("il_r2", "prod_bureau", 15000),
        line("il_r3", "prod_cafe", 4550, ("txr_10", 10)), line("il_r4", "prod_impr", 1999),
        line("il_r5", "prod_salle", 2000, ("txr_55", 5.5))])]


def vat_included():
    return [invoice("in_ttc", "MDC-2026-0003", "cus_dupont",
                    [line("il_t1", "prod_salle", 9900, ("txr_20i", 20), inclusive=True)])]


def discount_netted():
    return [invoice("in_disc", "MDC-2026-0004", "cus_simplon",
                    [line("il_d1", "prod_bureau", 45000, discount=4500),
                     line("il_d2", "prod_salle", 6000, discount=600)])]


def discount_to_709():
    return discount_netted(), {"discount_account": "709000"}


def negative_line():
    return [invoice("in_neg", "MDC-2026-0005", "cus_simplon",
                    [line("il_n1", "prod_bureau", 45000), line("il_n2", "prod_salle", -12000)])]


def zero_total():
    return [invoice("in_zero", "MDC-2026-0006", "cus_simplon",
                    [line("il_z1", "prod_bureau", 45000, discount=45000)])]


def late_finalization():
    late = invoice("in_late", "MDC-2026-0007", "cus_simplon", [line("il_l1", "prod_bureau", 45000)],
                   created="2026-09-30 17:00", finalized="2026-10-01 08:00")
    night = invoice("in_night", "MDC-2026-0008", "cus_dupont", [line("il_l2", "prod_salle", 5000)],
                    created="2026-10-31 22:00")
    # 23:30 UTC on 31 October is already 1 November in Paris: November's journal.
    night["status_transitions"]["finalized_at"] = night["effective_at"] = ts("2026-10-31 23:30", UTC)
    return [late, night]


def customer_balance():
    return [invoice("in_bal", "MDC-2026-0009", "cus_simplon", [line("il_b1", "prod_bureau", 45000)],
                    starting_balance=-20000)]


def credit_notes():
    inv = invoice("in_cn", "MDC-2026-0010", "cus_simplon", [
        line("il_c1", "prod_bureau", 45000), line("il_c2", "prod_cafe", 4000, ("txr_10", 10))])
    items = inv["lines"]["data"]
    note = credit_note("cn_1", "MDC-2026-0010-CN-01", inv, [
        credit_line("cnli_1", items[0], 15000), credit_line("cnli_2", items[1], 4000, ("txr_10", 10)),
        custom_line("cnli_3", 2500)], created="2026-10-22 11:00")
    return [inv, note]


def void_invoice():
    kept = invoice("in_kept", "MDC-2026-0011", "cus_simplon", [line("il_v1", "prod_bureau", 45000)])
    void = invoice("in_void", "MDC-2026-0012", "cus_dupont", [line("il_v2", "prod_salle", 5000)],
                   status="void", voided="2026-10-12 09:00")
    draft = invoice("in_draft", None, "cus_dupont", [line("il_v3", "prod_salle", 5000)],
                    status="draft")
    return [kept, void, draft]


def anomalies():
    ok = invoice("in_ok", "MDC-2026-0013", "cus_simplon", [line("il_a1", "prod_bureau", 45000)])
    uncoded = invoice("in_casier", "MDC-2026-0014", "cus_simplon", [line("il_a2", "prod_casier", 1500)])
    rate = invoice("in_rate", "MDC-2026-0015", "cus_simplon",
                   [line("il_a3", "prod_bureau", 1000, ("txr_gone", 19.6))])
    usd = invoice("in_usd", "MDC-2026-0016", "cus_simplon", [line("il_a4", "prod_bureau", 1000)],
                  currency="usd")
    stranger = invoice("in_who", "MDC-2026-0017", "cus_ghost", [line("il_a5", "prod_bureau", 1000)])
    return [ok, uncoded, rate, usd, stranger]


def generated_codes():
    customers = [customer("cus_s1", "Simplon", created=1), customer("cus_s2", "Simplicité Conseil",
                                                                      created=2),
                 customer("cus_s3", "SIMPLE Studio", created=3),
                 customer("cus_p1", "Noémie Lefèvre", created=4),
                 customer("cus_x", "=HYPERLINK(\"http://x\")", created=5)]
    docs = [invoice(f"in_g{i}", f"MDC-2026-01{i:02d}", c["id"], [line(f"il_g{i}", "prod_bureau", 1000)])
            for i, c in enumerate(customers)]
    return [c for c in standard_catalog() if c["object"] != "customer"] + customers + docs


def encoding():
    person = customer("cus_luk", "Łukasz Wróbel — Œuvres ☕", "411LUKAS")
    return [person, invoice("in_enc", "MDC-2026-0018", "cus_luk", [line("il_e1", "prod_salle", 5000)])]


CASES = {name: fn for name, fn in list(globals().items())
         if callable(fn) and fn.__module__ == __name__ and not name.startswith("_")}


def case_objects(name: str) -> tuple[list[dict], dict]:
    made = CASES[name]()
    objects, settings = made if isinstance(made, tuple) else (made, {})
    if name != "generated_codes" and not any(o["object"] == "tax_rate" for o in objects):
        objects = standard_catalog() + objects
    return objects, settings


def write_inputs() -> None:
    for name in CASES:
        folder = HERE / name
        folder.mkdir(exist_ok=True)
        objects, settings = case_objects(name)
        (folder / "input.json").write_text(json.dumps(objects, indent=1, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
        if settings:
            (folder / "settings.json").write_text(json.dumps(settings, indent=1) + "\n",
                                                  encoding="utf-8")


if __name__ == "__main__":
    write_inputs()
