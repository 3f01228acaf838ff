"""1. The accounting core alone: invoices converted per second on one core.

The demo month repeated up to N invoices (`scale_invoices`), as the dicts the API returns,
prepared beforehand: no JSON parsing, no I/O. What is timed is `journal_documents` (every
invoice to its entry, anomaly or skip, sorted in journal order) with the catalog built and
the customer codes generated, best of `repeat`; and `journal_objects`, the same from the raw
list of objects (catalog and codes included).
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import time

from bench.machine import GcPauses


def settings():
    from backend.core.settings import Settings
    from backend.demo import DEMO_COMPANY
    return Settings(axis_names=tuple(DEMO_COMPANY["axis_names"]), siren=DEMO_COMPANY["siren"])


def measure_core(sizes: list[int], repeat: int = 3, profile: bool = False) -> dict:
    from backend.core.catalog import Catalog
    from backend.core.customers import generate_missing_codes
    from backend.core.journal import journal_documents
    from backend.demo import build_demo_company, scale_invoices
    from backend.services.convert import journal_objects

    config = settings()
    demo = build_demo_company()
    reference = demo["customers"] + demo["products"] + demo["tax_rates"]
    results: dict = {"sizes": {}, "repeat": repeat}
    for size in sizes:
        invoices = scale_invoices(demo, size)
        catalog = Catalog().add_all(reference + invoices)
        generate_missing_codes(catalog, config)
        best, best_gc, outcome = None, None, None
        for _ in range(repeat):
            gc.collect()
            with GcPauses() as pauses:
                started = time.perf_counter()
                outcome = journal_documents(invoices, catalog, config)
                seconds = time.perf_counter() - started
            if best is None or seconds < best:
                best, best_gc = seconds, pauses.seconds
        # The same with the prepared data frozen out of the collector's sight (gc.freeze):
        # how much of the time is the collector walking the 50,000 invoices.
        gc.collect()
        gc.freeze()
        try:
            frozen = min(_timed(journal_documents, invoices, catalog, config)
                         for _ in range(repeat))
        finally:
            gc.unfreeze()
        results["sizes"][size] = {
            "seconds": best, "per_second": size / best, "gc_seconds": best_gc,
            "frozen_per_second": size / frozen, "entries": len(outcome.entries),
            "anomalies": len(outcome.anomalies), "skipped": len(outcome.skipped)}
        del catalog
    largest = max(sizes)
    invoices = scale_invoices(demo, largest)
    objects = reference + invoices
    gc.collect()
    results["objects"] = {"size": largest, "per_second": largest / min(
        _timed(journal_objects, objects, config) for _ in range(repeat))}
    if profile:
        results["profile"] = _profile(invoices, reference, config)
    return results


def _timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def _profile(invoices, reference, config) -> str:
    from backend.core.catalog import Catalog
    from backend.core.customers import generate_missing_codes
    from backend.core.journal import journal_documents
    catalog = Catalog().add_all(reference + invoices)
    generate_missing_codes(catalog, config)
    profiler = cProfile.Profile()
    profiler.enable()
    journal_documents(invoices, catalog, config)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats(20)
    return out.getvalue()
