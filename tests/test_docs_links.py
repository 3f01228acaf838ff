"""The project's Markdown says only true things about the repository.

Every relative link of every Markdown file (README.md, docs/, appsscript/, deploy/, tests/)
leads to a file or folder that exists, and every name in backticks that looks like a path
names one. Someone who clones the project has nothing else: a link to a sibling checkout
(`../shared/...`) or to a file a refactoring moved is a dead end for them.

A backticked name is path-like when it holds a `/` or ends in a file extension the project
uses. It is looked for beside the Markdown file, then at the repository's root; a bare file
name (`Code.gs`, `input.json`) anywhere in the repository. Names that are examples or output
of a command are in ALLOWED, each with its reason.
"""

from __future__ import annotations

import functools
import glob
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Folders that are not the project's own text: installed packages, caches, generated output.
SKIPPED_DIRS = {".git", ".venv", ".venv313", "node_modules", ".pytest_cache", ".hypothesis",
                ".ruff_cache", "demo-output", "__pycache__"}

PATH_EXTENSIONS = (".py", ".md", ".json", ".gs", ".html", ".txt", ".yaml", ".yml", ".toml",
                   ".js", ".ini", ".pickle", ".xlsx", ".db", ".png", ".cfg", ".csv")

# Backticked names that are not files of the repository, by design. Keep it short: a name
# here is never checked, so each says why it cannot be.
ALLOWED = {
    "demo-output/": "made by `make demo` (git-ignored)",
    "inexweb-2026-10.txt": "an output of `make demo`, in demo-output/",
    "FEC-extrait-918345620-2026-10.txt": "an output of `make demo`, in demo-output/",
    "journal-2026-10.xlsx": "an output of `make demo`, in demo-output/",
    "sheet.json": "an output of `make demo`, in demo-output/",
    "stripe/": "an output of `make demo`, in demo-output/",
    "ledger.db": "the ledger store `make demo` creates (git-ignored)",
    ".sandbox/": "the sandboxes' saved state, in demo-output/",
    "stress-figures.json": "written by `make stress` (git-ignored)",
    "companies.json": "the integrator's own companies file (example: "
                      "backend/auth/companies.example.json)",
    ".venv/bin/python": "the virtual environment `make` creates (git-ignored)",
    ".clasp.json": "made by `clasp create`/`clasp clone` (git-ignored)",
    "cron.yaml": "App Engine's cron file, which this project does not use (said so)",
    "JJ/MM/AAAA": "a date format, not a path",
    "Europe/Paris": "a time zone, not a path",
}


def markdown_files() -> list[Path]:
    return sorted(p for p in repository_files() if p.suffix == ".md")


FENCE = re.compile(r"^(```|~~~).*?^\1", re.DOTALL | re.MULTILINE)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
# A code span, which may run over a line break (not a blank line), as in CommonMark.
CODE = re.compile(r"(`+)((?:[^`\n]|\n(?![ \t]*\n))+?)\1")


def prose(text: str) -> str:
    """The text outside fenced blocks: a block shows commands and output, not references."""
    return FENCE.sub("", text)


def links(text: str) -> list[str]:
    body = prose(text)
    # Inline code may show link syntax as an example: not a link.
    body_without_code = CODE.sub("", body)
    return LINK.findall(body_without_code) + REFERENCE_LINK.findall(body_without_code)


