"""The contract tests' targets: every scenario runs on the local sandboxes ("sandbox", always)
and on real test accounts ("real", only when the scenario's CONTRACT_* variables are set;
skipped otherwise, naming the missing ones). `make contract` runs them (`-m contract`).

    pytestmark = pytest.mark.contract

    @needs("stripe", "sheets")
    def test_x(target): ...            # target.run: the run's tag; cleanup runs after the test
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from contract_targets import (
    VARIABLES,
    LiveKeyRefused,
    RealTarget,
    Run,
    SandboxTarget,
    check_stripe_key,
    missing_variables,
)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "contract: the same scenario on the sandboxes and on real test accounts "
                   "(make contract; the real half needs the CONTRACT_* variables)")


@pytest.fixture(params=["sandbox", "real"])
def target(request):
    """A fresh target for one test, its run cleaned up after it, passed or failed."""
    services = getattr(request.function, "contract_needs", None)
    if services is None:
        raise pytest.UsageError(f"{request.node.nodeid}: declare its services with @needs(...)")
    scenario = request.node.originalname.removeprefix("test_")
    run = Run()
    if request.param == "sandbox":
        from backend.sandbox.local import LocalSandbox
        with LocalSandbox() as box:
            made = SandboxTarget(run, box)
            try:
                yield made
            finally:
                _clean(run, made)
        return
    missing = missing_variables(services)
    if "stripe" in services and "CONTRACT_STRIPE_KEY" not in missing:
        try:
            check_stripe_key(os.environ["CONTRACT_STRIPE_KEY"])
        except LiveKeyRefused as refused:
            # Loud: a failure, not a skip, and before any client exists.
            pytest.fail(f"real {scenario}: {refused}", pytrace=False)
    if missing:
        wanted = ", ".join(n for s in services for n in VARIABLES[s])
        pytest.skip(f"real {scenario}: set {', '.join(missing)} (this scenario needs {wanted}; "
                    f"see tests/contract/README.md)")
    made = RealTarget(run, tuple(services))
    try:
        yield made
    finally:
        _clean(run, made)


def _clean(run: Run, target) -> None:
    sandbox = isinstance(target, SandboxTarget)
    unregistered = target.unregistered() if sandbox else []
    run.cleanup.run()
    if sandbox and (unregistered or target.leftovers()):
        pytest.fail(f"sandbox: the run's cleanup misses {unregistered + target.leftovers()}",
                    pytrace=False)
    if sandbox and target.disturbed_neighbours():
        pytest.fail(f"sandbox: the run touched what is not its own: "
                    f"{target.disturbed_neighbours()}", pytrace=False)
    if run.cleanup.failures:
        pytest.fail(f"{target.name}: cleanup of run {run.id} left objects behind (search for "
                    f"metadata contract_run={run.id} in Stripe, names starting with "
                    f"'{run.hubspot_prefix.strip()}' in HubSpot, tabs '{run.tab_prefix}…' in "
                    "the sheet):\n  " + "\n  ".join(run.cleanup.failures), pytrace=False)
