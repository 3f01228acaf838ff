"""Command-line values that start with '-'.

A Google spreadsheet id is 44 characters of [A-Za-z0-9_-] and may start with '-'
(`-WIvseZru6tk…`). argparse reads `--spreadsheet -WIvse…` as an option followed by another
option and stops with "expected one argument"; `--spreadsheet=-WIvse…` is read as meant.
`glue_values` rewrites the first form into the second before parsing, for the options that
take such ids, so that a person can paste the id as it is:

    args = parser.parse_args(glue_values(argv, parser))
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence

# Options whose value is an id that may start with '-'.
DASH_VALUE_OPTIONS = ("--spreadsheet",)


def glue_values(argv: Sequence[str] | None, parser: argparse.ArgumentParser | None = None,
                options: Iterable[str] = DASH_VALUE_OPTIONS) -> list[str]:
    """argv (sys.argv[1:] if None) with `OPTION VALUE` written `OPTION=VALUE` for `options`.

    The next word is left alone when it is one of the parser's own options (or `--opt=...`),
    so that `--spreadsheet --xlsx f` still says the value is missing instead of taking
    `--xlsx` for an id; after `--` nothing is touched."""
    words = list(sys.argv[1:] if argv is None else argv)
    wanted = set(options)
    known = option_strings(parser) if parser is not None else set()
    glued: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            glued += words[i:]
            break
        following = words[i + 1] if i + 1 < len(words) else None
        if (word in wanted and following is not None and following.startswith("-")
                and following.split("=", 1)[0] not in known and following != "--"):
            glued.append(f"{word}={following}")
            i += 2
            continue
        glued.append(word)
        i += 1
    return glued


def option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string of the parser and of its sub-commands' parsers (argparse keeps
    them in `_actions`; there is no public accessor)."""
    found: set[str] = set()
    seen: set[int] = set()
    pending = [parser]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for action in current._actions:
            found.update(action.option_strings)
            if isinstance(action, argparse._SubParsersAction):
                pending.extend(action.choices.values())
    return found
