"""How a job gets executed, once stored.

- `ThreadDispatcher` (local): a worker thread in this process.
- `InlineDispatcher` (tests): right away, in the caller's thread.
- `CloudTasksDispatcher` (App Engine): a Cloud Tasks HTTP task that POSTs the job id to
  `/tasks/run` with an OIDC token of a service account, so that the work runs in a request
  of its own that outlives the one that started it, on whichever instance, and is retried
  if that instance dies. The task is named after the job: Cloud Tasks refuses a second task
  of the same name, so a job cannot be queued twice.

A job may be dispatched `delay` seconds from now (a generation asked for by a Stripe webhook:
the rest of a burst of events lands while the job waits, queued, and is picked up by that one
run). Cloud Tasks schedules the task (`schedule_time`); the thread waits on a timer; the
inline dispatcher holds the job until the test says its time has come (`run_held`): the test
is the clock, so "a hundred events make one run" is shown without sleeping.

A job stopped by SIGTERM (the instance is going away) is retried by the queue where there is
one: `retries` says whether the dispatcher's queue runs a job again when the request that ran
it fails (Cloud Tasks does, with backoff); the others close it for a person to start again.

Why Cloud Tasks with an HTTP target rather than App Engine tasks trusting the
`X-AppEngine-QueueName` header: the OIDC token is verified by the same code as every other
caller (signature, audience, service account), wherever the backend runs; a header is only
as trustworthy as the front end that strips it from outside requests.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Protocol

from backend.jobs.model import Job

Execute = Callable[[str], None]
# Cloud Tasks gives an HTTP task at most this long; App Engine's automatic scaling ends a
# request at 10 minutes anyway.
DISPATCH_DEADLINE_SECONDS = 600


class Dispatcher(Protocol):
    retries: bool

    def dispatch(self, job: Job, execute: Execute, delay: float = 0.0) -> None: ...


class InlineDispatcher:
    retries = False

    def __init__(self) -> None:
        self.held: list[tuple[str, Execute]] = []      # (job id, execute), oldest first

    def dispatch(self, job: Job, execute: Execute, delay: float = 0.0) -> None:
        if delay > 0:
            self.held.append((job.id, execute))
            return
        execute(job.id)

    def run_held(self) -> list[str]:
        """Run the jobs held for later, oldest first (their delay is over); their ids."""
        ran = []
        while self.held:
            job_id, execute = self.held.pop(0)
            execute(job_id)
            ran.append(job_id)
        return ran


class ThreadDispatcher:
    retries = False      # the thread dies with the process: nobody would run the job again

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def dispatch(self, job: Job, execute: Execute, delay: float = 0.0) -> None:
        # A delayed job waits on a timer (a thread too, that `wait` joins). If the process
        # ends first, the job stays queued until it goes stale; the daily run catches up.
        if delay > 0:
            thread = threading.Timer(delay, execute, args=(job.id,))
            thread.name, thread.daemon = f"job-{job.id[:8]}-later", True
        else:
            thread = threading.Thread(target=execute, args=(job.id,), name=f"job-{job.id[:8]}",
                                      daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def wait(self, timeout: float = 30.0) -> None:
        """Until every job started so far is over (tests, shutdown)."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)


class CloudTasksDispatcher:
    retries = True       # a task whose request fails is tried again, with backoff

    def __init__(self, queue_path: str, target_url: str, service_account: str,
                 audience: str | None = None, client=None,
                 clock: Callable[[], float] = time.time) -> None:
        if not (queue_path and target_url and service_account):
            raise ValueError("Cloud Tasks needs TASKS_QUEUE, TASKS_URL and TASKS_SERVICE_ACCOUNT")
        self.queue_path = queue_path      # projects/P/locations/L/queues/Q
        self.url = target_url.rstrip("/") + "/tasks/run"
        self.service_account = service_account
        self.audience = audience or target_url.rstrip("/")
        self._client = client
        self.clock = clock

    def _tasks_client(self):
        if self._client is None:
            from google.cloud import tasks_v2
            self._client = tasks_v2.CloudTasksClient()
        return self._client

    def task(self, job: Job, delay: float = 0.0) -> dict:
        """The task, as a dict in the shape of google.cloud.tasks_v2.Task; a delayed one has a
        `schedule_time` (a protobuf Timestamp: when Cloud Tasks is to attempt it)."""
        task = {
            "name": f"{self.queue_path}/tasks/job-{job.id}",
            "dispatch_deadline": {"seconds": DISPATCH_DEADLINE_SECONDS},
            "http_request": {
                "http_method": "POST",
                "url": self.url,
                "headers": {"Content-Type": "application/json"},
                "body": json.dumps({"job_id": job.id}).encode(),
                "oidc_token": {"service_account_email": self.service_account,
                               "audience": self.audience},
            },
        }
        if delay > 0:
            at = self.clock() + delay
            task["schedule_time"] = {"seconds": int(at), "nanos": int(at % 1 * 1e9)}
        return task

    def dispatch(self, job: Job, execute: Execute, delay: float = 0.0) -> None:
        self._tasks_client().create_task(request={"parent": self.queue_path,
                                                  "task": self.task(job, delay)})
