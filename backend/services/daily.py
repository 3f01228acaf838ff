"""The daily job: HubSpot and Stripe put in step first, then the day's entries generated, so
that a product or customer created yesterday in HubSpot carries its codes into today's entries.

A sync that fails does not stop the generation: documents whose codes are missing become
anomalies, retried tomorrow, and the failure is in the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend.errors import ServiceError
from backend.services.generate import GenerateReport, generate
from backend.services.sync import SyncReport, sync


@dataclass
class DailyReport:
    sync: SyncReport | None
    sync_error: str | None
    generate: GenerateReport

    def french(self) -> str:
        if self.sync is not None:
            head = f"Synchronisation : {self.sync.french()}"
        elif self.sync_error:
            head = f"Synchronisation en échec ({self.sync_error})"
        else:
            head = "Synchronisation non configurée"
        return f"{head}. Génération : {self.generate.french()}"

    @property
    def anomalies(self) -> int:
        return len(self.generate.result.anomalies)

    def summary(self) -> dict:
        return {"sync": self.sync.summary() if self.sync else None, "sync_error": self.sync_error,
                "generate": self.generate.summary(), "anomalies": self.anomalies}


def daily(*, stripe, sheet, store, settings, company: str, hubspot=None, catalog=None,
          trigger: str = "déclencheur quotidien", now: datetime | None = None) -> DailyReport:
    synced, error = None, None
    if hubspot is not None and catalog is not None:
        try:
            synced = sync(hubspot, catalog, store, settings, company, trigger=trigger, sheet=sheet,
                          now=now)
        except ServiceError as exc:
            error = str(exc)
    report = generate(stripe, sheet, store, settings, company, trigger=trigger, now=now)
    return DailyReport(synced, error, report)