def is_external(target: str) -> bool:
    return bool(re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", target)) or target.startswith("//")


def path_like(name: str) -> bool:
    """A name meant as a file or folder of the repository.

    Not: commands and anything with a space, URLs and URIs (`scheme:`), routes and system
    files (a leading `/`), templates (`<company>`), query strings, alternatives (`a|b`),
    npm scopes (`@types/...`), a bare extension (`.gs`), elisions (`…`)."""
    if re.search(r"[\s<>:=|%@?&…]", name) or "..." in name.replace("../", ""):
        return False
    if name.startswith("/") or re.fullmatch(r"\.[A-Za-z0-9]+", name):
        return False
    return "/" in name or name.lower().endswith(PATH_EXTENSIONS)


def backticked(text: str) -> list[str]:
    return [" ".join(m.group(2).split()) for m in CODE.finditer(prose(text))]


def resolves(name: str, md: Path) -> bool:
    """`name` exists beside the Markdown file or at the root (a glob must match something);
    a bare file name (`Config.gs`, `input.json`) may be anywhere in the repository."""
    bases = [md.parent, ROOT]
    for base in bases:
        candidate = (base / name).resolve()
        if not candidate.is_relative_to(ROOT):
            continue           # outside the repository: nobody who clones it has it
        if any(c in name for c in "*?["):
            if glob.glob(str(candidate)):
                return True
        elif candidate.exists():
            return True
    if "/" not in name:
        return any(p.name == name for p in repository_files())
    return False


@functools.cache
def repository_files() -> tuple[Path, ...]:
    """Every file of the work tree but the skipped folders (walked once, pruned)."""
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        found += [Path(folder) / f for f in files]
    return tuple(found)


def link_target_exists(target: str, md: Path) -> bool:
    """The file exists in the repository; an anchor into a Markdown file names one of its
    headings."""
    path, _, anchor = target.partition("#")
    candidate = (md.parent / path).resolve() if path else md
    if not (candidate.is_relative_to(ROOT) and candidate.exists()):
        return False
    if anchor and candidate.suffix == ".md":
        return anchor in anchors(candidate.read_text(encoding="utf-8"))
    return True


def anchors(text: str) -> set[str]:
    """The headings' anchors as GitHub makes them: lower case, punctuation dropped, spaces
    to hyphens, "-1", "-2" … after a repeated one."""
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", prose(text), re.MULTILINE):
        heading = re.sub(r"`", "", heading)
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def relative(md: Path) -> str:
    return md.relative_to(ROOT).as_posix()


DOCS = markdown_files()


def test_the_documents_are_found():
    names = {relative(p) for p in DOCS}
    assert {"README.md", "docs/DESIGN.md", "appsscript/README.md", "deploy/README.md",
            "tests/contract/README.md"} <= names
    assert not any(n.startswith(("node_modules/", ".venv/")) for n in names)


@pytest.mark.parametrize("md", DOCS, ids=relative)
def test_every_relative_link_leads_to_a_file_of_the_repository(md: Path):
    text = md.read_text(encoding="utf-8")
    dead = [t for t in links(text) if not is_external(t) and not link_target_exists(t, md)]
    assert dead == [], f"{relative(md)}: links to nothing in the repository: {dead}"


@pytest.mark.parametrize("md", DOCS, ids=relative)
def test_every_path_in_backticks_is_real(md: Path):
    text = md.read_text(encoding="utf-8")
    unreal = sorted({n for n in backticked(text)
                     if path_like(n) and n not in ALLOWED and not resolves(n, md)})
    assert unreal == [], f"{relative(md)}: names files that do not exist: {unreal}"


def test_every_allowed_name_is_still_mentioned():
    """An allowance nobody needs any more would hide the next wrong use of its name."""
    mentioned = {n for md in DOCS for n in backticked(md.read_text(encoding="utf-8"))
                 if path_like(n)}
    assert sorted(set(ALLOWED) - mentioned) == []


# The checks themselves, on made-up text: they must be able to fail.

def test_a_link_outside_the_repository_is_dead(tmp_path):
    md = ROOT / "README.md"
    assert not link_target_exists("../shared/DESIGN.md", md)
    assert not link_target_exists("docs/NOWHERE.md", md)
    assert link_target_exists("docs/DESIGN.md#accounting-rules-sales-journal", md)
    assert not link_target_exists("docs/DESIGN.md#accounting-rulez", md)
    assert anchors("# Who is trusted for what\n## `Écritures` tab\n## Notes\n## Notes\n") == {
        "who-is-trusted-for-what", "écritures-tab", "notes", "notes-1"}
    assert links("see [rules](../shared/DESIGN.md) and `[x](y.md)`\n```\n[z](w.md)\n```\n") == [
        "../shared/DESIGN.md"]


def test_a_code_span_over_a_line_break_is_one_name():
    assert backticked("run `node --test\ntests/sidebar` and `a/b.py`\n\n`x\n\ny`") == [
        "node --test tests/sidebar", "a/b.py"]


def test_path_like_names_are_told_from_other_code():
    assert path_like("../shared/DESIGN.md")
    assert path_like(".sandbox-sheets.pickle")
    assert path_like("backend/core/settings.py")
    assert path_like("Code.gs")
    for name in ("sqlite:///ledger.db", "/status", "GET /jobs/<id>", "@types/google-apps-script",
                 ".gs", "https://HOST/", "<SIREN>FEC<AAAAMMJJ>.txt", "node --test tests/sidebar",
                 "tab_per_month", "sk_test_|rk_test_"):
        assert not path_like(name), name


def test_an_unreal_path_is_caught():
    md = ROOT / "README.md"
    assert not resolves("../shared/DESIGN.md", md)
    assert not resolves(".sandbox-sheets.pickle", md)
    assert not resolves("backend/core/nowhere.py", md)
    assert resolves("backend/core/settings.py", md)
    assert resolves("tests/test_stress_*.py", md)
    assert not resolves("tests/test_nothing_*.py", md)
