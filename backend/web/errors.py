"""Errors as JSON with a French message, and nothing from inside: an unexpected exception is
logged (secrets scrubbed) and answered with a generic line."""

import logging

from flask import Flask
from werkzeug.exceptions import HTTPException

from backend.logs import stack
from backend.web.caller import error

log = logging.getLogger(__name__)

MESSAGES = {
    400: "Requête invalide.",
    404: "Adresse inconnue.",
    405: "Méthode non permise.",
    413: "Requête trop volumineuse.",
}


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        return error(status, "http_%d" % status, MESSAGES.get(status, "Erreur du serveur."))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.error("unexpected error: %s", stack())
        return error(500, "internal", "Erreur inattendue du serveur ; elle est enregistrée.")
