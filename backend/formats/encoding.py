"""Text into a file's encoding: what the encoding lacks is transliterated, never dropped
silently nor crashing the export."""

from __future__ import annotations

from backend.core.codes import ascii_fold
from backend.core.settings import EXPORT_ENCODINGS, FEC_ENCODINGS, SettingsError

# The encodings a file may be written in: the settings' fixed lists, whatever built the
# Settings (a codec alias such as "idna" or "utf-16" would otherwise write a file no
# accounting software reads, or raise outside the settings' error path).
FILE_ENCODINGS = frozenset(EXPORT_ENCODINGS) | frozenset(FEC_ENCODINGS)


def encode(text: str, encoding: str, replaced: set[str] | None = None) -> bytes:
    """`text` in `encoding`; a character it lacks becomes its Latin transliteration, else "?".

    Characters that needed help are added to `replaced`, so the export can say which.
    """
    if encoding.lower() not in FILE_ENCODINGS:
        raise SettingsError(f"encodage {encoding!r} non accepté pour un fichier")
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        pass
    out = []
    for ch in text:
        try:
            out.append(ch.encode(encoding))
            continue
        except UnicodeEncodeError:
            pass
        if replaced is not None:
            replaced.add(ch)
        folded = ascii_fold(ch)
        try:
            out.append(folded.encode(encoding) if folded != ch else b"?")
        except UnicodeEncodeError:
            out.append(b"?")
    return b"".join(out)


def single_line(text: str) -> str:
    """Tabs and line breaks would break a tab-separated file: they become spaces."""
    return " ".join(text.replace("\t", " ").splitlines()) if text else ""
