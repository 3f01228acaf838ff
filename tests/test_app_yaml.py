"""app.yaml parses, names the current Python runtime and a gunicorn entrypoint, sets only
settings the backend knows, and its entrypoint serves: gunicorn started with that very
command line (and app.yaml's env_variables) answers the health check and refuses a request
without a token."""

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
APP_YAML = ROOT / "app.yaml"


def app_yaml() -> dict:
    return yaml.safe_load(APP_YAML.read_text(encoding="utf-8"))


def test_app_yaml_parses_and_names_python313_and_gunicorn():
    config = app_yaml()
    assert config["runtime"] == "python313"
    entrypoint = shlex.split(config["entrypoint"])
    assert entrypoint[0] == "gunicorn"
    assert entrypoint[-1] == "backend.web:create_app()"
    assert "--bind" in entrypoint and entrypoint[entrypoint.index("--bind") + 1] == ":$PORT"
    # The workers stop their jobs cleanly on SIGTERM only with the hooks of this config.
    assert entrypoint[entrypoint.index("--config") + 1] == "python:backend.jobs.gunicorn_conf"
    assert config["env_variables"]["BACKEND_ENV"] == "production"
    assert all(h.get("secure") == "always" for h in config["handlers"])


def test_every_setting_in_app_yaml_is_one_the_backend_reads():
    from backend.web import config
    documented = set(re.findall(r"^\| ([A-Z_]+(?:, [A-Z_]+)*)", config.__doc__, re.MULTILINE))
    known = {name for row in documented for name in row.split(", ")}
    assert set(app_yaml()["env_variables"]) <= known | {"DATABASE_URL_SECRET"}


def test_app_yaml_names_the_public_https_address_webhooks_are_signed_for():
    from backend.web.config import public_base_url, settings_from_env
    env = {k: str(v) for k, v in app_yaml()["env_variables"].items()}
    settings = settings_from_env(env)
    assert settings["PRODUCTION"]
    assert public_base_url(settings) == env["PUBLIC_BASE_URL"]
    assert env["PUBLIC_BASE_URL"].startswith("https://")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_the_entrypoint_serves_the_health_check(tmp_path):
    config = app_yaml()
    port = free_port()
    # App Engine runs the entrypoint through a shell with PORT set; gunicorn is on its PATH.
    command = config["entrypoint"].replace(":$PORT", f"127.0.0.1:{port}")
    env = dict(os.environ, **{k: str(v) for k, v in config["env_variables"].items()})
    env.update(PORT=str(port), GOOGLE_CLOUD_PROJECT="test-project",
               COMPANIES_FILE=str(ROOT / "backend" / "auth" / "companies.example.json"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    server = subprocess.Popen(["sh", "-c", f"exec {command}"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200, server.stdout.read().decode() if server.poll() is not None else status
        assert body == b'{"status":"ok"}\n'
        refused, _ = get(f"http://127.0.0.1:{port}/status?spreadsheet_id=x")
        assert refused == 401
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        server.stdout.close()


def test_every_placeholder_in_app_yaml_is_one_the_deploy_fills():
    from backend.web.config import public_base_url, settings_from_env
    from deploy import appyaml as deploy_yaml
    text = APP_YAML.read_text(encoding="utf-8")
    placeholder = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
    used = {token for value in app_yaml()["env_variables"].values()
            for token in placeholder.findall(str(value))}
    assert used == set(deploy_yaml.PLACEHOLDERS)
    values = deploy_yaml.values("my-journal-1", "my-journal-1.ew.r.appspot.com", "europe-west1",
                                ["1-a.apps.googleusercontent.com", "2-b.apps.googleusercontent.com"])
    filled = yaml.safe_load(deploy_yaml.fill(text, values))
    env = {k: str(v) for k, v in filled["env_variables"].items()}
    assert not [v for v in env.values() if placeholder.search(v) or "REGION_ID" in v]
    assert env["SERVICE_AUDIENCE"] == env["PUBLIC_BASE_URL"] == "https://my-journal-1.ew.r.appspot.com"
    assert env["TASKS_QUEUE"] == "projects/my-journal-1/locations/europe-west1/queues/journal"
    settings = settings_from_env(env)
    assert settings["ID_TOKEN_AUDIENCES"] == ["1-a.apps.googleusercontent.com",
                                              "2-b.apps.googleusercontent.com"]
    assert settings["SERVICE_ACCOUNTS"] == ["journal-tasks@my-journal-1.iam.gserviceaccount.com"]
    assert public_base_url(settings) == env["PUBLIC_BASE_URL"]
    # Only the placeholders change.
    assert {k: v for k, v in filled.items() if k != "env_variables"} == \
        {k: v for k, v in app_yaml().items() if k != "env_variables"}


def test_app_yaml_points_to_the_deploy_guide_that_exists():
    comments = "\n".join(line for line in APP_YAML.read_text(encoding="utf-8").splitlines()
                         if line.startswith("#"))
    assert "python -m deploy" in comments and "deploy/README.md" in comments
    assert (ROOT / "deploy" / "README.md").is_file()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = "The accountant's sidebar, the daily trigger and App Engine"
    assert f"## {section}" in readme and section in comments
    assert "**Deploying**" in readme.split(f"## {section}")[1].split("\n## ")[0]
