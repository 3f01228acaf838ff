"""Point 3 of issue 7, bad input: a catalogue of cases, each with the answer written down
before the product is run, in four categories:

- requests (stress/bad_input/requests.py): malformed, mistyped and huge bodies to the Flask
  routes with a valid token, bad parameters, wrong content types, malformed webhook payloads;
- stripe (stripe_objects.py): damaged Stripe documents put into the Stripe sandbox among a
  good month, then a generation over real HTTP;
- hubspot (hubspot_records.py): HubSpot records with empty, huge, emoji or formula-like names,
  bad e-mails, prices and accounts, through the sync over HTTP, then the generation that
  carries the names into the sheet;
- sheet (sheet_edits.py): the accountant's own edits of the generated sheet, then the
  sidebar's dedupe / validate / export through the Flask routes.

Each case is held to its expected answer and to the invariants of stress/bad_input/checks.py:
nothing lost, nothing wrong written (sheet and ledger store agree), and no cell of any tab of
any spreadsheet holding a formula. A case marked as a known gap is reported as a failure.

    result = campaign(full=False)     # CI size; full=True (`make stress`) runs every case on
                                      # the whole demo month and repeats the catalogue
"""

from __future__ import annotations

import importlib
import logging
import time
import traceback
from collections import Counter

from stress.bad_input.cases import Case, Expect, Verdict
from stress.report import Result

CATEGORIES = {   # category -> module holding CASES and Harness
    "requests": "stress.bad_input.requests",
    "stripe": "stress.bad_input.stripe_objects",
    "hubspot": "stress.bad_input.hubspot_records",
    "sheet": "stress.bad_input.sheet_edits",
}

# Bugs the catalogue found, fixed in the product (each case that exposed one names it).
FINDINGS = {
    "F1": "a body that is not a JSON object (text, array, null, bad bytes, wrong content type) "
          "was answered 403 « n'a pas accès » (or, with the sheet in the query string, ran the "
          "action): now 400/415 saying why (backend/web/caller.py)",
    "F2": "a JSON body nested 5,000 deep (10 KB, under the size limit) crashed the route with "
          "a 500 RecursionError (backend/web/caller.py)",
    "F3": "a signed webhook whose payload is JSON but not an event (array, null, no id or type, "
          "deep nesting) crashed with a 500 (backend/services/webhooks.py)",
    "F4": "a chunked body (no Content-Length) over 64 KiB was cut at the limit by Werkzeug and "
          "parsed, not refused: now 413 (backend/web/caller.py)",
    "F5": "an invoice whose Stripe customer was deleted got an English reason (« name '' has no "
          "letter or digit... ») and a code was sought for the deleted customer: now « a été "
          "supprimé dans Stripe » (backend/core/customers.py, messages.py)",
    "F6": "an accounting code that is not an account (« =1+1 », « ventes ») on a product or a "
          "customer was written into the journal, to fail the FEC at month end: now an anomaly "
          "naming the product or customer (backend/core/codes.py, revenue.py, customers.py, "
          "messages.py)",
    "F7": "absurd dates (finalized at 0, at 10^11) were journaled in 1970 and in 5138; an "
          "unreadable one gave « ValueError: invalid literal... »: now « date invraisemblable » "
          "or « date illisible » (backend/core/dates.py, documents.py)",
    "F8": "a credit note on an invoice Stripe does not have (404) failed the whole generation: "
          "now that credit note is an anomaly and the month is journaled "
          "(backend/services/generate.py)",
    "F9": "a HubSpot name with no letter or digit gave an English reason in the sync's report "
          "and the Anomalies tab: now French (backend/core/codes.py, backend/services/sync.py)",
    "F10": "a contact with an e-mail Stripe refuses (« pas-un-email ») was sent to Stripe (the "
           "real API answers 400 and the sync stops): now left alone, reported "
           "(backend/sync/records.py, backend/services/sync.py)",
    "F11": "a negative HubSpot price made Stripe answer 400 and failed the whole sync: now that "
           "product is left alone, reported (backend/sync/records.py)",
    "F12": "a HubSpot product with no name failed the whole sync (Stripe requires one): now "
           "left alone, reported (backend/sync/records.py)",
    "F13": "validate's message named no row, pièce or reason (only « lignes surlignées »), and "
           "a line it could not read was named « ? »: now the first five problems with their "
           "row and pièce (backend/services/sheet_journal.py, backend/journal_sheet.py)",
    "F14": "a deleted or renamed header made dedupe, validate and export answer « erreur "
           "inattendue »: now refused naming the missing columns (backend/jobs/failures.py)",
    "F15": "with the Écritures tab renamed or deleted, validate said « Journal équilibré : 0 "
           "pièce(s) » and dedupe « Aucun doublon »: now refused, naming the missing tab "
           "(backend/services/sheet_journal.py, backend/journal_sheet.py)",
    "F16": "a code_comptable typed in HubSpot that another customer already had (on creation "
           "or as a change) was taken: two customers on one account, their receivables merged "
           "in the books: now reported naming both customers and left alone; generation makes "
           "an anomaly of a shared code; the store refuses it (backend/core/codes.py, "
           "backend/services/sync.py, backend/core/customers.py, migration 0005)",
    "F17": "customer names, invoice numbers and product sections starting with = + - @ were "
           "the first character of FEC and Inexweb fields (and axis names formula cells in "
           "the .xlsx): now quoted as OWASP describes (backend/formats/cells.py)",
    "F18": "Paramètres values escaped validation (any codec alias: « utf\\n8 » made the FEC "
           "download answer 500; an Arabic-Indic SIREN; rates « 1e999999999 », « sNaN ») and "
           "the tab overrode the SIREN and the HubSpot rules: now one fixed form per setting, "
           "refused naming the cell; identity settings from the configuration only "
           "(backend/core/settings.py, backend/sheet_settings.py, backend/web/jobs.py)",
    "F19": "webhook routes told which company ids exist (404 against 401) and an unsigned "
           "Stripe body that is not UTF-8 got 400 before its signature was looked at: now one "
           "refusal for every reason, the signature checked on the raw bytes first "
           "(backend/web/webhooks.py, backend/services/webhooks.py)",
}

