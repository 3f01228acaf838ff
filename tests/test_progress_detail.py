"""The generation's progress, as fine as the sidebar shows it (issue 14): the bar moves per
page of Stripe read and per batch of rows written, the line under it says "300 documents lus"
or "lot 2 sur 5"; and a second run's report says why it read fewer documents than the first.
Over real HTTP against the sandbox (the official clients, the Stripe adapter's pages), with a
real SQLite ledger store."""

import copy
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from google.oauth2.credentials import Credentials

from backend.adapters.google_sheets import GoogleSheetsAdapter
from backend.adapters.memory import MemorySpreadsheet, MemoryStripe
from backend.core.settings import Settings
from backend.demo import DEMO_COMPANY, build_demo_company
from backend.jobs.model import Job
from backend.jobs.runner import PROGRESS_EVERY, ProgressRecorder
from backend.jobs.store import MemoryJobStore
from backend.sandbox.local import SHEETS_TOKEN, LocalSandbox
from backend.services.generate import READ_STAGE, WRITE_STAGE, generate
from backend.web.views import progress_text

NOW = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 11, 3, 6, 0, tzinfo=timezone.utc)
STALE = timedelta(seconds=90)
SETTINGS = Settings(axis_names=tuple(DEMO_COMPANY["axis_names"]), siren=DEMO_COMPANY["siren"])


@pytest.fixture(scope="module")
def demo():
    return build_demo_company()


@pytest.fixture
def sandbox(demo):
    with LocalSandbox() as box:
        box.stripe.load(copy.deepcopy(demo))
        box.sid = box.sheets.create_spreadsheet("Journal", ["Feuille 1"])
        yield box


def test_the_bar_moves_per_page_read_and_per_batch_written(sandbox, store):
    calls = []
    sheet = GoogleSheetsAdapter(sandbox.sid, Credentials(token=SHEETS_TOKEN),
                                base_url=sandbox.sheets_url)
    report = generate(sandbox.stripe_adapter(), sheet, store, SETTINGS, "mdc", now=NOW,
                      progress=lambda stage, done, total: calls.append((stage, done, total)),
                      max_append_rows=400)
    read = [done for stage, done, _ in calls if stage == READ_STAGE]
    # The invoices page by page (100 a page: 5 pages for the demo's 500), then the credit notes.
    assert read[:6] == [0, 100, 200, 300, 400, 500]
    assert read[-1] == report.documents_read == 505
    assert read == sorted(read), "the count only grows"
    # Every batch announced before it is written, counted out of the run's appends; the end said.
    appends = [c for c in sandbox.plan.calls if c.path.endswith(":append")]
    batches = len(appends) - 1                         # the last one is the Historique line
    assert batches == 5                                # 1722 rows at most 400 a batch
    written = [(done, total) for stage, done, total in calls if stage == WRITE_STAGE]
    assert written == [(n, batches) for n in range(batches + 1)]
    assert report.rows_written == 1722


def test_the_stage_line_says_documents_read_and_the_batch_being_written():
    assert progress_text(READ_STAGE, 300, None) == "Lecture de Stripe : 300 documents lus"
    assert progress_text(READ_STAGE, 1, None) == "Lecture de Stripe : 1 document lu"
    assert progress_text(READ_STAGE, 0, None) == "Lecture de Stripe"
    assert progress_text(WRITE_STAGE, 1, 5) == "Écriture dans la feuille : lot 2 sur 5"
    assert progress_text(WRITE_STAGE, 5, 5) == "Écriture dans la feuille : lot 5 sur 5"
    assert progress_text("Contrôle des pièces", 3, 10) == "Contrôle des pièces : 3 / 10"
    assert progress_text("", 0, None) == ""


def test_an_unknown_total_fills_its_stage_as_pages_come_without_passing_it():
    store = MemoryJobStore()
    job, _ = store.create(Job.new("demo", "generate", {}, "x", NOW), STALE)
    store.claim(job.id, "w", NOW, STALE)
    stages = ("Lecture des paramètres", READ_STAGE, "Rapprochement avec la feuille", WRITE_STAGE)
    progress = ProgressRecorder(store, job.id, stages, lambda: NOW)
    seen = []
    for done in (0, 100, 300, 5000, 10 ** 9):
        progress(READ_STAGE, done, None)
        seen.append(store.get(job.id).percent)
        time.sleep(PROGRESS_EVERY + 0.05)              # past the recorder's pace: each stored
    assert seen == sorted(seen) and len(set(seen)) == 5, seen
    assert seen[0] == 25 and seen[-1] < 50, "within the reading's quarter of the bar"
    progress(WRITE_STAGE, 1, 5)
    assert store.get(job.id).percent == 75 + 5


def test_a_second_run_says_what_it_read_and_why_it_is_fewer(demo, store):
    stripe, sheet = MemoryStripe(copy.deepcopy(demo)), MemorySpreadsheet()
    first = generate(stripe, sheet, store, SETTINGS, "mdc", now=NOW)
    assert first.french() == ("498 écriture(s) ajoutée(s) (1722 lignes) ; 4 anomalie(s) ; "
                              "505 document(s) Stripe lus")
    second = generate(stripe, sheet, store, SETTINGS, "mdc", now=LATER)
    # The window starts at the oldest document still waiting (an anomaly, a draft), read again.
    waiting = [d for kind in ("invoices", "credit_notes") for d in demo[kind]
               if d["id"] in {a.document_id for a in first.result.anomalies}
               or d.get("status") == "draft"]
    oldest = min(d["created"] for d in waiting)
    day = datetime.fromtimestamp(oldest, ZoneInfo(SETTINGS.timezone))
    created_since = [d for kind in ("invoices", "credit_notes") for d in demo[kind]
                     if d["created"] >= oldest]
    assert second.documents_read == len(created_since) < 505
    # Those the first run journaled are left as they are; the others are the ones waiting.
    journaled = len({d["id"] for d in created_since} & {e.document_id for e in first.written})
    assert second.already_journaled == journaled > 0
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre"]
    first_day = "1er" if day.day == 1 else str(day.day)
    assert second.french() == (
        f"Aucune nouvelle écriture ; 4 anomalie(s) ; {second.documents_read} document(s) Stripe "
        f"lus : ceux créés depuis le {first_day} {months[day.month - 1]} {day.year} (date du plus "
        f"ancien document encore en attente), dont {journaled} déjà dans le journal et "
        "laissé(s) tel(s) quel(s)")
    assert second.summary()["already_journaled"] == journaled
