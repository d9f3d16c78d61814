"""RFC 9457 problem+json for every error a service returns."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """A business rule said no. Raised by use cases; turned into a 4xx problem by the web layer."""

    status = 422
    title = "Unprocessable request"

    def __init__(
        self, detail: str, *, errors: dict[str, Any] | None = None, status: int | None = None, code: str | None = None
    ):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.code = code
        if status is not None:
            self.status = status


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["instance"] = request.path if request else None
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)


def install_error_handlers(app: Flask) -> None:
    """Every 4xx/5xx leaves as problem+json; marshmallow field errors go under ``errors``."""

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Response:
        return problem(exc.status, exc.title, exc.detail, errors=exc.errors, code=exc.code)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError) -> Response:
        return problem(422, "Invalid request", "The request has invalid fields.", errors=exc.normalized_messages())  # type: ignore[no-untyped-call]

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        errors = None
        data = getattr(exc, "data", None) or {}
        messages = data.get("messages") if isinstance(data, dict) else None
        if messages:
            # flask-smorest nests field errors by location (json, query, headers): flatten one level.
            errors = messages.get("json", messages) if isinstance(messages, dict) else messages
        detail = data.get("message") if isinstance(data, dict) and data.get("message") else exc.description
        if exc.code == 422 and errors:
            detail = "The request has invalid fields."
        response = problem(exc.code or 500, exc.name, detail, errors=errors)
        valid_methods = getattr(exc, "valid_methods", None)
        if exc.code == 405 and valid_methods:
            response.headers["Allow"] = ", ".join(valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "Internal Server Error", "Something went wrong on our side; it has been logged.")
