"""The Flask app every service starts from: OpenAPI, problem+json errors, health, metrics, request ids, logs."""

from __future__ import annotations

import http
import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import redis
from flask import Flask, Request, Response, g, jsonify, request, send_from_directory, stream_with_context
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram, generate_latest
from sqlalchemy import text
from swagger_ui_bundle import swagger_ui_path

from shared.celery_factory import QUEUE_DRAINED_KEY, QUEUE_STALLED_AFTER, SWEEPING_SERVICES
from shared.errors import PROBLEM_JSON, install_error_handlers, problem
from shared.logs import request_id_var
from shared.messaging import BACKLOG_METRICS
from shared.runtime import EXTENSION_KEY, Runtime

#: The largest request body a service reads (a bigger one is a 413 before it is read).
MAX_REQUEST_BYTES = 1024 * 1024
#: The deepest a JSON body may nest arrays and objects (no request schema comes near it).
MAX_JSON_DEPTH = 32

#: Where ``/docs`` loads Swagger UI from: the files of the installed ``swagger-ui-bundle`` package, served by the
#: service itself, so the API docs work on a LAN without internet.
SWAGGER_UI_ASSETS = "/docs/assets/"


class CheckedBodyRequest(Request):
    """A request whose JSON body, once the body check (:func:`_install_json_body_check`) parsed it strictly,
    answers that parse to :meth:`get_json` (webargs, an idempotency fingerprint): a body is parsed once."""

    #: The body as the check parsed it (``...`` until then, or when the operation takes no JSON body).
    checked_json: Any = ...

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if self.checked_json is not ...:
            return self.checked_json
        return super().get_json(force=force, silent=silent, cache=cache)


class ProblemOut(Schema):
    """An RFC 9457 problem, as every 4xx/5xx answer carries it (``application/problem+json``)."""

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    code = fields.String(metadata={"description": "The service's name for the refusal, when it has one"})
    errors = fields.Dict(metadata={"description": "Field errors, by field name (nested for nested fields)"})


class ServiceApi(Api):  # type: ignore[misc]  # flask-smorest ships no type information
    """flask-smorest's Api documenting every error response as ``application/problem+json``, and writing the API
    description when it is first read rather than while the app is built.

    Turning every view's schemas and every status's response into OpenAPI was most of what building an app cost
    (a third of a second for a service, paid again by every test that builds one), and only ``/openapi.json``,
    ``/docs`` and the tests that read them need it; the views answer the same either way."""

    ERROR_SCHEMA = ProblemOut

    def __init__(self, app: Flask) -> None:
        self._undocumented: list[Callable[[Any], None]] = []
        self._documenting = threading.RLock()  # documenting reads spec itself
        self._failure: Exception | None = None
        super().__init__(app)

    @property
    def spec(self) -> Any:
        """The API description, with everything registered so far documented in it. Should documenting fail (a
        schema apispec cannot describe), every later read fails the same way rather than answer part of it."""
        with self._documenting:
            if self._failure is not None:
                raise self._failure
            pending, self._undocumented = self._undocumented, []
            try:
                for document in pending:
                    document(self._spec)
            except Exception as exc:
                self._failure = exc
                raise
        return self._spec

    @spec.setter
    def spec(self, value: Any) -> None:
        self._spec = value

    def register_blueprint(self, blp: Blueprint, *, parameters: Any = None, **options: Any) -> None:
        """Register ``blp``'s views on the app now; document them when :attr:`spec` is next read."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)

        def document(spec: Any) -> None:
            blp.register_views_in_doc(self, self._app, spec, name=name, parameters=parameters)
            spec.tag({"name": name, "description": blp.description})

        self._undocumented.append(document)

    def _register_responses(self) -> None:
        self._undocumented.append(self._document_responses)

    def _register_etag_headers(self) -> None:
        self._undocumented.append(lambda spec: super(ServiceApi, self)._register_etag_headers())

    def _register_pagination_header(self) -> None:
        self._undocumented.append(lambda spec: super(ServiceApi, self)._register_pagination_header())

    def _document_responses(self, spec: Any) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            content_type = PROBLEM_JSON if status >= 400 else self.DEFAULT_RESPONSE_CONTENT_TYPE
            prepare_response(response, spec, content_type)
            spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, spec, PROBLEM_JSON)
        spec.components.response("DEFAULT_ERROR", response, lazy=True)


def create_service_app(
    runtime: Runtime, title: str, blueprints: Iterable[Blueprint] = (), *, description: str = ""
) -> Flask:
    """A Flask app for ``runtime``'s service with its flask-smorest blueprints registered."""
    settings = runtime.settings
    app = Flask(f"sentra.{settings.service}")
    app.request_class = CheckedBodyRequest
    app.config.update(
        SENTRA_SETTINGS=settings,
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=SWAGGER_UI_ASSETS,
        API_SPEC_OPTIONS={
            "info": {"description": description},
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
            },
            "security": [{"bearerAuth": []}],
        },
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
    )
    app.extensions[EXTENSION_KEY] = runtime
    api = ServiceApi(app)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    install_error_handlers(app)
    _install_security_headers(app)
    _install_swagger_ui_assets(app)
    _install_request_ids(app)
    _install_json_body_check(app)
    _install_health(app, runtime)
    return app


