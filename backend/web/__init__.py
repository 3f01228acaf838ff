"""The Flask backend: the application factory, one blueprint per area.

- health (`/healthz`): the only route without a caller;
- actions (`POST /actions/<name>`): start an action as a background job;
- jobs (`GET /jobs/<id>`, `GET /jobs/<id>/files/<name>`, `GET /status`): progress, results,
  exports, the company's status;
- service (`POST /tasks/run`, `POST /scheduler/generate`): Cloud Tasks and Cloud Scheduler;
- preview (`/preview/...`): the local preview, registered only when PREVIEW is set
  (`python -m backend.web.preview`), never in production.

Settings come from the environment (backend/web/config.py) and the `config` argument, which
wins (tests and the preview pass ready-made collaborators there: see backend/web/services.py).
App Engine starts it with gunicorn: `backend.web:create_app()` (app.yaml).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Flask


def create_app(config: Mapping | None = None) -> Flask:
    from backend.logs import configure as configure_logs
    from backend.web import actions, errors, health, jobs, service, webhooks
    from backend.web.config import public_base_url, settings_from_env
    from backend.web.services import Backend

    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(settings_from_env())
    if config:
        app.config.update(config)
    if app.config["PRODUCTION"] and app.config["PREVIEW"]:
        raise RuntimeError("the local preview is never served in production")
    if app.config["PRODUCTION"]:
        # App Engine sends stderr to Cloud Logging: who did what (never a token or a secret),
        # one JSON object a line, request values escaped and cut (backend/logs.py). Under
        # gunicorn its logconfig_dict has set this up already: configure() then adds nothing.
        configure_logs(logging.INFO, json_lines=True)
    try:
        # A mistyped address would refuse every HubSpot delivery: said at deploy, not later.
        public = public_base_url(app.config)
    except ValueError as exc:
        raise RuntimeError(f"{exc}: it is the https address HubSpot and Stripe call") from None
    if public is None and app.config["PRODUCTION"]:
        logging.getLogger(__name__).warning(
            "neither PUBLIC_BASE_URL nor SERVICE_AUDIENCE is the service's https address: "
            "HubSpot webhook deliveries will be answered 503 until one is set")
    app.json.ensure_ascii = False
    app.extensions["journal"] = Backend(app.config)
    errors.register(app)
    for blueprint in (health.bp, actions.bp, jobs.bp, service.bp, webhooks.bp):
        app.register_blueprint(blueprint)
    if app.config["PREVIEW"]:
        from backend.web.preview import bp as preview
        app.register_blueprint(preview)
    return app
