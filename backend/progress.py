"""A progress bar on the terminal for long CLI work (plain lines when not a terminal)."""

from __future__ import annotations

import sys
import time


class TerminalProgress:
    def __init__(self, stream=None, width: int = 30, every: float = 0.1) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.every = every
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._stage = None
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if stage != self._stage:
            if self._stage is not None and self.tty:
                self.stream.write("\n")
            self._stage = stage
            if not self.tty:
                self.stream.write(f"{stage}…\n")
                self.stream.flush()
        if not self.tty or (now - self._last < self.every and (total is None or done < total)):
            return
        self._last = now
        if total:
            filled = int(self.width * min(done, total) / total)
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r{stage} [{bar}] {done}/{total}")
        else:
            self.stream.write(f"\r{stage} : {done}")
        self.stream.flush()

    def close(self) -> None:
        if self._stage is not None and self.tty:
            self.stream.write("\n")
            self.stream.flush()
