"""Sets up a Google Cloud project for the backend, end to end: `python -m deploy --project P`.

Stdlib only, so that it runs before any virtualenv exists. Every step checks what exists
(`describe`/`list`) and creates only what is missing; `--dry-run` prints the plan. See
deploy/README.md.
"""
