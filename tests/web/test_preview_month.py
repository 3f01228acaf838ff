"""`make preview` (python -m backend.web.preview) opens on the demo company's month, where its
invoices fall, not on the current month, where it has nothing (issue 14, point 8): the
command run as the Makefile runs it, its page and the sidebar's status asked over HTTP."""

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from backend.demo import DEMO_COMPANY
from backend.web.preview.__main__ import SPREADSHEET_ID

ROOT = Path(__file__).resolve().parents[2]


def ask(url: str, method: str = "GET", token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, method=method, headers=headers,
                                     data=b"{}" if method == "POST" else None)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def test_the_preview_opens_on_the_demo_companys_month(tmp_path):
    # No --month: what `make preview` runs. Its temp files go to the test's folder.
    command = [sys.executable, "-m", "backend.web.preview", "--port", "0", "--latency", "0",
               "--database", str(tmp_path / "ledger.db")]
    preview = subprocess.Popen(command, cwd=ROOT, env=dict(os.environ, TMPDIR=str(tmp_path)),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in preview.stdout],
                     daemon=True).start()
    try:
        first = lines.get(timeout=60)
        while "http://" not in first:
            first = lines.get(timeout=60)
        month = DEMO_COMPANY["month"]
        assert f"preview of {DEMO_COMPANY['name']} ({month}): http://127.0.0.1:" in first
        url = first.rsplit(" ", 1)[1].strip()
        token = ask(url + "token", "POST")["token"]
        base = url.removesuffix("preview/")
        status = ask(f"{base}status?spreadsheet_id={SPREADSHEET_ID}", token=token)
        # The sidebar's month to export, from the backend's clock: the demo month.
        assert status["export_month"] == month
    finally:
        preview.send_signal(signal.SIGTERM)
        preview.wait(timeout=30)
