"""Failures of the outside world, as the use cases see them."""

from __future__ import annotations


class ServiceError(Exception):
    """A call to Stripe, Google or HubSpot failed after the adapter's own retries.

    `transient` says whether trying again later may work (a timeout, a 429, a 5xx, a lost
    answer); `applied_unknown` says the request may have been applied although no answer came
    (a write whose answer was lost): the caller must look before it writes again.
    """

    def __init__(self, service: str, message: str, *, transient: bool = False,
                 applied_unknown: bool = False, status: int | None = None) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service
        self.message = message
        self.transient = transient
        self.applied_unknown = applied_unknown
        self.status = status


class AlreadyRunning(Exception):
    """Another run holds the company's lock."""

    def __init__(self, company: str, holder: str | None) -> None:
        super().__init__(f"a run is already in progress for {company} ({holder or 'unknown'})")
        self.company = company
        self.holder = holder


class Interrupted(Exception):
    """The run stopped at a safe point because it was asked to: the process is being stopped
    (SIGTERM, `reason` "signal") or the run lost its lease to another (`reason` "lease").
    Nothing is half-written (the ledger store's pending/written records make any stop point
    safe): the next run takes up where this one stopped."""

    SIGNAL, LEASE = "signal", "lease"

    def __init__(self, company: str, reason: str) -> None:
        why = ("the process is stopping" if reason == self.SIGNAL
               else "its lease was lost to another run")
        super().__init__(f"the run for {company} stopped at a safe point ({why}); "
                         "the next run takes up where it stopped")
        self.company = company
        self.reason = reason