def json_array_stream(items: Iterable[dict[str, Any]]) -> Response:
    """A response that streams ``items`` as one JSON array while they are produced (pass a generator that
    reads the database batch by batch, so a long period never sits in memory).

    The first item is produced before the response starts, so a query that fails at once (a bad cursor, a
    database error) is a problem+json answer, not a 200 that sends ``[`` and drops. A failure later in the
    stream is logged and cuts the array short (the client sees invalid JSON, never a complete-looking one)."""
    iterator = iter(items)
    first = next(iterator, _NOTHING)

    def generate() -> Iterator[str]:
        if first is _NOTHING:
            yield "[]"
            return
        yield "[" + json.dumps(first)
        try:
            for item in iterator:
                yield "," + json.dumps(item)
        except Exception:
            logging.getLogger(__name__).exception("stream of %s failed part way", request.path)
            raise
        yield "]"

    return Response(stream_with_context(generate()), mimetype="application/json")


_NOTHING: Any = object()


def primed_stream(chunks: Iterable[str], mimetype: str, headers: dict[str, str] | None = None) -> Response:
    """A streamed response of ``chunks`` whose first chunk is produced before the response starts, so that a
    failure at once is a problem+json answer rather than a 200 with a broken body."""
    iterator = iter(chunks)
    first = next(iterator, "")

    def generate() -> Iterator[str]:
        yield first
        yield from iterator

    return Response(stream_with_context(generate()), mimetype=mimetype, headers=headers)


class BadJson(ValueError):
    """A request body that is not a JSON document a service takes."""


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise BadJson("A number in the body is too large.")
    return number


def _no_constant(name: str) -> Any:
    raise BadJson(f"{name} is not JSON.")


def parse_json_body(raw: bytes) -> Any:
    """The JSON document in ``raw`` (UTF-8), or :class:`BadJson`: invalid UTF-8 or JSON, ``NaN``/``Infinity``, a
    number too large for a float, or arrays/objects nested deeper than :data:`MAX_JSON_DEPTH`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadJson("The body is not valid UTF-8.") from None
    try:
        document = json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:
        raise BadJson(f"The body nests deeper than {MAX_JSON_DEPTH} levels.") from None
    except BadJson:
        raise
    except ValueError as exc:
        raise BadJson(f"The body is not valid JSON: {exc}") from None
    _check_depth(document)
    return document


def _check_depth(document: Any) -> None:
    """Refuse nesting beyond :data:`MAX_JSON_DEPTH` (walked with a stack, never with recursion)."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise BadJson(f"The body nests deeper than {MAX_JSON_DEPTH} levels.")
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def _takes_json_body(app: Flask, endpoint: str, method: str) -> bool:
    """Whether the operation ``method`` on ``endpoint`` declares a JSON body (``@blp.arguments`` in ``json``)."""
    view = app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, method.lower(), None) if view_class else view
    parameters = getattr(handler, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return any(isinstance(p, dict) and p.get("in") == "json" for p in parameters)


def _install_json_body_check(app: Flask) -> None:
    """An operation that takes a JSON body gets exactly one, or a problem before anything runs: 415 for another
    content type (a form or text is not read as ``{}``), 400 for an empty body (send ``{}`` for "no fields"),
    invalid UTF-8 or JSON, or nesting deeper than :data:`MAX_JSON_DEPTH`; 413 beyond ``MAX_CONTENT_LENGTH``."""

    takes_json_body: dict[tuple[str, str], bool] = {}  # by (endpoint, method): the views are fixed once built

    @app.before_request
    def _json_body() -> Response | None:
        if "\x00" in request.path:  # a NUL in a path parameter: no database stores it (PostgreSQL refuses it)
            return problem(400, "Bad Request", "The address contains a NUL character.")
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        operation = (request.endpoint or "", request.method)
        if operation not in takes_json_body:
            takes_json_body[operation] = _takes_json_body(app, *operation)
        if not takes_json_body[operation]:
            return None
        mimetype = request.mimetype
        if not (mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))):
            return problem(
                415,
                "Unsupported Media Type",
                "This operation takes a JSON body (Content-Type: application/json).",
            )
        raw = request.get_data(cache=True)
        if not raw.strip():
            return problem(400, "Bad Request", "This operation takes a JSON body; send {} when no field is needed.")
        try:
            request.checked_json = parse_json_body(raw)  # type: ignore[attr-defined]  # a CheckedBodyRequest
        except BadJson as exc:
            return problem(400, "Bad Request", str(exc))
        return None


