"""A progress bar on the terminal for long CLI work, drawn by rich; plain lines, one per
stage, when the output is not a terminal (a log file, a pipe, CI)."""

from __future__ import annotations

import logging
import sys
import threading

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


def stderr_console(stream=None) -> Console:
    """The console the CLI's progress goes to. rich decides whether it is a terminal (isatty,
    and the FORCE_COLOR / TTY_COMPATIBLE / NO_COLOR conventions); soft wrap, so that a plain
    line is never cut at 80 columns."""
    return Console(file=stream or sys.stderr, soft_wrap=True)


class TerminalProgress:
    """A `backend.ports.Progress`: called as `progress(stage, done, total)`, `total` None
    while the count is unknown (pages of Stripe read so far). Each stage keeps its own line,
    as it ends, above the next one."""

    def __init__(self, stream=None, console: Console | None = None) -> None:
        self.console = console or stderr_console(stream)
        self.tty = self.console.is_terminal
        # Stripe's time ranges are read by several threads, each reporting its pages.
        self._lock = threading.Lock()
        self._stage: str | None = None
        self._task = None
        self._bar: Progress | None = None
        self._rerouted: list[tuple[logging.StreamHandler, object]] = []

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        with self._lock:
            if stage != self._stage:
                self._end_stage()
                self._stage = stage
                if not self.tty:
                    self._plain(f"{stage}…")
                    return
                if self._bar is None:
                    self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                         TextColumn("{task.fields[count]}"), TimeElapsedColumn(),
                                         console=self.console)
                    self._bar.start()
                    self._reroute_logs()
                self._task = self._bar.add_task(stage, total=total, completed=done,
                                                count=_count(done, total))
            elif self._bar is not None:
                self._bar.update(self._task, total=total, completed=done, count=_count(done, total))

    def close(self) -> None:
        with self._lock:
            self._end_stage()
            if self._bar is not None:
                for handler, stream in self._rerouted:
                    handler.setStream(stream)
                self._rerouted = []
                self._bar.stop()
                self._bar = None
            self._stage = None

    def _reroute_logs(self) -> None:
        """While the bar is drawn, rich has sys.stderr print above it; the log handlers that
        hold the terminal itself (backend/logs.py's, made before the bar) are pointed there
        too, or a warning (a retried call) would be written into the bar's line and erased."""
        for handler in logging.getLogger().handlers:
            if (isinstance(handler, logging.StreamHandler)
                    and getattr(handler, "stream", None) is self.console.file
                    and sys.stderr is not self.console.file):
                self._rerouted.append((handler, handler.setStream(sys.stderr)))

    def _end_stage(self) -> None:
        """A stage whose total was never known is shown full (its count unchanged) once the
        next one starts, rather than pulsing on."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, total=1, completed=1)
        self._task = None

    def _plain(self, line: str) -> None:
        self.console.print(line, markup=False, highlight=False, emoji=False)


def _count(done: int, total: int | None) -> str:
    """`12/40` when the total is known, `12` while it is not (nothing before the first)."""
    if total:
        return f"{done}/{total}"
    return str(done) if done else ""
