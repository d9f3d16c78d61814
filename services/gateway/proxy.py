"""``/api/<service>/<path>``: forwards a request to inventory, pos or suppliers and streams the answer back.

Forwarded: method, query string, body, ``Content-Type``, ``Accept``, ``Idempotency-Key``, ``X-Request-ID``
(made here when absent) and, for a caller with a token (from the header, or from the ``sentra_token`` cookie for the
web pages), a short-lived access token minted from their live session as ``Authorization: Bearer`` (the services
never see the login token). A request carrying a token must carry a valid token of an active user; a request
without one is forwarded as it is (every service authenticates its endpoints itself, and a
payment provider's callback carries its own signature). Returned: status, body (streamed) and the headers a
client needs (``Content-Type``, ``Content-Disposition``, ``Content-Length``, ``Location``, ``Retry-After``,
``Cache-Control``, ``ETag``, ``Allow``, ``X-Request-ID``).
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import requests
from flask import Blueprint, Response, current_app, g, request
from requests.adapters import HTTPAdapter

from services.gateway.sessions import access_token, optional_caller
from shared.errors import problem

log = logging.getLogger(__name__)

PROXIED_SERVICES = ("inventory", "pos", "suppliers")
FORWARDED_REQUEST_HEADERS = (
    "Content-Type",
    "Accept",
    "Accept-Language",
    "Idempotency-Key",
    "If-None-Match",
    "If-Match",
    # The QRIS provider's signed callback reaches POS through the gateway (the one public URL).
    "X-QRIS-Timestamp",
    "X-QRIS-Nonce",
    "X-QRIS-Signature",
)
RETURNED_RESPONSE_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "Location",
    "Retry-After",
    "Cache-Control",
    "ETag",
    "Allow",
    "Last-Modified",
    "Content-Language",
)
CONNECT_TIMEOUT_SECONDS = 3.0
READ_TIMEOUT_SECONDS = 30.0
CHUNK_BYTES = 64 * 1024
_SAFE_PATH_CHARACTERS = "/:@!$&'()*+,;=-._~"

blp = Blueprint("proxy", __name__)


#: Operator endpoints (metrics, API docs): read on the internal network, never through the public gateway in
#: production.
INTERNAL_PATHS = ("metrics", "docs", "openapi.json")


def refuse_internal_paths() -> Response | None:
    """(Production, before every request) 404 for the gateway's own operator endpoints and for the services'
    behind ``/api/<service>/``."""
    parts = request.path.strip("/").split("/")
    own = parts[0] in INTERNAL_PATHS
    proxied = len(parts) >= 3 and parts[0] == "api" and parts[1] in PROXIED_SERVICES and parts[2] in INTERNAL_PATHS
    if own or proxied:
        return problem(404, "Not Found", "Operator endpoints are not served on the public address.")
    return None


def make_http_session(pool_size: int = 32) -> requests.Session:
    """One pooled session per app for calls to the services (no automatic retries: a checkout is not
    retried behind the caller's back; the caller retries with the same Idempotency-Key)."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=len(PROXIED_SERVICES) + 1, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = False
    return session


def http_session() -> requests.Session:
    return current_app.extensions["gateway_http"]


def _outgoing_headers() -> dict[str, str]:
    headers = {name: request.headers[name] for name in FORWARDED_REQUEST_HEADERS if name in request.headers}
    headers["X-Request-ID"] = g.request_id
    headers["X-Forwarded-For"] = request.remote_addr or ""
    headers["X-Forwarded-Host"] = request.host
    caller = optional_caller()
    if caller is not None:
        headers["Authorization"] = f"Bearer {access_token(caller)}"
    return headers


def _returned_headers(upstream: requests.Response) -> dict[str, str]:
    headers = {name: upstream.headers[name] for name in RETURNED_RESPONSE_HEADERS if name in upstream.headers}
    if "Content-Length" in upstream.headers and "Content-Encoding" not in upstream.headers:
        headers["Content-Length"] = upstream.headers["Content-Length"]
    return headers


@blp.route("/api/<service>", defaults={"path": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"])
@blp.route("/api/<service>/<path:path>", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"])
def forward(service: str, path: str):
    """Forward to ``service_urls[service] + "/" + path`` (404 for an unknown service, 502/504 when it fails)."""
    base = current_app.config["SENTRA_SETTINGS"].service_urls.get(service)
    if service not in PROXIED_SERVICES or not base:
        return problem(404, "Not Found", f"There is no service {service!r} behind /api.")
    if any(segment in ("..", ".") for segment in path.split("/")):
        return problem(404, "Not Found", "Path segments '.' and '..' are not allowed.")
    url = base.rstrip("/") + "/" + quote(path, safe=_SAFE_PATH_CHARACTERS)
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    headers = _outgoing_headers()
    try:
        upstream = http_session().request(
            request.method,
            url,
            headers=headers,
            data=request.get_data(cache=False) or None,
            stream=True,
            allow_redirects=False,
            timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
        )
    except requests.Timeout as exc:
        log.warning("%s %s: %s timed out (%s)", request.method, request.path, service, exc.__class__.__name__)
        if isinstance(exc, requests.ConnectTimeout):
            return problem(502, "Bad Gateway", f"The {service} service is not reachable.", service=service)
        return problem(504, "Gateway Timeout", f"The {service} service did not answer in time.", service=service)
    except requests.RequestException as exc:
        log.warning("%s %s: %s unreachable (%s)", request.method, request.path, service, exc.__class__.__name__)
        return problem(502, "Bad Gateway", f"The {service} service is not reachable.", service=service)

    def body():
        try:
            yield from upstream.iter_content(CHUNK_BYTES)
        finally:
            upstream.close()

    return Response(body(), status=upstream.status_code, headers=_returned_headers(upstream), direct_passthrough=True)
