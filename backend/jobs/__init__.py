"""Actions run as background jobs, one at a time per company, their progress stored so that
the sidebar can show it.

- `actions.py`: the table of actions (name -> label, stages, function(connections, progress)
  -> report with .french() and .summary()); adding an action is one entry there.
- `connections.py`: what an action gets: the company's sheet, Stripe, ledger store, settings
  (read from the sheet's Paramètres tab) and secrets, opened lazily.
- `runner.py`: starts a job (or answers the company's running one) and executes it.
- `model.py`, `store.py`, `sql_store.py`: a job, the job store port, its in-memory and SQL
  (SQLite/PostgreSQL) adapters.
- `dispatch.py`: how a job gets executed: a worker thread locally, Cloud Tasks on App Engine.
- `failures.py`: what the accountant reads when a job fails.
"""
