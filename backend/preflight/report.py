"""What the preflight says: one `CheckLine` per check (ok, warning or error, a French label,
what was found and how to fix it) and the `PreflightReport` that holds them.

The labels of the eight checks are here, beside the lines that carry them: the runner
(runner.py) lists the checks by label, each check module writes its own lines with it, and the
tests and the sidebar find a line by it (`report.line(LABEL_TABS)`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

OK, WARNING, ERROR = "ok", "warning", "error"
MARKS = {OK: "✓", WARNING: "!", ERROR: "✗"}

LABEL_STRIPE_KEY = "Clé Stripe"
LABEL_API_VERSION = "Version d'API Stripe"
LABEL_HUBSPOT = "Jetons HubSpot"
LABEL_SHEET = "Feuille Google"
LABEL_TABS = "Onglets"
LABEL_STRIPE_WEBHOOK = "Webhook Stripe"
LABEL_HUBSPOT_WEBHOOK = "Webhook HubSpot"
LABEL_DATABASE = "Base de données"


@dataclass(frozen=True)
class CheckLine:
    status: str           # ok, warning, error
    label: str
    message: str
    fix: str = ""

    def french(self) -> str:
        text = f"{MARKS[self.status]} {self.label} : {self.message}"
        return text + (f"\n    → {self.fix}" if self.fix and self.status != OK else "")

    def as_dict(self) -> dict:
        return {"status": self.status, "label": self.label, "message": self.message,
                "fix": self.fix if self.status != OK else ""}


@dataclass
class PreflightReport:
    company: str
    lines: list[CheckLine] = field(default_factory=list)

    @property
    def errors(self) -> list[CheckLine]:
        return [line for line in self.lines if line.status == ERROR]

    @property
    def warnings(self) -> list[CheckLine]:
        return [line for line in self.lines if line.status == WARNING]

    @property
    def outcome(self) -> str:
        """The job's outcome: refused if anything would fail, warning if something deserves
        a look."""
        return "refused" if self.errors else "warning" if self.warnings else "ok"

    def line(self, label: str) -> CheckLine:
        return next(line for line in self.lines if line.label == label)

    def french(self) -> str:
        """One line for the sidebar's result."""
        if not self.errors and not self.warnings:
            return f"Configuration vérifiée : les {len(self.lines)} points sont en ordre."
        parts = []
        if self.errors:
            parts.append(f"{len(self.errors)} erreur(s) ({', '.join(l.label for l in self.errors)})")
        if self.warnings:
            parts.append(f"{len(self.warnings)} avertissement(s) "
                         f"({', '.join(l.label for l in self.warnings)})")
        return "Configuration vérifiée : " + " et ".join(parts) + " ; le détail dit quoi corriger."

    def text(self) -> str:
        """Every line, with its fix: what the CLI prints."""
        return "\n".join(line.french() for line in self.lines)

    def summary(self) -> dict:
        return {"checks": [line.as_dict() for line in self.lines]}
