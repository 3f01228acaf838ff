"""Imported by the fork server the campaigns' children fork from (stress/processes.py): builds
what each child would otherwise build again, so that a faulted run costs its own work only.

The Sheets client's resources (backend/adapters/google_sheets.py `_resources`) are built
once per process from the discovery document, writing every method's docstring: about
0.14 s of CPU, more than a whole generation run's client side. Built here, every child
inherits them."""

from backend.adapters.google_sheets import _resources

_resources()
