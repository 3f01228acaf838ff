"""Secrets (Stripe and HubSpot keys, a Google service account key): where they come from, and
how they are kept out of the sheet, the sidebar, the responses and the logs.

A company's config names its secrets; a `SecretSource` turns a name into a `Secret`:

- `SecretManagerSecrets`: Google Secret Manager, in production (the latest version of
  `projects/<project>/secrets/<name>`, cached a few minutes so that a rotation is picked up);
- `FileSecrets`: a local JSON or TOML file `{name: value}` (kept out of git);
- `EnvSecrets`: the environment, the name upper-cased with `-` and `.` as `_`
  (`demo-stripe-key` -> `DEMO_STRIPE_KEY`);
- `MemorySecrets`: a mapping (tests, the local preview).

A `Secret` prints as `Secret('name', ***)`; only `reveal()` gives the value, and every value
revealed is remembered so that `scrub()` can blank it out of any text (an error message
stored for the sidebar, a traceback on its way to the log).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

MASK = "***"
_MIN_SCRUB_LENGTH = 6      # shorter values would blank ordinary words out of messages
_revealed: set[str] = set()
_revealed_lock = threading.Lock()


class SecretMissing(LookupError):
    """The source has no such secret (the message names it, never a value)."""

    def __init__(self, name: str, where: str) -> None:
        super().__init__(f"secret {name!r} not found in {where}")
        self.name = name
        self.where = where


class Secret:
    __slots__ = ("name", "_value")

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self._value = value

    def reveal(self) -> str:
        """The value, for the one call that needs it (a client library's constructor)."""
        if len(self._value) >= _MIN_SCRUB_LENGTH:
            with _revealed_lock:
                _revealed.add(self._value)
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.name!r}, {MASK})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and (self.name, self._value) == (other.name, other._value)

    def __hash__(self) -> int:
        return hash(self.name)

    def __reduce__(self):
        raise TypeError("a Secret is not pickled")


def scrub(text: str) -> str:
    """`text` with every secret value revealed so far replaced by ***."""
    with _revealed_lock:
        values = sorted(_revealed, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text


class SecretSource(Protocol):
    def get(self, name: str) -> Secret:
        """The secret called `name`; SecretMissing if there is none."""


class MemorySecrets:
    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)

    def get(self, name: str) -> Secret:
        if name not in self._values:
            raise SecretMissing(name, "the given secrets")
        return Secret(name, self._values[name])


def env_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


class EnvSecrets:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def get(self, name: str) -> Secret:
        value = self._environ.get(env_name(name), "")
        if not value:
            raise SecretMissing(name, f"the environment (${env_name(name)})")
        return Secret(name, value)


class FileSecrets:
    """A JSON or TOML file of `name = value` pairs, read at each lookup (it is small, and an
    edit is picked up without a restart)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def get(self, name: str) -> Secret:
        where = f"the secrets file {self.path}"
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SecretMissing(name, where) from None
        try:
            values = tomllib.loads(text) if self.path.suffix == ".toml" else json.loads(text)
        except (ValueError, tomllib.TOMLDecodeError):
            # The parser's message may quote the file's content: do not pass it on.
            raise SecretMissing(name, f"{where} (unreadable)") from None
        value = values.get(name) if isinstance(values, dict) else None
        if not isinstance(value, str) or not value:
            raise SecretMissing(name, where)
        return Secret(name, value)


class SecretManagerSecrets:
    """Google Secret Manager (`google-cloud-secret-manager`). The client is made at the first
    lookup, so that starting the app needs no Google call; values are cached `ttl` seconds."""

    def __init__(self, project: str = "", client=None, ttl: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.project = project      # App Engine sets GOOGLE_CLOUD_PROJECT; else the credentials'
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def _secret_client(self):
        if self._client is None:
            from google.cloud import secretmanager
            self._client = secretmanager.SecretManagerServiceClient()
        return self._client

    def get(self, name: str) -> Secret:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(name)
        if cached and now - cached[0] < self._ttl:
            return Secret(name, cached[1])
        try:
            if not self.project:
                import google.auth
                self.project = google.auth.default()[1] or ""
            path = f"projects/{self.project}/secrets/{name}/versions/latest"
            answer = self._secret_client().access_secret_version(request={"name": path})
        except Exception as exc:   # NotFound, PermissionDenied, unavailable: the name is enough
            raise SecretMissing(name, f"Secret Manager ({type(exc).__name__})") from None
        value = answer.payload.data.decode("utf-8").strip()
        with self._lock:
            self._cache[name] = (now, value)
        return Secret(name, value)


def secret_source_from_env(environ: Mapping[str, str] | None = None) -> SecretSource:
    """SECRETS=secret-manager|file|env; by default Secret Manager in production
    (BACKEND_ENV=production), else SECRETS_FILE when set, else the environment."""
    environ = os.environ if environ is None else environ
    kind = environ.get("SECRETS", "").strip().lower()
    if not kind:
        if environ.get("BACKEND_ENV") == "production":
            kind = "secret-manager"
        else:
            kind = "file" if environ.get("SECRETS_FILE") else "env"
    if kind == "secret-manager":
        return SecretManagerSecrets(environ.get("GOOGLE_CLOUD_PROJECT", ""))
    if kind == "file":
        return FileSecrets(environ.get("SECRETS_FILE", ".secrets.json"))
    if kind == "env":
        return EnvSecrets(environ)
    raise ValueError(f"SECRETS must be secret-manager, file or env, not {kind!r}")
