"""What the checks need of a company (`PreflightSetup`), and how long each check may take.

Its own module because every check module reads it and the runner (runner.py) builds on them:
kept apart, nothing imports in a circle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from backend.auth.companies import Company
from backend.jobs.connections import ServiceUrls
from backend.secrets import SecretSource

TIMEOUT = 10.0        # seconds per check


@dataclass
class PreflightSetup:
    """What the checks need. `google_credentials()` gives the backend's identity for Sheets
    (jobs/connections.py decides which); `engine()` the ledger store's SQLAlchemy engine;
    `public_base_url` the https address Stripe and HubSpot were given (None: unknown, as
    locally); `demo`: the company is a demo (a live Stripe key is then suspicious)."""
    company: Company
    secrets: SecretSource
    urls: ServiceUrls
    google_credentials: Callable[[], object]
    engine: Callable[[], object] | None
    public_base_url: str | None = None
    demo: bool = False
    timeout: float = TIMEOUT

    @property
    def client_timeout(self) -> float:
        """The clients' own timeout: twice the runner's bound, so that a silent service is
        always said by the runner ("pas de réponse en N s"), never by whichever of the two
        timers happened to fire first."""
        return 2 * self.timeout
