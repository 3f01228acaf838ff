"""`python -m deploy` (deploy/): the plan of a dry run, a refused edition/tier pair, and two
runs against fakes of `gcloud`, of the Cloud SQL Auth Proxy and of the backend's Python put
first on PATH: the first creates everything, the second nothing, a failing command stops the
script with a message naming the step, and no secret value is ever in an argv or the output.

The fakes are small Python scripts written here; `gcloud` keeps what exists in a JSON file
(answers `describe` with NOT_FOUND until the matching `create`) and records every argv."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backend.auth.companies import SECRET_KINDS
from deploy import appsscript, appyaml, options

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "journal-test-1"
HOSTNAME = f"{PROJECT}.ew.r.appspot.com"
STRIPE_KEY = "rk_live_" + "S3cr3tStripeKeyValue0123"
HUBSPOT_TOKEN = "pat-eu1-" + "0a1b2c3d-hubspot-token-value"

FAKE_GCLOUD = r'''
import json, os, sys
state_path = os.environ["FAKE_GCLOUD_STATE"]
try:
    with open(state_path) as f:
        state = json.load(f)
except FileNotFoundError:
    state = {"calls": [], "things": {}, "enabled": [], "secrets": {}, "policies": {},
             "users": [], "deployed": {}, "allocations": {}}
argv = sys.argv[1:]
state["calls"].append(argv)
flags = {}
words = []
for arg in argv:
    if arg.startswith("--"):
        key, _, value = arg[2:].partition("=")
        flags[key] = value
    else:
        words.append(arg)
project = flags["project"]


def save():
    with open(state_path, "w") as f:
        json.dump(state, f)


def answer(value):
    save()
    print(json.dumps(value))
    sys.exit(0)


def not_found(message="NOT_FOUND: Requested entity was not found."):
    save()
    print("ERROR: (gcloud) " + message, file=sys.stderr)
    sys.exit(1)


fail = os.environ.get("FAKE_GCLOUD_FAIL")
if fail and fail in " ".join(argv):
    save()
    print("ERROR: (gcloud) PERMISSION_DENIED: the caller does not have permission",
          file=sys.stderr)
    sys.exit(1)

if words[:2] == ["services", "list"]:
    answer([{"config": {"name": name}} for name in state["enabled"]])
if words[:2] == ["services", "enable"]:
    state["enabled"] += [w for w in words[2:] if w not in state["enabled"]]
    answer(None)
if words[:2] == ["app", "describe"]:
    if "app" not in state["things"]:
        not_found("Apps instance [%s] not found" % project)
    answer(state["things"]["app"])
if words[:2] == ["app", "create"]:
    state["things"]["app"] = {"defaultHostname": project + ".ew.r.appspot.com",
                              "locationId": flags["region"]}
    answer(None)
if words[:3] == ["sql", "users", "list"]:
    answer([{"name": name} for name in state["users"]])
if words[:3] in (["sql", "users", "create"], ["sql", "users", "set-password"]):
    with open(flags["flags-file"]) as f:
        assert "--password" in json.load(f)
    if words[3] not in state["users"]:
        state["users"].append(words[3])
    answer(None)
if words[:3] == ["secrets", "versions", "describe"]:
    if not state["secrets"].get(flags["secret"]):
        not_found("NOT_FOUND: Secret Version [latest] not found.")
    answer({"state": "ENABLED"})
if words[:3] == ["secrets", "versions", "access"]:
    if not state["secrets"].get(flags["secret"]):
        not_found()
    save()
    sys.stdout.write(state["secrets"][flags["secret"]][-1])
    sys.exit(0)
if words[:3] == ["secrets", "versions", "add"]:
    assert flags["data-file"] == "-"
    state["secrets"][words[3]].append(sys.stdin.read())
    answer(None)
if words[:2] == ["secrets", "create"]:
    state["secrets"][words[2]] = []
if words[-1:] == ["get-iam-policy"] or "get-iam-policy" in words:
    target = words[-1]
    answer({"bindings": [{"role": role, "members": members}
                         for role, members in state["policies"].get(target, {}).items()]})
if "add-iam-policy-binding" in words:
    target = words[-1]
    members = state["policies"].setdefault(target, {}).setdefault(flags["role"], [])
    if flags["member"] not in members:
        members.append(flags["member"])
    answer(None)
if words[:2] == ["app", "deploy"]:
    with open(words[2]) as f:
        state["deployed"][flags["version"]] = f.read()
    state["allocations"] = {flags["version"]: 1}
    answer(None)
if words[:3] == ["app", "versions", "describe"]:
    if words[3] not in state["deployed"]:
        not_found("Version [%s] does not exist." % words[3])
    answer({"id": words[3]})
if words[:3] == ["app", "services", "describe"]:
    answer({"split": {"allocations": state["allocations"]}})

# Everything else: a generic describe / create / update of a named thing.
verbs = ("describe", "create", "update")
verb = next(w for w in words if w in verbs)
kind = " ".join(words[:words.index(verb)])
rest = [w for w in words[words.index(verb) + 1:] if w != "http"]
key = kind + " " + rest[0]
if verb == "describe":
    if key not in state["things"]:
        not_found("HTTPError 404: The Cloud SQL instance does not exist."
                  if kind == "sql instances" else "NOT_FOUND: " + key + " not found")
    answer(state["things"][key])
thing = dict(flags)
if kind == "sql instances":
    thing = {"connectionName": "%s:%s:%s" % (project, flags["region"], rest[0]),
             "settings": {"tier": flags["tier"],
                          "edition": flags["edition"].upper().replace("-", "_")}}
if kind == "scheduler jobs":
    thing = {"schedule": flags["schedule"], "timeZone": flags["time-zone"],
             "httpTarget": {"uri": flags["uri"], "oidcToken": {
                 "serviceAccountEmail": flags["oidc-service-account-email"],
                 "audience": flags["oidc-token-audience"]}}}
if kind == "iam service-accounts":
    key = kind + " " + rest[0] + "@" + project + ".iam.gserviceaccount.com"
state["things"][key] = thing
answer(None)
'''

FAKE_PROXY = r'''
import json, os, signal, socket, sys, time
port = int(next(a for a in sys.argv[1:] if a.startswith("--port=")).split("=")[1])
with open(os.environ["FAKE_PROXY_LOG"], "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\n")
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen()
while True:
    connection, _ = server.accept()
    connection.close()
'''

FAKE_PYTHON = r'''
import json, os, sys
url = os.environ.get("DATABASE_URL", "")
with open(os.environ["FAKE_PYTHON_LOG"], "a") as f:
    f.write(json.dumps({"argv": sys.argv[1:], "url": url}) + "\n")
print("database at the latest migration")
'''


def write_script(path: Path, body: str) -> Path:
    path.write_text(f"#!{sys.executable}\n{body}", encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def fakes(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    write_script(bin_dir / "gcloud", FAKE_GCLOUD)
    proxy = write_script(tmp_path / "fake-proxy", FAKE_PROXY)
    python = write_script(tmp_path / "fake-python", FAKE_PYTHON)
    secrets_file = tmp_path / "secrets.json"
    secrets_file.write_text(json.dumps({"maison-coworking-stripe-key": STRIPE_KEY}))
    # A copy of the Apps Script files the run writes the address into (not the repository's).
    scripts = tmp_path / "appsscript"
    scripts.mkdir()
    for name in ("Config.gs", "appsscript.json"):
        (scripts / name).write_bytes((ROOT / "appsscript" / name).read_bytes())

    class Fakes:
        def __init__(self) -> None:
            self.state_path = tmp_path / "gcloud-state.json"
            self.proxy_log = tmp_path / "proxy.log"
            self.python_log = tmp_path / "python.log"
            self.env = dict(os.environ,
                            PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
                            FAKE_GCLOUD_STATE=str(self.state_path),
                            FAKE_PROXY_LOG=str(self.proxy_log),
                            FAKE_PYTHON_LOG=str(self.python_log),
                            MAISON_COWORKING_HUBSPOT_TOKEN=HUBSPOT_TOKEN)
            self.scripts = scripts
            self.args = ["--project", PROJECT, "--company", "maison-coworking",
                         "--secrets-file", str(secrets_file), "--appsscript-dir", str(scripts),
                         "--client-id", "123-abc.apps.googleusercontent.com",
                         "--proxy", str(proxy), "--python", str(python)]

        def state(self) -> dict:
            if not self.state_path.exists():
                return {"calls": []}
            return json.loads(self.state_path.read_text())

        def run(self, *extra: str, **env: str) -> subprocess.CompletedProcess:
            return deploy([*self.args, *extra], dict(self.env, **env))

    return Fakes()


def deploy(args, env=None, stdin=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deploy", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=120,
                          check=False)


def changes(calls: list[list[str]]) -> list[list[str]]:
    """The calls that create or change something (every check is read-only)."""
    readers = {"describe", "list", "get-iam-policy", "access"}
    return [c for c in calls if not readers & set(c)]


STEPS = ["APIs", "App Engine application", "Cloud SQL", "The companies' secrets",
         "Service account and IAM bindings", "Cloud Tasks queue", "Cloud Scheduler job",
         "Migrations", "App Engine deploy", "What is left to do by hand"]


def test_the_dry_run_prints_every_step_in_order_and_no_secret(tmp_path):
    # A gcloud that leaves a mark if called: a dry run calls nothing.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "called"
    write_script(bin_dir / "gcloud", f"open({str(marker)!r}, 'w').write('called')\n")
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
               MAISON_COWORKING_HUBSPOT_TOKEN=HUBSPOT_TOKEN)
    done = deploy(["--project", PROJECT, "--company", "maison-coworking", "--dry-run",
                   "--secrets-file", "-"], env,
                  stdin=json.dumps({"maison-coworking-stripe-key": STRIPE_KEY}))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert not marker.exists()
    headers = re.findall(r"^\[(\d+)/10\] (.*)$", out, re.MULTILINE)
    assert [int(n) for n, _ in headers] == list(range(1, 11))
    assert all(title.startswith(step) for (_, title), step in zip(headers, STEPS, strict=True))
    commands = [line.split(":", 1)[1].strip() for line in out.splitlines()
                if line.startswith("  run:")]
    order = ["gcloud services enable", "gcloud app create --region=europe-west",
             "gcloud sql instances create journal", "gcloud sql databases create journal",
             "gcloud sql users create journal", "gcloud secrets create journal-database-url",
             "gcloud secrets create maison-coworking-stripe-key",
             "gcloud secrets versions add maison-coworking-stripe-key --data-file=-",
             "gcloud secrets create maison-coworking-hubspot-token",
             "gcloud secrets create maison-coworking-hubspot-app-secret",
             "gcloud secrets create maison-coworking-stripe-webhook-secret",
             "gcloud iam service-accounts create journal-tasks",
             "gcloud projects add-iam-policy-binding", "gcloud iam service-accounts add-iam",
             "gcloud tasks queues create journal --location=europe-west1",
             "gcloud scheduler jobs create http journal-daily --location=europe-west1",
             "DATABASE_URL=<through the proxy>", "gcloud app deploy"]
    positions = [next((i for i, c in enumerate(commands) if c.startswith(prefix)), None)
                 for prefix in order]
    assert None not in positions, list(zip(order, positions, strict=True))
    assert positions == sorted(positions)
    create = next(c for c in commands if c.startswith("gcloud sql instances create"))
    assert "--edition=enterprise" in create.split() and "--tier=db-f1-micro" in create.split()
    assert "--database-version=POSTGRES_16" in create.split()
    for api in ("appengine", "sqladmin", "secretmanager", "cloudtasks", "cloudscheduler",
                "sheets", "iam", "cloudbuild"):
        assert f"{api}.googleapis.com" in commands[0]
    for role in ("secretmanager.secretAccessor", "cloudsql.client", "cloudtasks.enqueuer",
                 "iam.serviceAccountUser"):
        assert f"--role=roles/{role}" in out
    assert "/scheduler/generate" in out and "--oidc-service-account-email=journal-tasks@" in out
    assert all(f"--project={PROJECT}" in c for c in commands if c.startswith("gcloud"))
    # The optional Google key is not created without a value; the others are, empty.
    assert "gcloud secrets create maison-coworking-sheets-service-account" not in out
    assert "script.google.com/home/usersettings" in out and "appsscript/README.md" in out
    assert "python -m backend companies add maison-coworking" in out
    for secret in (STRIPE_KEY, HUBSPOT_TOKEN):
        assert secret not in out and secret not in done.stderr


def test_the_dry_run_shows_the_enterprise_plus_pair():
    done = deploy(["--project", PROJECT, "--dry-run", "--edition", "enterprise-plus",
                   "--tier", "db-perf-optimized-N-2"])
    assert done.returncode == 0, done.stderr
    create = next(line for line in done.stdout.splitlines() if "sql instances create" in line)
    assert "--edition=enterprise-plus --tier=db-perf-optimized-N-2" in create


@pytest.mark.parametrize("edition,tier,says", [
    ("ENTERPRISE_PLUS", "db-f1-micro", "it is a tier of ENTERPRISE"),
    ("ENTERPRISE_PLUS", "db-g1-small", "it is a tier of ENTERPRISE"),
    ("ENTERPRISE", "db-perf-optimized-N-4", "it is a tier of ENTERPRISE_PLUS"),
    ("ENTERPRISE", "db-n1-standard-1", "no Cloud SQL tier we know"),
])
def test_a_mismatched_edition_and_tier_is_refused_before_any_command(fakes, edition, tier,
                                                                     says):
    done = fakes.run("--edition", edition, "--tier", tier)
    assert done.returncode == 2
    assert f"--tier {tier} does not go with --edition {edition}" in done.stderr
    assert says in done.stderr
    assert fakes.state()["calls"] == []
    assert done.stdout == ""


def test_a_second_run_creates_nothing(fakes):
    first = fakes.run()
    assert first.returncode == 0, first.stderr + first.stdout
    state = fakes.state()
    made = [" ".join(c) for c in changes(state["calls"])]
    for expected in ("services enable", "app create --region=europe-west",
                     "sql instances create journal", "sql databases create journal",
                     "sql users create journal", "secrets create journal-database-url",
                     "secrets create maison-coworking-stripe-webhook-secret",
                     "iam service-accounts create journal-tasks",
                     "tasks queues create journal", "scheduler jobs create http journal-daily",
                     "app deploy"):
        assert any(m.startswith(expected) for m in made), expected
    # The database URL and the two values given, each stored once; the others empty.
    assert len(state["secrets"]["journal-database-url"]) == 1
    url = state["secrets"]["journal-database-url"][0]
    assert re.fullmatch(rf"postgresql://journal:[A-Za-z0-9_-]{{40,}}@/journal\?host=/cloudsql/"
                        rf"{PROJECT}:europe-west1:journal", url)
    password = url.split(":")[2].split("@")[0]
    assert state["secrets"]["maison-coworking-stripe-key"] == [STRIPE_KEY]
    assert state["secrets"]["maison-coworking-hubspot-token"] == [HUBSPOT_TOKEN]
    assert state["secrets"]["maison-coworking-hubspot-app-secret"] == []
    assert "maison-coworking-sheets-service-account" not in state["secrets"]
    # No secret in any argv nor in what the script printed.
    for value in (STRIPE_KEY, HUBSPOT_TOKEN, password):
        assert not any(value in arg for call in state["calls"] for arg in call)
        assert value not in first.stdout and value not in first.stderr
    # The deployed app.yaml: the real hostname, the region, the client id, no placeholder.
    [deployed] = state["deployed"].values()
    env = [line.strip() for line in deployed.splitlines() if not line.lstrip().startswith("#")]
    assert f"SERVICE_AUDIENCE: https://{HOSTNAME}" in env
    assert f"TASKS_QUEUE: projects/{PROJECT}/locations/europe-west1/queues/journal" in env
    assert "ID_TOKEN_AUDIENCES: 123-abc.apps.googleusercontent.com" in env
    assert not any(p in line for p in (*appyaml.PLACEHOLDERS, "REGION_ID") for line in env)
    # The scheduler calls the real address, with the audience the backend checks.
    job = state["things"]["scheduler jobs journal-daily"]
    assert job["httpTarget"]["uri"] == f"https://{HOSTNAME}/scheduler/generate"
    assert job["httpTarget"]["oidcToken"]["audience"] == f"https://{HOSTNAME}"
    # The migrations ran through the proxy, with the URL pointed at it.
    [proxy_call] = [json.loads(line) for line in fakes.proxy_log.read_text().splitlines()]
    assert proxy_call[-1] == f"{PROJECT}:europe-west1:journal"
    [migration] = [json.loads(line) for line in fakes.python_log.read_text().splitlines()]
    assert migration["argv"] == ["-m", "backend", "db", "upgrade"]
    port = proxy_call[0].split("=")[1]
    assert migration["url"] == f"postgresql://journal:{password}@127.0.0.1:{port}/journal"

    calls_before = len(state["calls"])
    second = fakes.run()
    assert second.returncode == 0, second.stderr + second.stdout
    state = fakes.state()
    assert changes(state["calls"][calls_before:]) == []
    assert "ok: version v-" in second.stdout and "is deployed and serving" in second.stdout
    assert len(fakes.python_log.read_text().splitlines()) == 2     # upgrade: a no-op at head

    # A new value for a secret is a new version; the same value again is not.
    third = fakes.run(MAISON_COWORKING_HUBSPOT_TOKEN=HUBSPOT_TOKEN + "-rotated")
    assert third.returncode == 0, third.stderr
    assert [" ".join(c[:4]) for c in changes(fakes.state()["calls"][len(state["calls"]):])] \
        == ["secrets versions add maison-coworking-hubspot-token"]
    assert fakes.state()["secrets"]["maison-coworking-hubspot-token"][-1].endswith("-rotated")


def test_the_run_gives_apps_script_the_backend_address_and_nothing_else_does(fakes):
    """Issue 13: the address the accountant's ID token goes to is the deployer's, in the pushed
    code (Config.gs) and in the manifest's urlFetchWhitelist; the sidebar cannot set it."""
    repository = {name: (ROOT / "appsscript" / name).read_bytes()
                  for name in ("Config.gs", "appsscript.json")}
    done = fakes.run("--skip-migrations", "--skip-deploy")
    assert done.returncode == 0, done.stderr + done.stdout
    config = (fakes.scripts / "Config.gs").read_text(encoding="utf-8")
    assert config == appsscript.config_text(f"https://{HOSTNAME}")
    assert f"write: {fakes.scripts / 'Config.gs'} (https://{HOSTNAME})" in done.stdout
    # The value Apps Script will read, as a JavaScript engine reads the file.
    node = shutil.which("node")
    if node:
        script = ("const vm = require('node:vm'); const c = {};"
                  "vm.runInNewContext(require('node:fs').readFileSync(process.argv[1], 'utf8'), c);"
                  "process.stdout.write(c.DEPLOYED_BACKEND_URL)")
        read = subprocess.run([node, "-e", script, str(fakes.scripts / "Config.gs")],
                              capture_output=True, text=True, timeout=30, check=True)
        assert read.stdout == f"https://{HOSTNAME}"
    manifest = json.loads((fakes.scripts / "appsscript.json").read_text(encoding="utf-8"))
    assert manifest["urlFetchWhitelist"] == [f"https://{HOSTNAME}/"]
    original = json.loads(repository["appsscript.json"])
    assert {k: v for k, v in manifest.items() if k != "urlFetchWhitelist"} == \
        {k: v for k, v in original.items() if k != "urlFetchWhitelist"}
    # Nothing tells the deployer to set the address from the sheet or a script function.
    assert "setBackendUrl" not in done.stdout and "BACKEND_URL=" not in done.stdout
    # The repository's own copies are untouched (they name no address).
    for name, content in repository.items():
        assert (ROOT / "appsscript" / name).read_bytes() == content
    assert "var DEPLOYED_BACKEND_URL = '';" in repository["Config.gs"].decode()


