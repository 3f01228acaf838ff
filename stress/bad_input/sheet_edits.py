"""The accountant's own edits of the sheet, then the sidebar's actions on it: dedupe, validate,
export (and generate), each started through the Flask route as the sidebar starts it.

The demo month is generated once into the World's demo spreadsheet; each case starts from
that sheet, makes its edits over the Sheets API as the accountant would (values typed as
text, rows inserted or deleted, cells merged, a header deleted, columns reordered, the tab
renamed or deleted, a value typed in the Paramètres tab), runs one action, and checks the
job's outcome and message against the answer written in the case (which row, which pièce,
what is wrong, in French). Whatever the
edit, the action must not lose a line (validate and export change no value; dedupe removes
copies only) nor write one, no cell of any tab may hold a formula, and every file the action
made must download (a setting never breaks a header into a 500).

In `says`, {ref@N} and {piece@N} stand for the Ref. Pièce and Pièce of row N of the generated
sheet (row 1 is the header), so that the cases do not hard-code the demo's ids.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import quote

from backend.core.settings import to_rows
from backend.journal_sheet import is_entries_tab
from stress.bad_input.cases import Case, Expect, Verdict
from stress.bad_input.checks import demo_settings, formula_cells, read_tabs
from stress.world import World

MONTH = "2026-10"
NOVEMBER_1 = 46327          # 1 November 2026 as a spreadsheet serial number
ENTRIES = "Écritures"
PARAMETERS = "Paramètres"


# The Paramètres tab as the first generation writes it: one row per setting the tab may
# change, in the order of the Settings' fields (row 1 is the header).
PARAM = {key: f"Paramètres!B{row}" for row, (key, _value, _what)
         in enumerate(to_rows(demo_settings()), start=2)}
SETTINGS_REFUSED = "Paramètres invalides : "
FEC_NAME = f"FEC-extrait-{demo_settings().siren}-2026-10.txt"   # the configuration's SIREN, always


def E(name: str, given: str, edits: list, action: str, expect: Expect, finding: str = "",
      gap: str = "") -> Case:
    """`edits`: operations on the sheet (see Harness.edit); `action`: the sidebar action run."""
    return Case(f"sheet.{name}", "sheet", given, expect, {"edits": edits, "action": action},
                gap, finding)


def ok(*says: str) -> Expect:
    return Expect(outcome="ok", says=says)


def warning(*says: str) -> Expect:
    return Expect(outcome="warning", says=says)


def refused(*says: str) -> Expect:
    return Expect(outcome="refused", says=says)


BALANCED = "Journal équilibré : 498 pièce(s), 1722 ligne(s) vérifiées"
EXPORTED = "Mois exporté (octobre 2026) : 1719 ligne(s)"    # 3 lines are dated in November
NO_TAB = "pas d'onglet « Écritures »"
PIECE_AT_2 = [["{date@2}", "VT", "{piece@2}", "{ref@2}", "{account@2}", "{label@2}", "{debit@2}"],
              ["{date@3}", "VT", "{piece@3}", "{ref@3}", "{account@3}", "{label@3}", "", "{credit@3}",
               "{s1@3}", "{s2@3}", "{s3@3}"],
              ["{date@4}", "VT", "{piece@4}", "{ref@4}", "{account@4}", "{label@4}", "", "{credit@4}"]]
MANUAL = [[NOVEMBER_1 - 10, "VT", "MANUEL-1", "", "411DIVERS", "Ajustement à la main", 50]]

CASES: list[Case] = [
    # --- text where an amount or a date goes ---------------------------------------------------
    E("text_in_amount", "« douze » typed in a Débit cell", [("set", "G2", "douze")], "validate",
      warning("ligne 2 ({ref@2}) : Débit illisible : « douze »"), "F13"),
    E("text_in_amount_export", "the same, then export", [("set", "G2", "douze")], "export",
      refused("ligne 2 ({ref@2}) : Débit illisible : « douze »"), "F13"),
    E("amount_three_decimals", "384,001 in a Débit cell", [("set", "G2", "384,001")], "validate",
      warning("ligne 2 ({ref@2}) : Débit illisible : « 384,001 »"), "F13"),
    E("amount_with_euro_sign", "« 384,00 € » typed as text where 384 was", [("set", "G2", "384,00 €")],
      "validate", ok(BALANCED)),
    E("negative_amount", "-384 in a Débit cell", [("set", "G2", -384)], "validate",
      warning("ligne 2 ({ref@2}) : Débit négatif : -384"), "F13"),
    E("both_sides", "a Crédit added on a line that has a Débit", [("set", "H2", 384)], "validate",
      warning("ligne 2 ({ref@2}) : débit et crédit remplis sur la même ligne"), "F13"),
    E("date_text", "« le 5 octobre » in a Date cell", [("set", "A5", "le 5 octobre")], "validate",
      warning("ligne 5 ({ref@5}) : date illisible : « le 5 octobre »"), "F13"),
    E("date_text_export", "the same, then export", [("set", "A5", "le 5 octobre")], "export",
      refused("ligne 5 ({ref@5}) : date illisible : « le 5 octobre »"), "F13"),
    E("date_text_french_format", "« 01/10/2026 » typed as text in a Date cell",
      [("set", "A5", "01/10/2026")], "validate", ok(BALANCED)),
    E("empty_account", "an account number erased", [("set", "E3", "")], "validate",
      warning("ligne 3 ({ref@3}) : numéro de compte vide"), "F13"),
    E("formula_like_label", "a label typed as text « =SUM(G2:G4) »", [("set", "F2", "=SUM(G2:G4)")],
      "export", ok(EXPORTED)),
    E("emoji_label_export", "a label with an emoji, then export (Windows-1252 file)",
      [("set", "F2", "Facture 🚀 fusée")], "export", ok(EXPORTED)),
    # --- rows -------------------------------------------------------------------------------
    E("blank_rows_middle", "three blank rows inserted in the middle", [("insert_rows", 100, 3)],
      "validate", ok(BALANCED)),
    E("blank_rows_dedupe", "the same, then dedupe", [("insert_rows", 100, 3)], "dedupe",
      ok("Aucun doublon")),
    E("blank_rows_export", "the same, then export", [("insert_rows", 100, 3)], "export", ok(EXPORTED)),
    E("spaces_row", "a row of spaces in the middle", [("insert_rows", 50, 1),
                                                      ("set", "A50:K50", ["  "] * 11)],
      "validate", ok(BALANCED)),
    E("merged_date_cells", "the Date cells of rows 3 and 4 merged (Sheets keeps the first value)",
      [("merge", "A3:A4")], "validate", warning("ligne 4 ({ref@4}) : date illisible : «  »"), "F13"),
    E("merged_rows", "rows 3 and 4 merged whole", [("merge", "A3:K4")], "validate",
      warning("ligne 2 ({ref@2}) : pièce déséquilibrée : débit 384,00, crédit 0,00",
              "ligne 3 (?) : ni débit ni crédit"), "F13"),
    E("merged_rows_export", "the same, then export", [("merge", "A3:K4")], "export",
      refused("ligne 3 (?) : ni débit ni crédit", "ligne 3 (?) : numéro de compte vide")),
    E("debit_only_row", "a hand-made line with only a debit (pièce MANUEL-1)",
      [("append", MANUAL)], "validate",
      warning("ligne 1724 (MANUEL-1) : pièce déséquilibrée : débit 50,00, crédit 0,00"), "F13"),
    E("debit_only_row_export", "the same, then export", [("append", MANUAL)], "export",
      refused("ligne 1724 (MANUEL-1) : pièce déséquilibrée : débit 50,00, crédit 0,00")),
    E("piece_split_across_month", "one line of a pièce moved to 1 November",
      [("set", "A4", NOVEMBER_1)], "validate", warning("ligne 4 ({ref@2}) : pièce sur plusieurs dates"), "F13"),
    E("piece_split_export", "the same, then export October", [("set", "A4", NOVEMBER_1)], "export",
      refused("ligne 2 ({ref@2}) : pièce déséquilibrée : débit 384,00, crédit 320,00")),
    E("duplicated_piece", "a pièce pasted again at the bottom", [("append", PIECE_AT_2)], "dedupe",
      ok("1 pièce(s) en double, 3 ligne(s) supprimée(s)", "{ref@2}")),
    E("duplicated_piece_validate", "the same, validate before dedupe (a copy balances)",
      [("append", PIECE_AT_2)], "validate", ok("Journal équilibré : 498 pièce(s), 1725 ligne(s)")),
    E("half_copied_piece", "one line of a pièce pasted again", [("append", PIECE_AT_2[:1])], "dedupe",
      ok("Aucun doublon")),
    E("half_copied_piece_validate", "the same, then validate", [("append", PIECE_AT_2[:1])],
      "validate", warning("ligne 1724 ({ref@2}) : pièce déséquilibrée : débit 768,00, crédit 384,00"), "F13"),
    E("rows_deleted_in_a_piece", "a pièce's VAT line deleted", [("delete_rows", 4, 5)], "validate",
      warning("ligne 2 ({ref@2}) : pièce déséquilibrée : débit 384,00, crédit 320,00"), "F13"),
    # --- the layout: header, columns, tabs --------------------------------------------------------
    E("deleted_header", "the header row deleted", [("delete_rows", 1, 2)], "validate",
      refused("Écritures", "colonne(s) introuvable(s) dans l'en-tête", "« Date »"), "F14"),
    E("deleted_header_dedupe", "the same, then dedupe", [("delete_rows", 1, 2)], "dedupe",
      refused("colonne(s) introuvable(s) dans l'en-tête"), "F14"),
    E("deleted_header_export", "the same, then export", [("delete_rows", 1, 2)], "export",
      refused("colonne(s) introuvable(s) dans l'en-tête"), "F14"),
    E("renamed_header", "the Débit header renamed « Debit »", [("set", "G1", "Debit")], "validate",
      refused("colonne(s) introuvable(s)", "« Débit »"), "F14"),
    E("reordered_columns", "Libellé moved to the first column", [("reorder", [5, 0, 1, 2, 3, 4, 6, 7, 8, 9, 10])],
      "validate", ok(BALANCED)),
    E("reordered_columns_export", "the same, then export", [("reorder", [5, 0, 1, 2, 3, 4, 6, 7, 8, 9, 10])],
      "export", ok(EXPORTED)),
    E("extra_column", "a column « Commentaire » added by the accountant",
      [("add_column",), ("set", "L1:L2", [["Commentaire"], ["vu avec le client"]])], "validate",
      ok(BALANCED)),
    E("renamed_tab", "the Écritures tab renamed « Journal »", [("rename_tab", ENTRIES, "Journal")],
      "validate", refused(NO_TAB), "F15"),
    E("renamed_tab_dedupe", "the same, then dedupe", [("rename_tab", ENTRIES, "Journal")], "dedupe",
      refused(NO_TAB), "F15"),
    E("renamed_tab_export", "the same, then export", [("rename_tab", ENTRIES, "Journal")], "export",
      refused("Aucune écriture datée d'octobre 2026", NO_TAB), "F15"),
    E("renamed_tab_month", "the Écritures tab renamed « Écritures octobre » (still an entries tab)",
      [("rename_tab", ENTRIES, "Écritures octobre")], "validate", ok(BALANCED)),
    E("deleted_tab", "the Écritures tab deleted", [("delete_tab", ENTRIES)], "validate",
      refused(NO_TAB), "F15"),
    E("deleted_tab_generate", "the same, then generate: what was written is never written again",
      [("delete_tab", ENTRIES)], "generate", ok("Aucune nouvelle écriture")),
    # --- the Paramètres tab (issue 13, finding 4): values of a fixed form, the cell named; ----
    # --- what the company is stays its configuration's ----------------------------------------
    E("param_fec_encoding_newline", "« utf\\n8 » as the FEC's encoding (the download's header "
      "broke: 500)", [("param", "fec_encoding", "utf\n8")], "export",
      refused(f"{SETTINGS_REFUSED}{PARAM['fec_encoding']} : encodage « utf\\n8 » non accepté"), finding="F18"),
    E("param_fec_encoding_utf16", "« utf-16 » as the FEC's encoding",
      [("param", "fec_encoding", "utf-16")], "export",
      refused(f"{SETTINGS_REFUSED}{PARAM['fec_encoding']} : encodage « utf-16 » non accepté")),
    E("param_fec_encoding_idna", "« idna » as the FEC's encoding (« erreur inattendue »)",
      [("param", "fec_encoding", "idna")], "export",
      refused(f"{SETTINGS_REFUSED}{PARAM['fec_encoding']} : encodage « idna » non accepté"), finding="F18"),
    E("param_export_encoding_idna", "« idna » as the Inexweb file's encoding",
      [("param", "export_encoding", "idna")], "export",
      refused(f"{SETTINGS_REFUSED}{PARAM['export_encoding']} : encodage « idna » non accepté"), finding="F18"),
    E("param_export_encoding_alias", "« Windows-1252 » typed for the Inexweb file: taken",
      [("param", "export_encoding", "Windows-1252")], "export", ok(EXPORTED)),
    E("param_siren_arabic_digits", "a SIREN in Arabic-Indic digits typed in the tab (the "
      "download failed with a raw 500)", [("param", "siren", "١٢٣٤٥٦٧٨٩")], "export",
      ok(EXPORTED, FEC_NAME), finding="F18"),
    E("param_siren_other_company", "another company's SIREN typed in the tab (the FEC was "
      "named after it)", [("param", "siren", "552100554")], "export", ok(EXPORTED, FEC_NAME), finding="F18"),
    E("param_company_name", "the company's name changed in the tab",
      [("param", "company_name", "Autre Société")], "export", ok(EXPORTED, FEC_NAME)),
    E("param_hubspot_rules", "the HubSpot rules that create Stripe customers changed in the tab",
      [("param", "hubspot_deal_stages", "appointmentscheduled;closedwon"),
       ("param", "hubspot_quote_statuses", "DRAFT")], "validate", ok(BALANCED)),
    E("param_rate_huge_exponent", "a VAT rate « 1e999999999 » (« erreur inattendue » on every "
      "action)", [("param", "vat_accounts", "20=445711;1e999999999=445799")], "generate",
      refused(f"{SETTINGS_REFUSED}{PARAM['vat_accounts']} : taux de TVA « 1e999999999 »"), finding="F18"),
    E("param_rate_snan", "a VAT rate « sNaN »", [("param", "vat_accounts", "20=445711;sNaN=445799")],
      "validate", refused(f"{SETTINGS_REFUSED}{PARAM['vat_accounts']} : taux de TVA « sNaN »"), finding="F18"),
    E("param_rate_infinity", "a VAT rate « inf »", [("param", "vat_accounts", "inf=445711")],
      "export", refused(f"{SETTINGS_REFUSED}{PARAM['vat_accounts']} : taux de TVA « inf »"), finding="F18"),
    E("param_rate_underscore", "a VAT rate « 1_0 » (Python reads it as 10)",
      [("param", "vat_accounts", "20=445711;1_0=445712")], "validate",
      refused(f"{SETTINGS_REFUSED}{PARAM['vat_accounts']} : taux de TVA « 1_0 »"), finding="F18"),
    E("param_rate_comma", "« 5,5=445713 »: a French decimal comma is a plain rate",
      [("param", "vat_accounts", "20=445711;10=445712;5,5=445713;2,1=445714")], "validate",
      ok(BALANCED)),
    E("param_timezone", "an unknown time zone", [("param", "timezone", "Mars/Olympus")],
      "validate", refused(f"{SETTINGS_REFUSED}{PARAM['timezone']} : fuseau horaire inconnu"), finding="F18"),
    E("param_journal_code_newline", "a line break inside the journal code",
      [("param", "journal_code", "V\nT")], "export",
      refused(f"{SETTINGS_REFUSED}{PARAM['journal_code']} : code du journal invalide"), finding="F18"),
    E("param_unknown_key", "a row « jornal_code » added to the tab",
      [("param", "jornal_code", "VE")], "validate",
      refused(f"{SETTINGS_REFUSED}Paramètres!B{len(PARAM) + 2} : paramètre inconnu "
              "« jornal_code »"), finding="F18"),
]


class Harness:
    def __init__(self, full: bool) -> None:
        self.full = full

    def __enter__(self) -> "Harness":
        self.world = World(companies=1, dispatch="inline").__enter__()
        world = self.world
        self.sid = world.sheets[0]
        self.token = world.token(world.users[0])
        job = self.start("generate")
        if job.get("outcome") != "ok":
            raise RuntimeError(f"the first generation failed: {job}")
        self.api = world.sandbox.sheet_adapter(self.sid)
        with world.sandbox.sheets.lock:
            self.snapshot = world.sandbox.sheets.spreadsheets[self.sid].clone()
        self.generated = read_tabs(world.sandbox.sheets, self.sid)
        return self

    def __exit__(self, *exc) -> None:
        self.world.__exit__(*exc)

    def start(self, action: str) -> dict:
        body = {"spreadsheet_id": self.sid}
        if action == "export":
            body["params"] = {"month": MONTH}
        answer = self.world.client.post(f"/actions/{action}", json=body,
                                        headers=self.world.auth(self.token))
        data = answer.get_json(silent=True) or {}
        return data.get("job") or {"outcome": f"HTTP {answer.status_code}", "message": str(data)}

    def restore(self) -> None:
        with self.world.sandbox.sheets.lock:
            self.world.sandbox.sheets.spreadsheets[self.sid] = self.snapshot.clone()

    # --- the accountant's edits, over the Sheets API ---------------------------------------------

    def _sheet_id(self, title: str) -> int:
        meta = self.api.sheets.get(spreadsheetId=self.sid, fields="sheets.properties").execute(
            http=self.api.http)
        return next(s["properties"]["sheetId"] for s in meta["sheets"]
                    if s["properties"]["title"] == title)

    def _batch(self, requests: list[dict]) -> None:
        self.api.sheets.batchUpdate(spreadsheetId=self.sid, body={"requests": requests}).execute(
            http=self.api.http)

    def _write(self, a1: str, rows: list[list]) -> None:
        self.api.values.update(spreadsheetId=self.sid, range=f"'{ENTRIES}'!{a1}",
                               valueInputOption="RAW", body={"values": rows}).execute(
            http=self.api.http)

    def edit(self, op: tuple) -> None:
        kind, *args = op
        rows = self.generated[ENTRIES]
        if kind == "set":
            a1, value = args
            block = value if isinstance(value, list) and value and isinstance(value[0], list) \
                else [value] if isinstance(value, list) else [[value]]
            self._write(a1, block)
        elif kind == "append":
            block = [[self._fill(v, rows) for v in row] for row in args[0]]
            self.api.values.append(spreadsheetId=self.sid, range=f"'{ENTRIES}'!A1",
                                   valueInputOption="RAW", insertDataOption="INSERT_ROWS",
                                   body={"values": block}).execute(
            http=self.api.http)
        elif kind in ("insert_rows", "delete_rows"):
            start, other = args
            end = start + other if kind == "insert_rows" else other
            request = "insertDimension" if kind == "insert_rows" else "deleteDimension"
            rng = {"sheetId": self._sheet_id(ENTRIES), "dimension": "ROWS",
                   "startIndex": start - 1, "endIndex": end - 1}
            self._batch([{request: {"range": rng} if kind == "delete_rows"
                          else {"range": rng, "inheritFromBefore": True}}])
        elif kind == "merge":
            # Sheets keeps the top-left value of a merged range and empties the other cells.
            (a1,) = args
            first, last = a1.split(":")
            top, left = _cell(first)
            bottom, right = _cell(last)
            self._batch([{"mergeCells": {"mergeType": "MERGE_ALL", "range": {
                "sheetId": self._sheet_id(ENTRIES), "startRowIndex": top - 1, "endRowIndex": bottom,
                "startColumnIndex": left, "endColumnIndex": right + 1}}}])
            kept = rows[top - 1][left] if left < len(rows[top - 1]) else ""
            block = [["" for _ in range(left, right + 1)] for _ in range(top, bottom + 1)]
            block[0][0] = kept
            self._write(a1, block)
        elif kind == "reorder":
            (order,) = args
            width = max(len(r) for r in rows)
            padded = [r + [""] * (width - len(r)) for r in rows]
            self.api.values.clear(spreadsheetId=self.sid, range=f"'{ENTRIES}'", body={}).execute(
            http=self.api.http)
            self._write("A1", [[r[i] for i in order] for r in padded])
        elif kind == "add_column":
            self._batch([{"appendDimension": {"sheetId": self._sheet_id(ENTRIES),
                                              "dimension": "COLUMNS", "length": 1}}])
        elif kind == "rename_tab":
            old, new = args
            self._batch([{"updateSheetProperties": {
                "properties": {"sheetId": self._sheet_id(old), "title": new}, "fields": "title"}}])
        elif kind == "delete_tab":
            self._batch([{"deleteSheet": {"sheetId": self._sheet_id(args[0])}}])
        elif kind == "param":
            # The accountant types a value in the Paramètres tab (a new row for a key it lacks).
            key, value = args
            rows = self.api.read([PARAMETERS])[PARAMETERS]
            row = next((n for n, r in enumerate(rows, start=1) if r and r[0] == key), None)
            if row is None:
                self.api.values.append(spreadsheetId=self.sid, range=f"'{PARAMETERS}'!A1",
                                       valueInputOption="RAW", insertDataOption="INSERT_ROWS",
                                       body={"values": [[key, value, ""]]}).execute(http=self.api.http)
            else:
                self.api.values.update(spreadsheetId=self.sid, range=f"'{PARAMETERS}'!B{row}",
                                       valueInputOption="RAW", body={"values": [[value]]}).execute(
                    http=self.api.http)
        else:
            raise ValueError(f"unknown edit {kind}")

    def _fill(self, text, rows: list[list]):
        """{ref@N}, {piece@N}... of the generated sheet (N: the sheet's row number)."""
        if not isinstance(text, str) or "{" not in text:
            return text
        names = {"date": 0, "piece": 2, "ref": 3, "account": 4, "label": 5, "debit": 6,
                 "credit": 7, "s1": 8, "s2": 9, "s3": 10}
        match = re.fullmatch(r"\{(\w+)@(\d+)\}", text)
        if match:       # a whole cell: keep the value's type (a number stays a number)
            row = rows[int(match.group(2)) - 1]
            col = names[match.group(1)]
            return row[col] if col < len(row) else ""

        def one(m):
            row = rows[int(m.group(2)) - 1]
            col = names[m.group(1)]
            return str(row[col]) if col < len(row) else ""
        return re.sub(r"\{(\w+)@(\d+)\}", one, text)

    # --- a case ----------------------------------------------------------------------------------

    def _entry_tabs(self) -> dict[str, list[list]]:
        sheets = self.world.sandbox.sheets
        return {t: sheets.values(self.sid, t) for t in sheets.tabs(self.sid)
                if is_entries_tab(t) or t == "Journal"}

    def run(self, case: Case) -> Verdict:
        verdict = Verdict(case)
        expect: Expect = case.expect
        self.restore()
        for op in case.make["edits"]:
            self.edit(op)
        before = _entry_rows(self._entry_tabs())
        job = self.start(case.make["action"])
        for op in case.make.get("after", ()):   # only the detector tests: a defect simulated
            self.edit(op)
        after = _entry_rows(self._entry_tabs())
        message = job.get("message") or ""
        verdict.answer = f"{job.get('outcome')}: {message[:200]}"
        verdict.check(job.get("outcome") == expect.outcome,
                      f"outcome {job.get('outcome')!r}, expected {expect.outcome!r}: {message[:300]}")
        for text in expect.says:
            wanted = self._fill(text, self.generated[ENTRIES])
            verdict.check(str(wanted) in message, f"{str(wanted)[:80]!r} not said: {message[:300]}")
        verdict.check("erreur inattendue" not in message, f"an unexpected error: {message[:200]}")
        # Every file the action made downloads as the sidebar asks for it: never a 500 (a
        # header that a bad setting broke), its name in a header WSGI can send.
        for made in (job.get("files") or []):
            answer = self.world.client.get(f"/jobs/{job['id']}/files/{quote(made['name'])}",
                                           query_string={"spreadsheet_id": self.sid},
                                           headers=self.world.auth(self.token))
            verdict.check(answer.status_code == 200,
                          f"download of {made['name']!r}: HTTP {answer.status_code}")
        # Nothing lost, nothing written: validate and export change no value; dedupe removes
        # copies only (every distinct line is still there); generate writes nothing new here.
        if case.make["action"] == "dedupe":
            lost = set(before) - set(after)
            added = Counter(after) - Counter(before)
        else:
            lost = set((Counter(before) - Counter(after)).elements())
            added = Counter(after) - Counter(before)
        verdict.lost = len(lost)
        verdict.wrong = sum(added.values())
        verdict.failures += [f"lost: line {line[:6]}" for line in list(lost)[:5]]
        verdict.failures += [f"wrong: line written {line[:6]}" for line in list(added)[:5]]
        formulas = formula_cells(self.world.sandbox.sheets)
        verdict.formula_cells = len(formulas)
        verdict.failures += [f"formula: {x}" for x in formulas[:5]]
        return verdict


def _cell(a1: str) -> tuple[int, int]:
    """"C4" -> (4, 2): the sheet's row number and the 0-based column."""
    letters, digits = re.fullmatch(r"([A-Z]+)(\d+)", a1).groups()
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(digits), col - 1


def _entry_rows(tabs: dict[str, list[list]]) -> list[tuple]:
    """Every non-blank row below the header of every entries tab (and of a renamed one), as
    tuples of its cells without the trailing empty ones."""
    rows = []
    for title, values in tabs.items():
        if is_entries_tab(title) or title == "Journal":
            for row in values[1:] if values and not _headless(values) else values:
                cells = tuple(str(c).strip() for c in row)
                while cells and not cells[-1]:
                    cells = cells[:-1]
                if cells:
                    rows.append(cells)
    return rows


def _headless(values: list[list]) -> bool:
    return not values or str(values[0][0]).strip() != "Date" and "Date" not in map(str, values[0])
