import ctypes
import gc
import os
import resource
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

from builders import standard_catalog  # noqa: E402

from backend.core.catalog import Catalog  # noqa: E402
from backend.core.settings import Settings  # noqa: E402
from backend.store.ledger import LedgerStore  # noqa: E402

# --- issue 12: no run depends on luck, none holds memory it no longer needs -------------------

# Hypothesis draws its examples from a seed derived from each test (derandomize): every run,
# on CI or a laptop, tries the same examples, and a failure found once is found again. No
# example database (nothing written under the repo by parallel workers), no deadline and no
# too_slow health check (both timing: a loaded machine would fail them by chance).
# HYPOTHESIS_PROFILE=explore draws new examples each run, to look for bugs on purpose.
hypothesis_settings.register_profile(
    "deterministic", derandomize=True, database=None, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.register_profile("explore", deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

# A full collection once the process has grown this much since the last one.
COLLECT_AFTER_GROWTH_KB = 256 * 1024
_rss_after_collection = [0]


def _rss_kb() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * (resource.getpagesize() // 1024)
    except OSError:      # not Linux: the peak instead
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@pytest.fixture(autouse=True)
def _cyclic_garbage_collected():
    """The sandboxes (their services and routes refer to each other), the Google clients and
    the SQLAlchemy engines are reference cycles: only the cyclic collector frees them, when
    its own rule says (the oldest generation grown by a quarter). A big test can leave
    hundreds of MB of them; a full collection (about 0.1 s) after a test once the process
    has grown by 256 MB hands them back, with glibc's free pages."""
    yield
    if _rss_kb() - _rss_after_collection[0] > COLLECT_AFTER_GROWTH_KB:
        gc.collect()
        _give_back_free_memory()
        _rss_after_collection[0] = _rss_kb()


@pytest.fixture(autouse=True)
def _root_logger_level_kept():
    """A test that leaves the root logger at DEBUG makes every later test of its process
    capture the Stripe library's debug lines (each response body, megabytes a test), which
    the reports then carry to the controller: a leak of gigabytes across the suite."""
    import logging
    level = logging.getLogger().level
    yield
    assert logging.getLogger().level == level, "the test changed the root logger's level"


def _give_back_free_memory() -> None:
    """glibc keeps what was freed for the process's next allocations; malloc_trim hands the
    free pages back, so that one big test's peak is not carried into the next ones."""
    if sys.platform != "linux":
        return
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):     # not glibc (musl): nothing to hand back this way
        pass


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


# --- the longest tests start first (issue 12) --------------------------------------------------
# With pytest-xdist (`make test`: -n 2 --dist load), tests are handed out in collection order:
# the campaigns of a minute or so, started last, would leave one worker running alone at the
# end. Longest first (measured: docs/BENCHMARKS.md), the others keep both workers busy after.

LONGEST_FIRST = (
    "tests/test_stress_faults.py::test_fault_campaign_ci_size",
    "tests/test_stress_sync_faults.py::test_the_campaign_at_ci_size",
    "tests/test_stress_bad_input.py::test_the_catalogue_at_ci_size",
    "tests/web/test_web_node_suites.py::test_sidebar",
    "tests/test_stress_floods.py::test_floods_at_ci_size",
    "tests/test_pipeline_http.py::test_any_fault_at_any_call",
    "tests/test_stress_intruders.py::test_intruders_campaign_ci_size",
)


def _start_rank(item) -> int:
    return next((rank for rank, prefix in enumerate(LONGEST_FIRST)
                 if item.nodeid.startswith(prefix)), len(LONGEST_FIRST))


def pytest_collection_modifyitems(items):
    items.sort(key=_start_rank)      # stable: the rest keep their order


def pytest_collection_finish(session):
    """Every test module is imported: what exists now (modules, functions, classes, about
    120,000 objects) lives as long as the process. Frozen, the collector's full passes skip
    it; they were a tenth of the suite's time, each walking the imported libraries again."""
    gc.collect()
    gc.freeze()


# --- PostgreSQL: one throwaway server per pytest process -------------------------------------

@pytest.fixture(scope="session")
def postgres_server():
    """The PostgreSQL server of this pytest process (under pytest-xdist, of this worker: each
    worker has its own data directory and port). Tests take a database or a schema of their
    own in it. No binaries: skipped on a laptop, a failure on CI (tests/postgres.py)."""
    import postgres
    yield from postgres.for_tests()


@pytest.fixture(scope="session")
def postgres_database(postgres_server):
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty database (no tables) of each backend: a SQLite file, or on PostgreSQL a
    schema of its own in the session's database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    url = server.create_schema(request.getfixturevalue("postgres_database"))
    yield url
    server.drop_schema(url)


@pytest.fixture
def make_store(db_url):
    """Stores on the test database, each with its own engine (like separate processes)."""
    stores: list[LedgerStore] = []

    def make() -> LedgerStore:
        stores.append(LedgerStore(db_url))
        return stores[-1]

    yield make
    for store in stores:
        store.close()


# --- issue 7: the campaign's figures at CI size, printed at the end of the run -----------------
# Carried by the test's report (user_properties), so that they reach the terminal from a
# pytest-xdist worker too.

CAMPAIGN_PROPERTY = "campaign figures"
_CAMPAIGN_LINES: list[list[str]] = []


@pytest.fixture
def campaign_figures(request):
    """Call with a stress.report.Result: its figures are printed after the tests."""
    return lambda result: request.node.user_properties.append((CAMPAIGN_PROPERTY, result.lines()))


def pytest_runtest_logreport(report):
    if report.when == "teardown":
        _CAMPAIGN_LINES.extend(value for name, value in report.user_properties
                               if name == CAMPAIGN_PROPERTY)


# --- memory of each pytest process, printed at the end (issue 12: none over 1.5 GB) ----------

_WORKERS_MAXRSS: dict[str, tuple[int, int]] = {}


def _maxrss_kb() -> tuple[int, int]:
    """Peak resident memory of this process, and of the largest child it waited for (kB)."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:          # a pytest-xdist worker: tell the controller
        workeroutput["maxrss_kb"] = _maxrss_kb()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """pytest-xdist: a worker has finished; keep its peak memory for the summary."""
    output = getattr(node, "workeroutput", None) or {}
    if "maxrss_kb" in output:
        _WORKERS_MAXRSS[node.gateway.id] = tuple(output["maxrss_kb"])


def pytest_terminal_summary(terminalreporter):
    if _CAMPAIGN_LINES:
        terminalreporter.section("reliability campaign at CI size (make stress: full size)")
        for lines in _CAMPAIGN_LINES:
            for line in lines:
                terminalreporter.write_line(line)
    mine, children = _maxrss_kb()
    peaks = [f"this process {mine // 1024} MB"]
    peaks += [f"{worker} {own // 1024} MB" for worker, (own, _) in sorted(_WORKERS_MAXRSS.items())]
    if _WORKERS_MAXRSS:    # the controller's children are the workers: theirs instead
        children = max(child for _, child in _WORKERS_MAXRSS.values())
    peaks.append(f"largest child process {children // 1024} MB")
    terminalreporter.write_line("peak memory (max RSS): " + ", ".join(peaks))
