"""Apps Script's HTML templates, as far as the sidebar uses them: `<?!= include('Name'); ?>`
replaced by the file `Name.html` of the Apps Script folder (what `include()` in Code.gs does
with HtmlService). Any other scriptlet is refused, so that the preview never shows a page the
real HtmlService would render differently."""

from __future__ import annotations

import re
from pathlib import Path

INCLUDE = re.compile(r"<\?!=\s*include\(\s*'([A-Za-z0-9_.-]+)'\s*\)\s*;?\s*\?>")


def render(folder: Path, name: str) -> str:
    text = (folder / f"{name}.html").read_text(encoding="utf-8")
    text = INCLUDE.sub(lambda m: (folder / f"{m.group(1)}.html").read_text(encoding="utf-8"),
                       text)
    if "<?" in text:
        raise ValueError(f"{name}.html: only <?!= include('...'); ?> scriptlets are supported")
    return text


# The deployer's backend address (written by `python -m deploy`): the preview is its own
# backend, and must never send a checkout's calls (and tokens) to a deployed one.
DEPLOYED_ONLY = {"Config.gs"}


def server_code(folder: Path) -> str:
    """Every .gs file, in name order, as the one global scope Apps Script makes of them,
    but the deployer's configuration."""
    return "\n".join(f"// --- {path.name} ---\n{path.read_text(encoding='utf-8')}"
                     for path in sorted(folder.glob("*.gs")) if path.name not in DEPLOYED_ONLY)
