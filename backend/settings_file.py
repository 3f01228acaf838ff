"""Settings from a JSON or TOML file; what the file leaves out keeps the design's default."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from backend.core.settings import Settings, SettingsError, from_mapping


def load_settings(path: str | Path | None) -> Settings:
    if path is None:
        return Settings()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "TOML" if path.suffix == ".toml" else "JSON"
        raise SettingsError(f"settings file {path} is not valid {kind}: {exc}") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"settings file {path} must hold an object of settings")
    return from_mapping(data)
