import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backend.core.catalog import Catalog  # noqa: E402
from backend.core.settings import Settings  # noqa: E402
from backend.store.ledger import LedgerStore  # noqa: E402
from builders import standard_catalog  # noqa: E402


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def catalog() -> Catalog:
    return Catalog().add_all(standard_catalog())


@pytest.fixture
def store(tmp_path) -> LedgerStore:
    """A migrated ledger store in a SQLite file of the test's own."""
    ledger = LedgerStore(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.migrate()
    yield ledger
    ledger.close()


# --- issue 7: the campaign's figures at CI size, printed at the end of the run -----------------

_CAMPAIGN_RESULTS = []


@pytest.fixture
def campaign_figures():
    """Call with a stress.report.Result: its figures are printed after the tests."""
    return _CAMPAIGN_RESULTS.append


def pytest_terminal_summary(terminalreporter):
    if not _CAMPAIGN_RESULTS:
        return
    terminalreporter.section("reliability campaign at CI size (make stress: full size)")
    for result in _CAMPAIGN_RESULTS:
        for line in result.lines():
            terminalreporter.write_line(line)
