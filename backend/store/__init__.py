"""The ledger store: what was journaled, runs, locks and the rest of the backend's memory,
in SQLite (default) or PostgreSQL (DATABASE_URL), with versioned migrations."""

from backend.store.ledger import JournalRecord, LedgerStore, UnknownRefs

__all__ = ["JournalRecord", "LedgerStore", "UnknownRefs"]
