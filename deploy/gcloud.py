"""How commands are run: a `Runner` (subprocess) or a `DryRun` (prints, runs nothing), and
`Gcloud`, which adds the project to every gcloud command and tells a check from an action.

A check (`describe`, `list`, `get-iam-policy`) answers JSON, or None when the thing does not
exist; an action creates or changes something. Any other failure stops the script with
`CommandFailed`, which names the command (never a secret: values go on stdin or in a
private flags file, never in argv).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# gcloud's words for "there is no such thing" across the services used here (HTTP 404,
# NOT_FOUND, "does not exist", IAM's "Unknown service account", App Engine's "not found").
_ABSENT = re.compile(r"not[ _]?found|does not exist|\b404\b|unknown service account",
                     re.IGNORECASE)


class CommandFailed(RuntimeError):
    def __init__(self, argv: Sequence[str], code: int, stderr: str) -> None:
        last = [line for line in stderr.strip().splitlines() if line.strip()][-3:]
        super().__init__(f"`{shlex.join(argv)}` failed (exit {code})"
                         + (":\n  " + "\n  ".join(last) if last else ""))
        self.argv = list(argv)
        self.code = code


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


class Runner:
    """Runs commands for real."""

    dry_run = False

    def run(self, argv: Sequence[str], stdin: str | None = None,
            env: dict[str, str] | None = None, cwd: str | None = None) -> Result:
        try:
            done = subprocess.run(list(argv), input=stdin, capture_output=True, text=True,
                                  env=env, cwd=cwd, check=False)
        except FileNotFoundError:
            raise CommandFailed(argv, 127, f"{argv[0]}: not found on PATH") from None
        return Result(done.returncode, done.stdout, done.stderr)

    def start(self, argv: Sequence[str]) -> subprocess.Popen:
        """A long-running helper (the Cloud SQL Auth Proxy); the caller stops it."""
        # Its log goes to a file, not a pipe nobody reads (a full pipe would block it).
        log = tempfile.TemporaryFile("w+", encoding="utf-8")   # noqa: SIM115 (closed by the caller)
        try:
            process = subprocess.Popen(list(argv), stdout=log, stderr=subprocess.STDOUT)
            process.log = log
            return process
        except FileNotFoundError:
            log.close()
            raise CommandFailed(argv, 127, f"{argv[0]}: not found on PATH") from None


class DryRun(Runner):
    """Runs nothing: every check answers "absent", so the plan shows every step."""

    dry_run = True

    def run(self, argv, stdin=None, env=None, cwd=None) -> Result:
        return Result(1, "", "NOT_FOUND (dry run)")

    def start(self, argv):
        raise AssertionError("nothing is started in a dry run")


class Gcloud:
    def __init__(self, runner: Runner, project: str, out: Callable[[str], None],
                 executable: str = "gcloud") -> None:
        self.runner = runner
        self.project = project
        self.out = out
        self.executable = executable

    def _argv(self, args: Sequence[str]) -> list[str]:
        return [self.executable, *args, f"--project={self.project}"]

    def check(self, args: Sequence[str]):
        """The JSON gcloud answers, or None if the thing does not exist."""
        argv = [*self._argv(args), "--format=json"]
        self.out(f"  check: {shlex.join(argv)}")
        result = self.runner.run(argv)
        if result.code != 0:
            if _ABSENT.search(result.stderr):
                return None
            raise CommandFailed(argv, result.code, result.stderr)
        return json.loads(result.stdout or "null")

    def read(self, args: Sequence[str], what: str) -> str:
        """A value gcloud prints that must not be shown (a secret): printed as `what`."""
        argv = self._argv(args)
        self.out(f"  read:  {shlex.join(argv)}  ({what}, not shown)")
        if self.runner.dry_run:
            return ""
        result = self.runner.run(argv)
        if result.code != 0:
            raise CommandFailed(argv, result.code, result.stderr)
        return result.stdout

    def act(self, args: Sequence[str], stdin: str | None = None, note: str = "") -> str:
        """Create or change something; `stdin` carries a secret value, never printed."""
        argv = [*self._argv(args), "--quiet"]
        self.out(f"  run:   {shlex.join(argv)}" + (f"  ({note})" if note else ""))
        result = self.runner.run(argv, stdin=stdin)
        if result.code != 0:
            if self.runner.dry_run:
                return ""
            raise CommandFailed(argv, result.code, result.stderr)
        return result.stdout

    def act_with_flags_file(self, args: Sequence[str], flags: dict[str, str],
                            note: str) -> str:
        """An action whose flags hold a secret (a database password): they go in a YAML/JSON
        flags file readable by us only, deleted right after, so that the value is in no argv
        (which other users of the machine can read).
        https://cloud.google.com/sdk/gcloud/reference/topic/flags-file"""
        if self.runner.dry_run:
            return self.act([*args, "--flags-file=PRIVATE_FILE"], note=note)
        fd, path = tempfile.mkstemp(prefix="deploy-flags-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:   # mkstemp: mode 0600
                json.dump(flags, f)
            return self.act([*args, f"--flags-file={path}"], note=note)
        finally:
            os.unlink(path)
