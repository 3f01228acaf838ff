"""Simulated time for tests: a sandbox's clock and a client's sleep on one hand-moved now."""


class SimClock:
    """Seconds since the epoch, moved by hand or by sleeping (which records each wait and
    moves the clock on at once), so that waits cost a test no real time."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds
