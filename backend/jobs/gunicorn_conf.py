"""gunicorn's settings for the backend (app.yaml: `gunicorn --config python:backend.jobs.gunicorn_conf ...`):
the server hooks that end running jobs cleanly on SIGTERM (backend/jobs/shutdown.py) and the
log set-up (backend/logs.py). Every other setting stays on app.yaml's command line.

Only names gunicorn knows as settings may be defined here: it reads every one of them (it skips
others, such as the imported helper).
"""

import logging

from backend.jobs.shutdown import post_worker_init, worker_exit  # noqa: F401 (gunicorn hooks)
from backend.logs import gunicorn_logconfig

# Its error log and the app's records as JSON lines on stderr, request values escaped and cut
# (backend/logs.py); its access log off (App Engine writes the request log).
logconfig_dict = gunicorn_logconfig()
logging.captureWarnings(True)    # Python's warnings as records too, not raw stderr lines
