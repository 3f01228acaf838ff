"""app.yaml's placeholders filled, and the directory `gcloud app deploy` uploads.

The committed app.yaml keeps its placeholders; the deploy writes a filled copy into a staging
directory beside a copy of what runs on App Engine (backend/, requirements.txt), and deploys
that directory. (`gcloud app deploy --appyaml=FILE` looks like the tool for this, but gcloud
uses it only when it stages an app itself, for Java: a Python app would be deployed with the
unfilled app.yaml.)
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_YAML = ROOT / "app.yaml"

# Each placeholder of app.yaml and what replaces it. APP_HOSTNAME is App Engine's real
# default hostname (PROJECT.REGION_ID.r.appspot.com, read from `gcloud app describe`), so
# REGION_ID is never guessed.
PLACEHOLDERS = ("APP_HOSTNAME", "PROJECT_ID", "CLOUD_REGION", "ID_TOKEN_CLIENT_IDS")
PLACEHOLDER = re.compile(r"\b(" + "|".join(PLACEHOLDERS) + r")\b")

# What App Engine runs; the rest of the repository (tests, docs, Apps Script) stays here.
SHIPPED = ("backend", "requirements.txt")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
GCLOUDIGNORE = "# Written by deploy/: the staged directory holds only what runs.\n__pycache__/\n*.pyc\n"


def fill(text: str, values: dict[str, str]) -> str:
    missing = set(PLACEHOLDERS) - set(values)
    if missing:
        raise ValueError(f"no value for {', '.join(sorted(missing))}")
    # Comments keep their placeholders: they explain them.
    return "".join(line if line.lstrip().startswith("#")
                   else PLACEHOLDER.sub(lambda m: values[m.group(1)], line)
                   for line in text.splitlines(keepends=True))


def values(project: str, hostname: str, region: str, client_ids: list[str]) -> dict[str, str]:
    return {"APP_HOSTNAME": hostname, "PROJECT_ID": project, "CLOUD_REGION": region,
            # Empty: every user's token is refused until the add-on's client id is given.
            "ID_TOKEN_CLIENT_IDS": ",".join(client_ids)}


def stage(target: Path, app_yaml_text: str, companies_file: Path | None = None) -> str:
    """Writes the deployable directory into `target` (emptied first); returns a version id
    derived from its content, so that deploying the same content twice is seen as done."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in SHIPPED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=IGNORED)
        else:
            shutil.copy2(source, target / name)
    if companies_file is not None:
        shutil.copy2(companies_file, target / "companies.json")
    (target / "app.yaml").write_text(app_yaml_text, encoding="utf-8")
    (target / ".gcloudignore").write_text(GCLOUDIGNORE, encoding="utf-8")
    return version_id(target)


def version_id(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    # App Engine version ids: lower-case letters, digits and -, starting with a letter.
    return "v-" + digest.hexdigest()[:16]
