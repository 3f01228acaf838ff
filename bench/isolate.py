"""Run a measurement in a fresh interpreter, so that one size's memory, caches and garbage
collector state do not leak into the next one's figures."""

from __future__ import annotations

import multiprocessing
import traceback


def _child(conn, fn, args) -> None:
    try:
        conn.send(("ok", fn(*args)))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def isolated(fn, *args):
    """`fn(*args)` in a new process (spawned: nothing inherited); its result, or its error."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, fn, args), name="bench-measure")
    process.start()
    child.close()
    try:
        status, value = parent.recv()
    except EOFError:
        process.join()
        raise RuntimeError(f"the measuring process died (exit code {process.exitcode})") from None
    process.join()
    if status != "ok":
        raise RuntimeError(f"the measuring process failed:\n{value}")
    return value
