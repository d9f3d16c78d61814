"""The gateway's ``/readyz``: its own database and Redis, plus every downstream service's ``/readyz``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import cast

import requests
from flask import Flask, Response, current_app, jsonify

from services.gateway.proxy import PROXIED_SERVICES, http_session
from shared.errors import problem

DOWNSTREAM_TIMEOUT_SECONDS = 2.0


def _downstream_status(session: requests.Session, base_url: str) -> str:
    try:
        response = session.get(base_url.rstrip("/") + "/readyz", timeout=DOWNSTREAM_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok" if response.status_code == 200 else f"error: HTTP {response.status_code}"


def include_downstream_services(app: Flask) -> None:
    """Wrap the standard ``/readyz`` so it also asks each service (in parallel); 200 only when all are ready."""
    own_readiness = app.view_functions["readyz"]

    def readyz() -> Response:
        """The gateway's database and Redis answer, and inventory, pos and suppliers are all ready."""
        own = cast(Response, own_readiness())  # shared.web's readyz answers a Response
        checks = dict((own.get_json() or {}).get("checks", {}))
        urls = current_app.config["SENTRA_SETTINGS"].service_urls
        session = http_session()
        with ThreadPoolExecutor(max_workers=len(PROXIED_SERVICES)) as pool:
            results = pool.map(lambda name: (name, _downstream_status(session, urls[name])), PROXIED_SERVICES)
            checks.update(results)
        if all(value == "ok" for value in checks.values()):
            return jsonify(status="ready", service="gateway", checks=checks)
        return problem(503, "Service Unavailable", "A dependency is not ready.", checks=checks)

    app.view_functions["readyz"] = readyz
