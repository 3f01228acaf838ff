"""The Apps Script side of a deployment: the backend's address, written where the script reads
it, by the deployer and never from the sidebar.

`appsscript/Config.gs` gets `DEPLOYED_BACKEND_URL` (Backend.gs sends the accountant's ID token
there and nowhere else), and `appsscript.json` the same host in `urlFetchWhitelist` (Apps
Script then refuses any other address). Both are pushed with `clasp push`. No function of the
script sets the address: any editor of a spreadsheet can call, through the sidebar's
`google.script.run`, every global function whose name does not end with "_".
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from deploy.appyaml import ROOT

FOLDER = ROOT / "appsscript"
CONFIG = "Config.gs"
MANIFEST = "appsscript.json"
# What Backend.gs accepts (checkedBackendUrl_): https, a host, an optional port, nothing else.
BASE_URL = re.compile(r"https://[A-Za-z0-9.-]+(:\d+)?")

CONFIG_HEADER = """\
/**
 * The deployer's settings, written by `python -m deploy` (deploy/appsscript.py) with the App
 * Engine address it knows, then pushed with the rest (clasp push). The repository's copy names
 * no address: the script then reads the script property BACKEND_URL (Project Settings > Script
 * properties), as the local preview does.
 *
 * Where the ID token goes is decided here, by whoever deploys the code, and by nothing a
 * spreadsheet's editor can call from the sidebar: no function sets it (Backend.gs).
 */
"""


def config_text(base_url: str) -> str:
    """Config.gs naming `base_url` (https://host, no path) as the backend."""
    if not BASE_URL.fullmatch(base_url):
        raise ValueError(f"the backend address must be https://host without a path: {base_url!r}")
    return f"{CONFIG_HEADER}\nvar DEPLOYED_BACKEND_URL = '{base_url}';\n"


def manifest_text(text: str, base_url: str) -> str:
    """appsscript.json with `base_url` + "/" as its one urlFetchWhitelist prefix."""
    manifest = json.loads(text)
    manifest["urlFetchWhitelist"] = [base_url + "/"]
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def write(folder: Path, base_url: str) -> list[Path]:
    """Writes Config.gs and the manifest's whitelist in `folder`; returns what it wrote."""
    config = folder / CONFIG
    config.write_text(config_text(base_url), encoding="utf-8")
    written = [config]
    manifest = folder / MANIFEST
    if manifest.exists():
        manifest.write_text(manifest_text(manifest.read_text(encoding="utf-8"), base_url),
                            encoding="utf-8")
        written.append(manifest)
    return written