def test_the_apps_script_address_is_https_without_a_path():
    assert appsscript.config_text("https://a-b.ew.r.appspot.com").endswith(
        "\nvar DEPLOYED_BACKEND_URL = 'https://a-b.ew.r.appspot.com';\n")
    for wrong in ("http://a.appspot.com", "https://a.appspot.com/x", "https://a.appspot.com'",
                  "https://u@a.appspot.com", "", "https://a.appspot.com\n"):
        with pytest.raises(ValueError):
            appsscript.config_text(wrong)


def test_a_missing_appsscript_dir_is_refused_before_any_command(fakes, tmp_path):
    done = fakes.run("--appsscript-dir", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "--appsscript-dir" in done.stderr
    assert fakes.state()["calls"] == []


def test_a_failing_command_stops_the_script_with_a_clear_message(fakes):
    failed = fakes.run(FAKE_GCLOUD_FAIL="tasks queues create")
    assert failed.returncode == 1
    assert "deploy: stopped at step 6 (Cloud Tasks queue)" in failed.stderr
    assert "gcloud tasks queues create journal --location=europe-west1" in failed.stderr
    assert "PERMISSION_DENIED" in failed.stderr
    calls = fakes.state()["calls"]
    assert calls[-1][:3] == ["tasks", "queues", "create"]      # nothing after it ran
    assert not fakes.python_log.exists()
    # Run again once the cause is fixed: what was done is not done twice.
    again = fakes.run()
    assert again.returncode == 0, again.stderr
    made = [" ".join(c[:3]) for c in changes(fakes.state()["calls"][len(calls):])]
    assert "sql instances create" not in made and "app create --region=europe-west" not in made
    assert made.count("tasks queues create") == 1 and "app deploy" in " ".join(made)


def test_a_missing_gcloud_stops_at_the_first_step(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))
    done = deploy(["--project", PROJECT, "--skip-migrations"], env)
    assert done.returncode == 1
    assert "stopped at step 1 (APIs)" in done.stderr and "gcloud: not found" in done.stderr


def test_the_secret_kinds_are_the_backends():
    assert set(options.SECRET_SUFFIXES) == set(SECRET_KINDS)
    assert set(options.OPTIONAL_KINDS) <= set(SECRET_KINDS)


def test_every_gcloud_command_has_its_reference_beside_it():
    """Each gcloud command the steps run names its page of Google's gcloud reference."""
    source = (ROOT / "deploy" / "setup.py").read_text(encoding="utf-8")
    refs = set(re.findall(r"^\s*# https://cloud\.google\.com/sdk/gcloud/reference/(\S+)$",
                          source, re.MULTILINE))
    calls = re.findall(r"self\.gcloud\.(?:check|act|read|act_with_flags_file)\(\s*\[([^\]]*)",
                       source)
    assert len(calls) > 25
    for call in calls:
        words = re.findall(r'"([a-z][a-z-]*)"', call)
        path = "/".join(w for w in words if w not in ("latest", "default"))
        assert any(ref.startswith(path) for ref in refs), path