#: Pages load scripts, styles and images only from their own origin and are never framed. The docs page runs
#: Swagger UI's inline start-up script, so only it may run inline scripts.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")


def _install_security_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        docs = request.path.rstrip("/") == "/docs"
        response.headers.setdefault(
            "Content-Security-Policy", DOCS_CONTENT_SECURITY_POLICY if docs else CONTENT_SECURITY_POLICY
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def _install_swagger_ui_assets(app: Flask) -> None:
    @app.get(SWAGGER_UI_ASSETS + "<path:filename>")
    def swagger_ui_asset(filename: str) -> Response:
        """The Swagger UI files ``/docs`` uses (from the installed swagger-ui-bundle package)."""
        return send_from_directory(swagger_ui_path, filename, max_age=86400)


def _install_request_ids(app: Flask) -> None:
    latency = Histogram(
        "sentra_http_request_seconds",
        "HTTP request latency",
        ["method", "endpoint", "status"],
        registry=app.extensions.setdefault("metrics_registry", CollectorRegistry()),
    )
    log = logging.getLogger(f"{app.name}.http")

    @app.before_request
    def _start() -> None:
        g.request_id = request.headers.get("X-Request-ID") or str(uuid.uuid4())
        g.request_token = request_id_var.set(g.request_id)
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        response.headers["X-Request-ID"] = g.get("request_id", "")
        latency.labels(request.method, request.endpoint or "unknown", response.status_code).observe(elapsed)
        if request.endpoint not in ("healthz", "readyz", "metrics"):
            level = logging.ERROR if response.status_code >= 500 else logging.INFO
            log.log(level, "%s %s %s %.1fms", request.method, request.path, response.status_code, elapsed * 1000)
        return response


def _queue_check(client: redis.Redis, service: str) -> str:
    """``ok`` unless the service's worker last drained its queue too long ago (a worker that went quiet)."""
    stamp: bytes | None = client.get(QUEUE_DRAINED_KEY.format(service=service))  # type: ignore[assignment]
    if stamp is None:
        return "ok"  # no sweep seen yet: the platform is starting
    age = time.time() - float(stamp)
    return "ok" if age < QUEUE_STALLED_AFTER.total_seconds() else f"error: not drained for {age:.0f}s"


def _outbox_state(runtime: Runtime) -> dict[str, dict[str, float]]:
    """``{"outbox": {...}}``: the age of the oldest row a consumer has not confirmed, and the other backlog
    figures (shown by readiness, not judged: a consumer that is down is not this service's unreadiness)."""
    if runtime.messaging is None:
        return {}
    try:
        with runtime.session_factory() as session:
            return {"outbox": runtime.messaging.backlog(session)}
    except Exception:
        return {}


def _install_health(app: Flask, runtime: Runtime) -> None:
    registry = app.extensions["metrics_registry"]
    service = runtime.settings.service
    gauges = {key: Gauge(f"sentra_{key}", help_text, registry=registry) for key, help_text in BACKLOG_METRICS.items()}

    @app.get("/healthz")
    def healthz() -> Response:
        """The process is up."""
        return jsonify(status="ok", service=service)

    @app.get("/readyz")
    def readyz() -> Response:
        """The database and Redis answer, and the service's worker keeps draining its queue."""
        checks = {}
        try:
            with runtime.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {exc.__class__.__name__}"
        try:
            client = redis.Redis.from_url(runtime.settings.redis_url, socket_timeout=1, socket_connect_timeout=1)
            client.ping()
            checks["redis"] = "ok"
            if service in SWEEPING_SERVICES:
                checks["queue"] = _queue_check(client, service)
            client.close()
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
        outbox = _outbox_state(runtime) if checks["database"] == "ok" else {}
        if all(v == "ok" for v in checks.values()):
            return jsonify(status="ready", service=service, checks=checks, **outbox)
        return problem(503, "Service Unavailable", "A dependency is not reachable.", checks=checks, **outbox)

    @app.get("/metrics")
    def metrics() -> Response:
        """Prometheus metrics: request latency, outbox backlog and age, open dead letters."""
        if runtime.messaging is not None:
            with runtime.session_factory() as session:
                for key, value in runtime.messaging.backlog(session).items():
                    gauges[key].set(value)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
