"""gunicorn's settings for the backend (app.yaml: `gunicorn --config python:backend.jobs.gunicorn_conf ...`):
the server hooks that end running jobs cleanly on SIGTERM (backend/jobs/shutdown.py). Every
other setting stays on app.yaml's command line.

Only names gunicorn knows as settings may be defined here: it reads every one of them.
"""

from backend.jobs.shutdown import post_worker_init, worker_exit  # noqa: F401 (gunicorn hooks)
