"""The demo company's month generated once into an in-memory spreadsheet, and a fresh copy of
it for each test (the tests of dedupe, validate and the exports edit their sheet)."""

import copy
from datetime import datetime, timezone

import pytest

from backend.adapters.memory import MemorySpreadsheet, MemoryStripe
from backend.core.settings import Settings
from backend.demo import DEMO_COMPANY, build_demo_company
from backend.services.generate import generate
from backend.store.ledger import LedgerStore

NOW = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)
SETTINGS = Settings(axis_names=tuple(DEMO_COMPANY["axis_names"]), siren=DEMO_COMPANY["siren"])


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The demo company's month: 498 pièces, October, and one dated 1 November."""
    store = LedgerStore(f"sqlite:///{tmp_path_factory.mktemp('s') / 'l.db'}")
    store.migrate()
    sheet = MemorySpreadsheet()
    generate(MemoryStripe(build_demo_company()), sheet, store, SETTINGS, "mdc", now=NOW)
    return sheet


@pytest.fixture
def sheet(generated):
    copy_ = MemorySpreadsheet()
    copy_.tabs = copy.deepcopy(generated.tabs)
    return copy_
