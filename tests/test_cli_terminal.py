"""The command line's progress bar and tables, drawn by rich on a terminal and plain lines
otherwise: each command runs in a child process, once under a pseudo-terminal (Python's `pty`)
and once with its output to pipes, as in CI or a log file."""

from __future__ import annotations

import copy
import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import textwrap
import time
from pathlib import Path

import pytest

from backend.demo import build_demo_company
from backend.sandbox.local import STRIPE_KEY, LocalSandbox

ROOT = Path(__file__).resolve().parent.parent
ESC = "\x1b["
BAR = "━"          # rich's bar
BOX = "┃"          # rich's table borders (heavy head)
STAGES = ("Lecture de Stripe", "Rapprochement avec la feuille", "Écriture dans la feuille")


def child_env(columns: int | None = None) -> dict:
    """The environment of a plain shell: none of the variables that force or forbid a
    terminal's colours, so that only the output's kind decides."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
                        "COLUMNS", "LINES", "PY_COLORS", "CLICOLOR_FORCE")}
    env["TERM"] = "xterm-256color"
    env["PYTHONPATH"] = str(ROOT)
    if columns:
        env["COLUMNS"] = str(columns)
    return env


def run_in_terminal(argv: list[str], timeout: float = 120) -> tuple[int, str]:
    """stdin, stdout and stderr on one pseudo-terminal 120 columns wide: what a person sees."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    child = subprocess.Popen([sys.executable, *argv], cwd=ROOT, env=child_env(120),
                             stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if child.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:     # EIO: the child closed the terminal (Linux)
                break
            if not data:
                break
            chunks.append(data)
        code = child.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(master)
    return code, b"".join(chunks).decode("utf-8", errors="replace")


def run_piped(argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *argv], check=False, cwd=ROOT, env=child_env(),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout)


@pytest.fixture(scope="module")
def demo():
    return build_demo_company()


def generate_args(box, tmp_path: Path, sid: str) -> list[str]:
    return ["-m", "backend", "generate", "--spreadsheet", sid, "--sheets-url", box.sheets_url,
            "--database", f"sqlite:///{tmp_path / 'ledger.db'}", "--company", "mdc",
            "--stripe-key", STRIPE_KEY, "--stripe-url", box.stripe_url]


def test_generate_in_a_terminal_draws_rich_progress_bars(demo, tmp_path):
    with LocalSandbox() as box:
        box.stripe.load(copy.deepcopy(demo))
        sid = box.sheets.create_spreadsheet("Journal", ["Feuille 1"])
        code, screen = run_in_terminal(generate_args(box, tmp_path, sid))
    assert code == 0, screen
    assert ESC in screen and BAR in screen          # drawn, in colour, by rich
    assert "\x1b[?25l" in screen and "\x1b[?25h" in screen   # cursor hidden, then given back
    final = screen[screen.rfind(STAGES[0]):]        # the last frame: a line per stage
    for stage in STAGES:
        assert stage in final
    bars = [line for line in final.splitlines() if line.strip().startswith(STAGES)]
    assert len(bars) == 3 and all(BAR in line for line in bars), bars
    assert "…" not in final                         # no plain stage line on a terminal
    assert "entries written: 498, rows written: 1722" in screen


def test_generate_without_a_terminal_writes_plain_lines(demo, tmp_path):
    with LocalSandbox() as box:
        box.stripe.load(copy.deepcopy(demo))
        sid = box.sheets.create_spreadsheet("Journal", ["Feuille 1"])
        done = run_piped(generate_args(box, tmp_path, sid))
    assert done.returncode == 0, done.stderr
    assert ESC not in done.stderr + done.stdout and BAR not in done.stderr
    lines = done.stderr.splitlines()       # a line per stage, as it starts, and no count
    assert lines and all(line.endswith("…") for line in lines), lines
    assert len(set(lines)) == len(lines)
    assert [line for line in lines if line[:-1] in STAGES] == [f"{stage}…" for stage in STAGES]
    assert "entries written: 498, rows written: 1722" in done.stdout