__all__ = ["CATEGORIES", "FINDINGS", "Case", "Expect", "Verdict", "all_cases", "campaign",
           "run_cases"]


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for module in CATEGORIES.values():
        cases += importlib.import_module(module).CASES
    return cases


def run_cases(cases: list[Case], full: bool = False, progress=print) -> list[Verdict]:
    """Each case in its category's harness; a case that raises is a failed case. The
    product's warnings (each refused request and action is logged, with its traceback) are
    muted meanwhile: hundreds of expected refusals; errors still show."""
    muted = logging.getLogger("backend")
    level = muted.level
    muted.setLevel(logging.ERROR)
    try:
        return _run_cases(cases, full, progress)
    finally:
        muted.setLevel(level)


def _run_cases(cases: list[Case], full: bool, progress) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for category, module_name in CATEGORIES.items():
        wanted = [c for c in cases if c.category == category]
        if not wanted:
            continue
        started = time.perf_counter()
        module = importlib.import_module(module_name)
        with module.Harness(full) as harness:
            if hasattr(harness, "prepare"):    # a harness that runs its cases together
                harness.prepare(wanted)
            for case in wanted:
                try:
                    verdict = harness.run(case)
                except Exception:
                    verdict = Verdict(case, [f"the case crashed the campaign:\n"
                                             f"{traceback.format_exc(limit=6)}"])
                if case.known_gap:
                    verdict.failures.append(f"known gap: {case.known_gap}")
                verdicts.append(verdict)
        passed = sum(v.passed for v in verdicts if v.case.category == category)
        progress(f"bad input: {category}: {passed}/{len(wanted)} cases passed "
                 f"({time.perf_counter() - started:.1f} s)")
    return verdicts


def campaign(full: bool = False, seed: int = 0, progress=print) -> Result:
    """Every case of the catalogue (CI size: the small base month; full: the whole demo
    month under each case, and the catalogue run twice to show its answers do not drift).
    `seed` is unused: the catalogue is fixed, not random."""
    result = Result("bad_input")
    started = time.perf_counter()
    cases = all_cases()
    rounds = 2 if full else 1
    verdicts: list[Verdict] = []
    for _ in range(rounds):
        verdicts += run_cases(cases, full=full, progress=progress)
    by_category = Counter(c.category for c in cases)
    passed = sum(v.passed for v in verdicts)
    formulas = sum(v.formula_cells for v in verdicts)
    lost = sum(v.lost for v in verdicts)
    wrong = sum(v.wrong for v in verdicts)
    gaps = [c for c in cases if c.known_gap]
    fixed = sorted({c.finding for c in cases if c.finding})
    result.figures["cases in the catalogue"] = len(cases)
    for category in CATEGORIES:
        result.figures[f"cases: {category}"] = by_category.get(category, 0)
    if rounds > 1:
        result.figures["rounds (whole catalogue each)"] = rounds
    result.figures["cases run"] = len(verdicts)
    result.figures["cases passed"] = passed
    result.figures["findings fixed (bugs found by a case, fixed in the product)"] = len(fixed)
    result.figures["known gaps (reported as failures)"] = len(gaps)
    result.figures["formula cells found (any tab, any spreadsheet, after every case)"] = formulas
    result.figures["lost documents (other documents not in the sheet exactly once)"] = lost
    result.figures["wrong rows or sheet/store disagreements"] = wrong
    result.target("catalogue of at least 50 cases, each with its expected answer",
                  len(cases) >= 50 and all(c.expect != Expect() for c in cases), len(cases))
    result.target("every case gets its expected answer", passed == len(verdicts),
                  f"{passed}/{len(verdicts)}")
    result.target("no formula cell from outside: 0", formulas == 0, formulas)
    result.target("nothing lost: 0 documents", lost == 0, lost)
    result.target("nothing wrong written: 0 rows", wrong == 0, wrong)
    for verdict in verdicts:
        for failure in verdict.failures:
            result.fail(f"{verdict.case.name} ({verdict.case.given}): {failure}")
    result.seconds = time.perf_counter() - started
    return result
