"""`make contract` itself, run as a subprocess: without credentials every real scenario is
skipped naming the variables it lacks, and the run succeeds; a live Stripe key is refused
before any connection is opened. Each scenario asks only for its own services.

Not marked `contract`: `make contract` (-m contract) does not run these, `make test` does.
"""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from contract_targets import LiveKeyRefused, check_stripe_key, missing_variables

ROOT = Path(__file__).resolve().parents[2]
LIVE_KEY = "sk_live_51ContractHarnessNeverCalled0000"
SCENARIOS = {"generate": ["CONTRACT_STRIPE_KEY", "CONTRACT_SPREADSHEET_ID",
                          "CONTRACT_GOOGLE_CREDENTIALS"],
             "sync": ["CONTRACT_STRIPE_KEY", "CONTRACT_HUBSPOT_TOKEN"],
             "stripe_webhooks": ["CONTRACT_STRIPE_KEY"],
             "hubspot_webhooks": ["CONTRACT_HUBSPOT_TOKEN"]}


def make_contract(*extra: str, **variables: str) -> subprocess.CompletedProcess:
    """`make contract`'s command, with no CONTRACT_* variable but `variables`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CONTRACT_", "PYTEST_XDIST_", "PYTEST_CURRENT_TEST"))}
    env.update(variables)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "contract", "tests/contract", "-rs",
         "-p", "no:cacheprovider", *extra],
        check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def skip_reasons(output: str) -> dict[str, str]:
    """scenario -> the reason its real half was skipped."""
    return dict(re.findall(r"^SKIPPED \[\d+\] \S+: real (\w+): (.*)$", output, re.MULTILINE))


def test_without_credentials_every_real_scenario_is_skipped_and_says_what_is_missing():
    done = make_contract()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    reasons = skip_reasons(done.stdout)
    assert set(reasons) == set(SCENARIOS), done.stdout[-3000:]
    for scenario, variables in SCENARIOS.items():
        assert reasons[scenario].startswith("set " + ", ".join(variables) + " ("), reasons
    # The sandbox half ran, each scenario passed.
    assert re.search(rf"\b{len(SCENARIOS)} passed, {len(SCENARIOS)} skipped\b", done.stdout)


@pytest.fixture
def closed_door():
    """A port that listens and never answers: any connection to it waits in its backlog."""
    with socket.socket() as door:
        door.bind(("127.0.0.1", 0))
        door.listen(8)
        yield door


def knocked(door: socket.socket) -> bool:
    door.setblocking(False)
    try:
        door.accept()[0].close()
    except BlockingIOError:
        return False
    return True


def test_each_scenario_asks_only_for_its_own_services():
    given = {"CONTRACT_STRIPE_KEY": "sk_test_51OnlyStripeIsGiven", "CONTRACT_HUBSPOT_TOKEN": " "}
    assert missing_variables(("stripe", "sheets"), given) == [
        "CONTRACT_SPREADSHEET_ID", "CONTRACT_GOOGLE_CREDENTIALS"]
    assert missing_variables(("stripe", "hubspot"), given) == ["CONTRACT_HUBSPOT_TOKEN"]
    assert missing_variables(("stripe",), given) == []


@pytest.mark.parametrize("key", ["sk_live_51abc", "rk_live_51abc", "pk_test_51abc", "whsec_1",
                                 "sk_test", "", "51abc"])
def test_only_test_mode_secret_or_restricted_keys_are_taken(key):
    with pytest.raises(LiveKeyRefused) as refused:
        check_stripe_key(key)
    assert "51abc" not in str(refused.value) and "refused before any call" in str(refused.value)
    assert check_stripe_key(" sk_test_51abc ") == "sk_test_51abc"
    assert check_stripe_key("rk_test_51abc") == "rk_test_51abc"


def test_a_live_stripe_key_is_refused_before_any_call(closed_door):
    port = closed_door.getsockname()[1]
    done = make_contract("-k", "real and not hubspot_webhooks", CONTRACT_STRIPE_KEY=LIVE_KEY,
                         CONTRACT_STRIPE_API_BASE=f"http://127.0.0.1:{port}",
                         CONTRACT_HUBSPOT_TOKEN="pat-na1-contract-harness",
                         CONTRACT_HUBSPOT_API_BASE=f"http://127.0.0.1:{port}",
                         CONTRACT_SPREADSHEET_ID="sheet-contract-harness",
                         CONTRACT_GOOGLE_CREDENTIALS="/nonexistent/key.json")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    refusals = re.findall(r"real (\w+): CONTRACT_STRIPE_KEY is not a test-mode key \(sk_live_…\)"
                          r": refused before any call", output)
    assert sorted(set(refusals)) == ["generate", "stripe_webhooks", "sync"], output[-3000:]
    assert re.search(r"\b3 errors\b", output)   # at set-up, before any client exists
    assert LIVE_KEY not in output and LIVE_KEY[8:] not in output
    assert not knocked(closed_door)      # Stripe's address was never called
