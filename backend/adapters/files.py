"""Files written whole or not at all: a crash or an error never leaves half a journal."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, content: bytes | None = None, save=None) -> Path:
    """Write `content` (or let `save(tmp_path)` write) to a temporary file, then rename it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; a journal is a normal file
    try:
        with os.fdopen(fd, "wb") as handle:
            if content is not None:
                handle.write(content)
        if save is not None:
            save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