TABLE = textwrap.dedent("""\
    from bench.table import Row, render
    rows = [Row("1. Core alone", section=True),
            Row("invoices converted per second", ["30,000/s", "31,000/s"], ">= 20,000/s", "yes"),
            Row("  time in the cyclic GC", ["3 %", "4 %"]),
            Row("2. Daily generation [ours]", section=True),
            Row("wall time", ["1.20 s", "9.1 s"], "< 2 s at 500", "no: 1.0 s over")]
    print(render(["Benchmarks: a title"], [500, 5000], rows, ["(*) a note"]))
""")

RULE = 84        # the width of the plain table: its columns and their " | " separators
PLAIN_TABLE = f"""\
Benchmarks: a title
{"=" * RULE}
                              |  N = 500 | N = 5,000 | target       | met
{"-" * RULE}
1. Core alone
invoices converted per second | 30,000/s |  31,000/s | >= 20,000/s  | yes
  time in the cyclic GC       |      3 % |       4 % |              |
{"-" * RULE}
2. Daily generation [ours]
wall time                     |   1.20 s |     9.1 s | < 2 s at 500 | no: 1.0 s over
{"=" * RULE}
(*) a note
"""


def test_the_bench_table_is_drawn_by_rich_in_a_terminal():
    code, screen = run_in_terminal(["-c", TABLE], timeout=60)
    assert code == 0, screen
    assert BOX in screen and ESC in screen
    assert "==========" not in screen and " | " not in screen
    row = next(line for line in screen.splitlines() if "invoices converted per second" in line)
    assert "30,000/s" in row and "31,000/s" in row and "yes" in row
    assert "2. Daily generation [ours]" in screen       # a heading, not read as rich markup
    assert "no: 1.0 s over" in screen


def test_the_bench_table_piped_is_the_plain_text_it_always_was():
    done = run_piped(["-c", TABLE], timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == PLAIN_TABLE


SUMMARY = textwrap.dedent("""\
    from stress.report import Result
    from stress.run import print_summary
    ok, bad = Result("floods"), Result("intruders")
    ok.part, ok.seconds = "2. floods [floods]", 12.0
    bad.part, bad.seconds = "4. intruders and secrets [intruders]", 3.0
    bad.fail("a secret in a log")
    print_summary([ok, bad], 15.0, full=False)
""")


def test_the_stress_summary_is_a_table_in_a_terminal_and_lines_otherwise():
    code, screen = run_in_terminal(["-c", SUMMARY], timeout=60)
    assert code == 0, screen
    assert BOX in screen and ESC in screen and "FAIL" in screen
    assert "4. intruders and secrets [intruders]" in screen
    done = run_piped(["-c", SUMMARY], timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert ESC not in done.stdout and BOX not in done.stdout
    assert lines[1].startswith("== summary: CI size (--quick), Python ")
    assert lines[2:] == [
        "  OK   2. floods [floods]: targets met 0/0, failed checks 0, 12 s",
        "  FAIL 4. intruders and secrets [intruders]: targets met 0/0, failed checks 1, 3 s"]


WARNED = textwrap.dedent("""\
    import logging, time
    from backend.logs import configure
    from backend.progress import TerminalProgress
    configure(logging.WARNING)          # as main() does, before any bar
    progress = TerminalProgress()
    progress("Lecture de Stripe", 0, None)
    time.sleep(0.3)                     # the bar is on the screen
    logging.getLogger("backend.adapters").warning("Stripe answered 429: retried")
    progress("Lecture de Stripe", 200, None)
    time.sleep(0.3)
    progress.close()
    logging.getLogger("backend.adapters").warning("after the bar")
""")


def test_a_warning_logged_under_the_bar_gets_its_own_line():
    code, screen = run_in_terminal(["-c", WARNED], timeout=60)
    assert code == 0, screen
    lines = [line for line in screen.splitlines() if "Stripe answered 429: retried" in line]
    assert len(lines) == 1 and BAR not in lines[0], lines     # not written into the bar's line
    assert any("after the bar" in line for line in screen.splitlines())
    done = run_piped(["-c", WARNED], timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == "Lecture de Stripe…"
    assert "Stripe answered 429: retried" in done.stderr.splitlines()[1]
