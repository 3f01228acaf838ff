"""The steps of `python -m deploy`, in the order they run. Each one checks what exists first
and creates or changes only what is missing or different, so a second run changes nothing.

Reference of every gcloud command used: https://cloud.google.com/sdk/gcloud/reference (the
page of each command is named beside it).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

from deploy import appsscript, appyaml, options
from deploy.gcloud import CommandFailed, DryRun, Gcloud, Runner
from deploy.options import OptionsError

# The APIs the app calls and those `gcloud app deploy` needs (it builds with Cloud Build and
# keeps the built image in Artifact Registry).
APIS = (
    "appengine.googleapis.com",          # App Engine Admin
    "sqladmin.googleapis.com",           # Cloud SQL Admin (also what the proxy talks to)
    "secretmanager.googleapis.com",
    "cloudtasks.googleapis.com",
    "cloudscheduler.googleapis.com",
    "sheets.googleapis.com",
    "iam.googleapis.com",
    "cloudbuild.googleapis.com",
    "artifactregistry.googleapis.com",
)
DATABASE = "journal"                      # the database and its user
DATABASE_URL_SECRET = "journal-database-url"      # app.yaml's DATABASE_URL_SECRET
TASKS_ACCOUNT = "journal-tasks"
QUEUE = "journal"
SCHEDULER_JOB = "journal-daily"
SCHEDULER_ROUTE = "/scheduler/generate"   # backend/web/service.py


class StepFailed(RuntimeError):
    """A command failed: the script stops there (the message names the step and the command)."""


class Setup:
    def __init__(self, args, runner: Runner, out: Callable[[str], None],
                 secret_values: dict[str, str]) -> None:
        self.args = args
        self.runner = runner
        self.out = out
        self.gcloud = Gcloud(runner, args.project, out)
        self.values = secret_values
        self.dry = runner.dry_run
        self.app_account = f"{args.project}@appspot.gserviceaccount.com"
        self.tasks_account = f"{TASKS_ACCOUNT}@{args.project}.iam.gserviceaccount.com"
        self.hostname = f"{args.project}.REGION_ID.r.appspot.com"   # read in app_engine()
        self.connection = f"{args.project}:{args.region}:{args.instance}"
        self.database_url: str | None = None     # known when made by this run

    def steps(self):
        steps = [("APIs", self.apis),
                 ("App Engine application", self.app_engine),
                 ("Cloud SQL: instance, database, user, DATABASE_URL secret", self.cloud_sql),
                 ("The companies' secrets", self.company_secrets),
                 ("Service account and IAM bindings", self.iam),
                 ("Cloud Tasks queue", self.tasks_queue),
                 ("Cloud Scheduler job", self.scheduler),
                 ("Migrations (python -m backend db upgrade, through the proxy)",
                  self.migrations),
                 ("App Engine deploy", self.deploy),
                 ("What is left to do by hand", self.by_hand)]
        return steps

    def run(self) -> None:
        steps = self.steps()
        for number, (title, step) in enumerate(steps, 1):
            self.out(f"[{number}/{len(steps)}] {title}")
            try:
                step()
            except CommandFailed as exc:
                raise StepFailed(f"step {number} ({title}): {exc}") from exc

    # --- 1. APIs ----------------------------------------------------------------------

    def apis(self) -> None:
        # https://cloud.google.com/sdk/gcloud/reference/services/list
        enabled = self.gcloud.check(["services", "list", "--enabled"])
        names = {s.get("config", {}).get("name") for s in enabled or []}
        missing = [api for api in APIS if api not in names]
        if missing:
            # https://cloud.google.com/sdk/gcloud/reference/services/enable
            self.gcloud.act(["services", "enable", *missing])
        else:
            self.out("  ok: all enabled")

    # --- 2. App Engine ----------------------------------------------------------------

    def app_engine(self) -> None:
        # https://cloud.google.com/sdk/gcloud/reference/app/describe
        app = self.gcloud.check(["app", "describe"])
        if app is None:
            # https://cloud.google.com/sdk/gcloud/reference/app/create
            self.gcloud.act(["app", "create", f"--region={self.args.app_region}"])
            app = self.gcloud.check(["app", "describe"])
        elif app.get("locationId") not in (None, self.args.app_region):
            self.out(f"  note: the app is in {app['locationId']} (an app never moves); "
                     f"--app-region {self.args.app_region} is ignored")
        if app and app.get("defaultHostname"):
            self.hostname = app["defaultHostname"]
            self.out(f"  ok: https://{self.hostname}")

    # --- 3. Cloud SQL -----------------------------------------------------------------

    def cloud_sql(self) -> None:
        a, instance = self.args, self.args.instance
        # https://cloud.google.com/sdk/gcloud/reference/sql/instances/describe
        found = self.gcloud.check(["sql", "instances", "describe", instance])
        if found is None:
            # https://cloud.google.com/sdk/gcloud/reference/sql/instances/create
            self.gcloud.act(["sql", "instances", "create", instance,
                             f"--database-version={a.database_version}",
                             # The reference spells the editions enterprise, enterprise-plus.
                             f"--edition={a.edition.lower().replace('_', '-')}",
                             f"--tier={a.tier}",
                             f"--region={a.region}"], note="several minutes")
            found = self.gcloud.check(["sql", "instances", "describe", instance])
        else:
            settings = found.get("settings", {})
            if (settings.get("tier"), settings.get("edition")) != (a.tier, a.edition):
                self.out(f"  note: {instance} runs {settings.get('edition')} "
                         f"{settings.get('tier')}; left as it is (change it with gcloud sql "
                         "instances patch: the database restarts)")
        if found and found.get("connectionName"):
            self.connection = found["connectionName"]

        # https://cloud.google.com/sdk/gcloud/reference/sql/databases/describe
        if self.gcloud.check(["sql", "databases", "describe", DATABASE,
                              f"--instance={instance}"]) is None:
            # https://cloud.google.com/sdk/gcloud/reference/sql/databases/create
            self.gcloud.act(["sql", "databases", "create", DATABASE,
                             f"--instance={instance}"])

        # https://cloud.google.com/sdk/gcloud/reference/sql/users/list
        users = self.gcloud.check(["sql", "users", "list", f"--instance={instance}"])
        user_exists = any(u.get("name") == DATABASE for u in users or [])
        secret_ready = self._secret_has_version(DATABASE_URL_SECRET)
        if user_exists and secret_ready:
            self.out(f"  ok: user {DATABASE} and secret {DATABASE_URL_SECRET} exist")
            return
        # A new password whenever one of the two is missing: the secret is the only place it
        # is kept, so a user without it is given a new one.
        password = secrets.token_urlsafe(32)
        verb = "set-password" if user_exists else "create"
        # https://cloud.google.com/sdk/gcloud/reference/sql/users/create
        # https://cloud.google.com/sdk/gcloud/reference/sql/users/set-password
        self.gcloud.act_with_flags_file(
            ["sql", "users", verb, DATABASE, f"--instance={instance}"],
            {"--password": password}, note="generated password, in a private flags file")
        self.database_url = (f"postgresql://{DATABASE}:{quote(password, safe='')}@/{DATABASE}"
                             f"?host=/cloudsql/{self.connection}")
        self._put_secret(DATABASE_URL_SECRET, self.database_url, compare=False)

    # --- 4. Secrets -------------------------------------------------------------------

    def company_secrets(self) -> None:
        if not self.args.company:
            self.out("  none: no --company given")
        for company in self.args.company:
            for kind, name in options.secret_names(company).items():
                value = self.values.get(name)
                if kind in options.OPTIONAL_KINDS and value is None \
                        and self.gcloud.check(["secrets", "describe", name]) is None:
                    self.out(f"  skip: {name} (only for a company with its own Google "
                             "service account: give its key to create it)")
                    continue
                self._put_secret(name, value)

    def _secret_has_version(self, name: str) -> bool:
        # https://cloud.google.com/sdk/gcloud/reference/secrets/versions/describe
        latest = self.gcloud.check(["secrets", "versions", "describe", "latest",
                                    f"--secret={name}"])
        return bool(latest) and latest.get("state", "ENABLED") == "ENABLED"

    def _put_secret(self, name: str, value: str | None, compare: bool = True) -> None:
        """The secret exists (empty if no value is known); a new version only when a value is
        given and differs from the latest one."""
        # https://cloud.google.com/sdk/gcloud/reference/secrets/describe
        if self.gcloud.check(["secrets", "describe", name]) is None:
            # https://cloud.google.com/sdk/gcloud/reference/secrets/create
            self.gcloud.act(["secrets", "create", name,
                             "--replication-policy=automatic"])
        if value is None:
            self.out(f"  empty: {name} has no new value (give it in --secrets-file or "
                     f"${env_name(name)})")
            return
        if compare and self._secret_has_version(name):
            # https://cloud.google.com/sdk/gcloud/reference/secrets/versions/access
            latest = self.gcloud.read(["secrets", "versions", "access", "latest",
                                       f"--secret={name}"], "the latest value, to compare")
            if latest == value:
                self.out(f"  ok: {name} already holds this value")
                return
        # https://cloud.google.com/sdk/gcloud/reference/secrets/versions/add
        self.gcloud.act(["secrets", "versions", "add", name, "--data-file=-"],
                        stdin=value, note="value on stdin")

    # --- 5. IAM -----------------------------------------------------------------------

    def iam(self) -> None:
        account = self.tasks_account
        # https://cloud.google.com/sdk/gcloud/reference/iam/service-accounts/describe
        if self.gcloud.check(["iam", "service-accounts", "describe", account]) is None:
            # https://cloud.google.com/sdk/gcloud/reference/iam/service-accounts/create
            self.gcloud.act(["iam", "service-accounts", "create", TASKS_ACCOUNT,
                             "--display-name=Cloud Tasks and Cloud Scheduler callers"])
        member = f"serviceAccount:{self.app_account}"
        # https://cloud.google.com/sdk/gcloud/reference/projects/get-iam-policy
        policy = self.gcloud.check(["projects", "get-iam-policy", self.args.project])
        for role in ("roles/secretmanager.secretAccessor", "roles/cloudsql.client",
                     "roles/cloudtasks.enqueuer"):
            if not has_binding(policy, role, member):
                # https://cloud.google.com/sdk/gcloud/reference/projects/add-iam-policy-binding
                self.gcloud.act(["projects", "add-iam-policy-binding",
                                 self.args.project, f"--member={member}", f"--role={role}",
                                 "--condition=None"])
        # The app gives its tasks this account's OIDC token: it must be allowed to act as it.
        # https://cloud.google.com/sdk/gcloud/reference/iam/service-accounts/get-iam-policy
        policy = self.gcloud.check(["iam", "service-accounts", "get-iam-policy", account])
        if not has_binding(policy, "roles/iam.serviceAccountUser", member):
            # https://cloud.google.com/sdk/gcloud/reference/iam/service-accounts/add-iam-policy-binding
            self.gcloud.act(["iam", "service-accounts", "add-iam-policy-binding",
                             account, f"--member={member}",
                             "--role=roles/iam.serviceAccountUser"])

    # --- 6. Cloud Tasks ---------------------------------------------------------------

    def tasks_queue(self) -> None:
        where = f"--location={self.args.region}"
        # https://cloud.google.com/sdk/gcloud/reference/tasks/queues/describe
        if self.gcloud.check(["tasks", "queues", "describe", QUEUE, where]) is None:
            # Three attempts: a job stopped by SIGTERM is taken up again, a job that fails
            # for good is recorded as failed rather than retried for days.
            # https://cloud.google.com/sdk/gcloud/reference/tasks/queues/create
            self.gcloud.act(["tasks", "queues", "create", QUEUE, where,
                             "--max-attempts=3"])
        else:
            self.out(f"  ok: queue {QUEUE}")

    # --- 7. Cloud Scheduler -----------------------------------------------------------

    def scheduler(self) -> None:
        if self.args.no_scheduler:
            self.out("  skip: --no-scheduler (the Apps Script daily trigger does it)")
            return
        where = f"--location={self.args.region}"
        base = f"https://{self.hostname}"
        wanted = [f"--schedule={self.args.schedule}", "--time-zone=Europe/Paris",
                  f"--uri={base}{SCHEDULER_ROUTE}", "--http-method=POST",
                  f"--oidc-service-account-email={self.tasks_account}",
                  # SERVICE_AUDIENCE in app.yaml: the backend's own address.
                  f"--oidc-token-audience={base}"]
        # https://cloud.google.com/sdk/gcloud/reference/scheduler/jobs/describe
        job = self.gcloud.check(["scheduler", "jobs", "describe", SCHEDULER_JOB, where])
        if job is None:
            # https://cloud.google.com/sdk/gcloud/reference/scheduler/jobs/create/http
            self.gcloud.act(["scheduler", "jobs", "create", "http",
                             SCHEDULER_JOB, where, *wanted])
            return
        target = job.get("httpTarget", {})
        same = (job.get("schedule") == self.args.schedule
                and job.get("timeZone") == "Europe/Paris"
                and target.get("uri") == f"{base}{SCHEDULER_ROUTE}"
                and target.get("oidcToken", {}).get("serviceAccountEmail") == self.tasks_account
                and target.get("oidcToken", {}).get("audience") == base)
        if same:
            self.out(f"  ok: job {SCHEDULER_JOB}")
        else:
            # https://cloud.google.com/sdk/gcloud/reference/scheduler/jobs/update/http
            self.gcloud.act(["scheduler", "jobs", "update", "http",
                             SCHEDULER_JOB, where, *wanted])

    # --- 8. Migrations ----------------------------------------------------------------

    def migrations(self) -> None:
        if self.args.skip_migrations:
            self.out("  skip: --skip-migrations (the app migrates when it first opens the store)")
            return
        url = self.database_url
        if url is None:
            # https://cloud.google.com/sdk/gcloud/reference/secrets/versions/access
            url = self.gcloud.read(["secrets", "versions", "access", "latest",
                                    f"--secret={DATABASE_URL_SECRET}"], "DATABASE_URL")
        port = free_port() if not self.dry else 5432
        proxy = [self.args.proxy, f"--port={port}", self.connection]
        python = self.args.python or default_python()
        upgrade = [python, "-m", "backend", "db", "upgrade"]
        self.out(f"  start: {' '.join(proxy)}  (Cloud SQL Auth Proxy, your "
                 "application-default credentials)")
        self.out(f"  run:   DATABASE_URL=<through the proxy> {' '.join(upgrade)}")
        if self.dry:
            return
        env = dict(os.environ, DATABASE_URL=through_proxy(url, port))
        process = self.runner.start(proxy)
        try:
            wait_for_port(process, port, proxy)
            result = self.runner.run(upgrade, env=env, cwd=str(appyaml.ROOT))
            if result.code != 0:
                raise CommandFailed(upgrade, result.code, result.stderr)
            for line in result.stdout.strip().splitlines()[-5:]:
                self.out(f"    {line}")
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if getattr(process, "log", None) is not None:
                process.log.close()

    # --- 9. Deploy --------------------------------------------------------------------

    def deploy(self) -> None:
        if self.args.skip_deploy:
            self.out("  skip: --skip-deploy")
            return
        text = appyaml.fill(appyaml.APP_YAML.read_text(encoding="utf-8"), appyaml.values(
            self.args.project, self.hostname, self.args.region, self.args.client_id))
        companies = Path(self.args.companies_file) if self.args.companies_file else None
        if self.dry:
            self.out("  write: app.yaml with PROJECT_ID, APP_HOSTNAME, CLOUD_REGION and "
                     "ID_TOKEN_CLIENT_IDS filled, beside backend/ and requirements.txt, in a "
                     "staging directory")
            # https://cloud.google.com/sdk/gcloud/reference/app/deploy
            self.gcloud.act(["app", "deploy", "STAGING/app.yaml",
                             "--version=v-CONTENT_HASH", "--promote"])
            return
        with tempfile.TemporaryDirectory(prefix="deploy-stage-") as tmp:
            stage = Path(tmp) / "app"
            version = appyaml.stage(stage, text, companies)
            self.out(f"  write: {stage}/app.yaml (version {version})")
            # https://cloud.google.com/sdk/gcloud/reference/app/versions/describe
            if self.gcloud.check(["app", "versions", "describe", version,
                                  "--service=default"]) is None:
                # https://cloud.google.com/sdk/gcloud/reference/app/deploy
                self.gcloud.act(["app", "deploy", str(stage / "app.yaml"),
                                 f"--version={version}", "--promote"], note="several minutes")
                return
            # https://cloud.google.com/sdk/gcloud/reference/app/services/describe
            service = self.gcloud.check(["app", "services", "describe", "default"])
            split = (service or {}).get("split", {}).get("allocations", {})
            if split == {version: 1} or split == {version: 1.0}:
                self.out(f"  ok: version {version} is deployed and serving")
            else:
                # https://cloud.google.com/sdk/gcloud/reference/app/services/set-traffic
                self.gcloud.act(["app", "services", "set-traffic", "default",
                                 f"--splits={version}=1"])

    # --- 10. By hand ------------------------------------------------------------------

    def by_hand(self) -> None:
        base = f"https://{self.hostname}"
        self.apps_script(base)
        lines = [
            f"Backend: {base}  (check {base}/healthz)",
            f"Share each company's spreadsheet, as an editor, with {self.app_account}.",
            "Companies, through the Cloud SQL Auth Proxy (deploy/README.md):",
        ]
        for company in self.args.company or ["COMPANY_ID"]:
            # The Google key only for a company whose sheet App Engine's account cannot reach.
            secrets = " ".join(f"--secret {kind}={name}" for kind, name in
                               options.secret_names(company).items() if kind != "google")
            lines.append(f"  python -m backend companies add {company} --name NAME "
                         f"--spreadsheet SPREADSHEET_ID --email EMAIL {secrets}")
            lines.append(f"  python -m backend check --company {company}")
        lines.append(
            "Apps Script (appsscript/README.md): switch on the Apps Script API for your user at "
            "https://script.google.com/home/usersettings, then clasp push from the folder "
            f"whose Config.gs and appsscript.json name {base} (above), for the bound script or "
            "the Editor add-on (then its Marketplace SDK).")
        if not self.args.client_id:
            lines.append("ID_TOKEN_AUDIENCES is empty: every user is refused until you run "
                         "this again with --client-id (the add-on's or the script's OAuth "
                         "client id).")
        lines.append(f"Webhooks: HubSpot {base}/webhooks/hubspot/<company>, Stripe "
                     f"{base}/webhooks/stripe/<company>.")
        for line in lines:
            self.out(f"  {line}")


    def apps_script(self, base: str) -> None:
        """The backend's address where the script reads it (Config.gs) and where Apps Script
        allows calls (appsscript.json's urlFetchWhitelist): the deployer's, never the sidebar's."""
        folder = Path(self.args.appsscript_dir) if self.args.appsscript_dir else appsscript.FOLDER
        if self.dry:
            self.out(f"  write: {folder / appsscript.CONFIG} (DEPLOYED_BACKEND_URL = the app's "
                     f"https address) and the urlFetchWhitelist of {folder / appsscript.MANIFEST}")
            return
        for path in appsscript.write(folder, base):
            self.out(f"  write: {path} ({base})")


# --- helpers ---------------------------------------------------------------------------

def has_binding(policy, role: str, member: str) -> bool:
    for binding in (policy or {}).get("bindings", []):
        if binding.get("role") == role and member in binding.get("members", []) \
                and not binding.get("condition"):
            return True
    return False


def env_name(name: str) -> str:
    """As backend/secrets.py's EnvSecrets: maison-coworking-stripe-key -> MAISON_COWORKING_STRIPE_KEY."""
    return "".join(c if c.isalnum() else "_" for c in name).upper()


def load_secret_values(path: str | None, names: list[str], environ=os.environ,
                       stdin=sys.stdin) -> dict[str, str]:
    """The values given for `names`: from the JSON file (or stdin with -), else from the
    environment. Blank values count as not given."""
    given: dict[str, str] = {}
    if path:
        text = stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        try:
            raw = json.loads(text)
        except ValueError:
            # The parser's message may quote the file: say only where.
            raise OptionsError(f"--secrets-file {path}: not a JSON object") from None
        if not isinstance(raw, dict):
            raise OptionsError(f"--secrets-file {path}: not a JSON object")
        given = {k: v.strip() for k, v in raw.items() if isinstance(v, str) and v.strip()}
    for name in names:
        if name not in given and environ.get(env_name(name), "").strip():
            given[name] = environ[env_name(name)].strip()
    return {name: given[name] for name in names if name in given}


def through_proxy(url: str, port: int) -> str:
    """The unix-socket DATABASE_URL App Engine uses, pointed at the local proxy instead."""
    parts = urlsplit(url)
    auth = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""
    return f"{parts.scheme}://{auth}@127.0.0.1:{port}{parts.path}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(process: subprocess.Popen, port: int, argv, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandFailed(argv, process.returncode, proxy_log(process))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise CommandFailed(argv, -1, f"the proxy did not listen on port {port} within {timeout:.0f} s")


def proxy_log(process) -> str:
    log = getattr(process, "log", None)
    if log is None:
        return ""
    log.seek(0)
    return log.read()


def default_python() -> str:
    venv = appyaml.ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def main(argv: list[str] | None = None, runner: Runner | None = None,
         out: Callable[[str], None] | None = None) -> int:
    out = out or (lambda line: print(line, flush=True))
    try:
        args = options.parse(argv)
        names = [n for c in args.company for n in options.secret_names(c).values()]
        values = load_secret_values(args.secrets_file, names)
        if args.companies_file and not Path(args.companies_file).is_file():
            raise OptionsError(f"--companies-file {args.companies_file}: no such file")
        if args.appsscript_dir and not Path(args.appsscript_dir).is_dir():
            raise OptionsError(f"--appsscript-dir {args.appsscript_dir}: no such folder")
    except OptionsError as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 2
    runner = runner or (DryRun() if args.dry_run else Runner())
    setup = Setup(args, runner, out, values)
    if args.dry_run:
        out(f"Dry run for project {args.project}: nothing is run; every check is taken as "
            "'absent', so every step shows what it would create.")
    try:
        setup.run()
    except StepFailed as exc:
        print(f"deploy: stopped at {exc}\nFix the cause and run the same command again: "
              "what is already done is skipped.", file=sys.stderr)
        return 1
    out("Done." if not args.dry_run else "End of the dry run.")
    return 0
