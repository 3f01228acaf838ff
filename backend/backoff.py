"""Google's truncated exponential backoff, shared by the Sheets adapter (429s, 5xx, lost
connections) and the generation (a look at the sheet after an append whose outcome is unknown).
Pure: the sleep, the clock and the randomness are injectable."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Google's truncated exponential backoff: before retry n (0-based) wait 2**n seconds plus
    a random fraction of a second, at most `cap`; a delay the answer asks for (Retry-After)
    is honoured instead. At most `retries` retries, and no retry that would end more than
    `budget` seconds after the call began (failed attempts count, a timed-out one with its
    wait): a call ends in bounded time whatever the service does. The first six waits add up
    to more than a minute: a per-minute quota has refilled by then.

    `sleep`, `clock` and `rand` are injectable so that tests run on a simulated clock."""

    retries: int = 7
    cap: float = 64.0
    budget: float = 180.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rand: Callable[[], float] = random.random

    def delay(self, retry: int, asked: float | None = None) -> float:
        if asked is not None:
            return max(0.0, asked)
        return min(2.0 ** retry + self.rand(), self.cap)
