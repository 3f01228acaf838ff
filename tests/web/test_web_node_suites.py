"""`make test` (pytest) runs the Node suites too: the Apps Script code with fakes of its
services (node --test tests/appsscript), its type check against the published Apps Script type
definitions (tests/appsscript/typecheck.js: TypeScript's checkJs), and the sidebar in Debian's
headless Chromium against the local preview (node --test tests/sidebar). Each fails this test
if it fails.

Without node, the npm packages (`npm ci`) or /usr/bin/chromium, the suite is skipped on a
developer's machine and fails on CI (CI set), where a skipped suite would hide failures.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}", pytrace=False)
    pytest.skip(reason)


def run_node_suite(folder: str, timeout: int) -> str:
    node = shutil.which("node")
    if node is None:
        missing("node is not installed (apt-get install nodejs npm)")
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / folder).glob("*.test.js"))
    assert files, f"no tests in tests/{folder}"
    env = dict(os.environ, PYTHON=sys.executable, CHROMIUM=CHROMIUM)
    done = subprocess.run([node, "--test", "--test-reporter=spec", *files], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"node --test tests/{folder} failed:\n{output[-20000:]}"
    return output


def test_apps_script_code_with_fakes_of_its_services():
    output = run_node_suite("appsscript", timeout=120)
    assert "ℹ fail 0" in output


def test_apps_script_code_type_checks_against_the_published_types():
    node = shutil.which("node")
    if node is None:
        missing("node is not installed (apt-get install nodejs npm)")
    for package in ("typescript", "@types/google-apps-script", "@types/google.script.client-side"):
        if not (ROOT / "node_modules" / package).is_dir():
            missing(f"{package} is not installed (npm ci)")
    done = subprocess.run([node, "tests/appsscript/typecheck.js"], cwd=ROOT, capture_output=True,
                          text=True, timeout=180, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"tsc found type errors in appsscript/:\n{output[-20000:]}"
    assert output.count("ok: ") == 2, output


def test_sidebar_in_headless_chromium_against_the_local_preview():
    if not (ROOT / "node_modules" / "playwright-core").is_dir():
        missing("playwright-core is not installed (npm ci)")
    if not Path(CHROMIUM).exists():
        missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    output = run_node_suite("sidebar", timeout=600)
    assert "ℹ fail 0" in output
