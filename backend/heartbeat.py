"""A background beat while a piece of work lives: the run's lease renewed, the job touched."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def beating(every: float, beat: Callable[[], bool | None], name: str) -> Iterator[None]:
    """Call `beat()` every `every` seconds from a daemon thread until the block ends (the
    thread is joined then) or `beat` returns False. `beat` handles its own failures."""
    over = threading.Event()

    def loop() -> None:
        while not over.wait(every):
            if beat() is False:
                return

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        over.set()
        thread.join()
