"""The health check: the one route that needs no caller (App Engine and the deploy steps use
it). It answers without touching the database or any service."""

from flask import Blueprint, jsonify

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def health():
    return jsonify(status="ok")
