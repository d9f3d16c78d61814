"""The pages' calls to the services: their HTTP APIs with the caller's access token, as ``/api/...`` forwards.

A failure arrives as :class:`ServiceProblem` holding the service's problem+json, which
:mod:`services.gateway.problems` turns into sentences in the page's language.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from flask import current_app, g, request

from services.gateway.proxy import CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS, http_session
from services.gateway.sessions import access_token, current_caller

log = logging.getLogger(__name__)


class ServiceProblem(Exception):
    """A service said no (4xx/5xx) or could not be reached (status 502/504, ``code`` ``service_unreachable``)."""

    def __init__(self, status: int, body: dict[str, Any] | None, service: str):
        self.status = status
        self.body = body or {}
        self.service = service
        super().__init__(f"{service}: {status} {self.body.get('detail') or self.body.get('title') or ''}")

    @property
    def code(self) -> str | None:
        return self.body.get("code")

    @property
    def errors(self) -> dict[str, Any]:
        errors = self.body.get("errors")
        return errors if isinstance(errors, dict) else {}


def call(service: str, method: str, path: str, *, json: Any = None, params: dict | None = None) -> Any:
    """``method`` ``path`` on ``service`` as the logged-in user; the decoded JSON answer (``None`` when empty)."""
    response = raw_call(service, method, path, json=json, params=params)
    return response.json() if response.content else None


def raw_call(service: str, method: str, path: str, *, json: Any = None, params: dict | None = None):
    """Like :func:`call` but the :class:`requests.Response` itself (for PDF and CSV bodies)."""
    base = current_app.config["SENTRA_SETTINGS"].service_urls[service]
    headers = {
        "Authorization": f"Bearer {access_token(current_caller())}",
        "Accept": "application/json",
        "X-Request-ID": g.get("request_id", ""),
        "X-Forwarded-For": request.remote_addr or "",
    }
    try:
        response = http_session().request(
            method,
            base.rstrip("/") + path,
            json=json,
            params=params,
            headers=headers,
            timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
        )
    except requests.Timeout:
        raise ServiceProblem(504, {"code": "service_unreachable"}, service) from None
    except requests.RequestException:
        raise ServiceProblem(502, {"code": "service_unreachable"}, service) from None
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            body = {}
        log.info("%s %s on %s: %s %s", method, path, service, response.status_code, body.get("code"))
        raise ServiceProblem(response.status_code, body if isinstance(body, dict) else {}, service)
    return response
