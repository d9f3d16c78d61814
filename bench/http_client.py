"""A lean keep-alive JSON client for the load generators.

``requests`` costs about a millisecond of client CPU per call; with eight counters on a 2-core machine that
is CPU taken from the stack under test. This client is one ``http.client`` connection per counter.
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit


class Response:
    def __init__(self, status: int, body: bytes):
        self.status_code, self.content = status, body

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)


class JsonClient:
    """``get``/``post`` against one base URL over one persistent connection (reconnects once if it dropped)."""

    def __init__(self, base_url: str, headers: dict | None = None):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.headers = dict(headers or {})
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self._request("GET", path, None, headers)

    def post(self, path: str, body, headers: dict | None = None) -> Response:
        return self._request("POST", path, json.dumps(body).encode(), headers)

    def _request(self, method: str, path: str, body: bytes | None, headers: dict | None) -> Response:
        all_headers = {**self.headers, **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body, all_headers)
                response = self.connection.getresponse()
                return Response(response.status, response.read())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")
