"""The Flask app every service starts from: OpenAPI, problem+json errors, health, metrics, request ids, logs."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import redis
from flask import Flask, Response, g, jsonify, request, send_from_directory, stream_with_context
from flask_smorest import Api, Blueprint
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram, generate_latest
from sqlalchemy import text
from swagger_ui_bundle import swagger_ui_path

from shared.celery_factory import QUEUE_DRAINED_KEY, QUEUE_STALLED_AFTER, SWEEPING_SERVICES
from shared.errors import install_error_handlers, problem
from shared.logs import request_id_var
from shared.messaging import BACKLOG_METRICS
from shared.runtime import EXTENSION_KEY, Runtime

#: Where ``/docs`` loads Swagger UI from: the files of the installed ``swagger-ui-bundle`` package, served by the
#: service itself, so the API docs work on a LAN without internet.
SWAGGER_UI_ASSETS = "/docs/assets/"


def create_service_app(
    runtime: Runtime, title: str, blueprints: Iterable[Blueprint] = (), *, description: str = ""
) -> Flask:
    """A Flask app for ``runtime``'s service with its flask-smorest blueprints registered."""
    settings = runtime.settings
    app = Flask(f"sentra.{settings.service}")
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
    )
    app.extensions[EXTENSION_KEY] = runtime
    api = Api(app)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    install_error_handlers(app)
    _install_swagger_ui_assets(app)
    _install_request_ids(app)
    _install_health(app, runtime)
    return app


def json_array_stream(items: Iterable[dict[str, Any]]) -> Response:
    """A response that streams ``items`` as one JSON array while they are produced (pass a generator that
    reads the database batch by batch, so a long period never sits in memory)."""

    def generate() -> Iterator[str]:
        yield "["
        for index, item in enumerate(items):
            yield ("," if index else "") + json.dumps(item)
        yield "]"

    return Response(stream_with_context(generate()), mimetype="application/json")


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
