"""The Flask backend (application factory). Its action blueprints arrive with the sidebar;
for now it answers the health check App Engine and the deploy steps rely on."""

from __future__ import annotations

from flask import Flask, jsonify


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(config or {})

    @app.get("/healthz")
    def health():
        return jsonify(status="ok")

    return app
