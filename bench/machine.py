"""What the figures came from, and two measuring helpers: peak memory and GC pauses."""

from __future__ import annotations

import gc
import os
import platform
import re
import sys
import threading
import time
from pathlib import Path


def machine() -> dict:
    cpu = ""
    try:
        cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(),
                        re.M).group(1).strip()
    except (OSError, AttributeError):
        cpu = platform.processor() or platform.machine()
    memory = ""
    try:
        kb = int(re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(),
                           re.M).group(1))
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory": memory,
            "python": platform.python_version(), "implementation": sys.implementation.name,
            "system": f"{platform.system()} {platform.release()}"}


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _status_kb(field: str) -> int | None:
    try:
        match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    except OSError:
        return None
    return int(match.group(1)) if match else None


class PeakRss:
    """The process's resident memory high-water mark during the block, above its resident
    memory when the block started (after a full collection). Linux: the kernel's VmHWM, reset
    at the start through /proc/self/clear_refs; elsewhere, or where that is refused, RSS
    sampled every 5 ms by a thread."""

    def __enter__(self) -> "PeakRss":
        gc.collect()
        self.start_kb = _status_kb("VmRSS") or 0
        self.method = "VmHWM (kernel high-water mark of RSS)"
        self._sampler = None
        try:
            Path("/proc/self/clear_refs").write_text("5")
            if (_status_kb("VmHWM") or 0) > self.start_kb * 1.05 + 1024:
                raise OSError("VmHWM was not reset")
        except OSError:
            self.method = "RSS sampled every 5 ms"
            self._peak = self.start_kb
            self._stop = threading.Event()
            self._sampler = threading.Thread(target=self._sample, daemon=True)
            self._sampler.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self._peak = max(self._peak, _status_kb("VmRSS") or 0)

    def __exit__(self, *exc) -> None:
        if self._sampler is not None:
            self._stop.set()
            self._sampler.join()
            peak = self._peak
        else:
            peak = _status_kb("VmHWM") or 0
        self.peak_mb = max(peak - self.start_kb, 0) / 1024


class GcPauses:
    """Time spent in the cyclic garbage collector during the block (gc.callbacks)."""

    def __enter__(self) -> "GcPauses":
        self.seconds = 0.0
        self.collections = [0, 0, 0]
        self._started = 0.0
        gc.callbacks.append(self._callback)
        return self

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.collections[info["generation"]] += 1

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self._callback)
