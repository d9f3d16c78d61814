"""The gateway: the one entry URL. User accounts and log-in sessions, the web pages of cashiers, suppliers
and managers, and ``/api/<service>/...`` routed to inventory, pos and suppliers."""

from __future__ import annotations

from flask import Flask

from shared.config import Settings, load_settings
from shared.runtime import build_runtime


def create_app(settings: Settings | None = None) -> Flask:
    """App factory (gunicorn: ``services.gateway:create_app()``)."""
    from services.gateway import api, pages, proxy, readiness
    from services.gateway.sessions import TooManyAttempts
    from shared.web import create_service_app

    runtime = build_runtime(settings or load_settings("gateway"))
    app = create_service_app(
        runtime,
        "Sentra gateway",
        [api.auth_blp, api.users_blp],
        description="Log-in, user accounts, and /api/<service>/... forwarded to inventory, pos and suppliers.",
    )
    app.config["MAX_CONTENT_LENGTH"] = 10 * 1024 * 1024
    app.extensions["gateway_http"] = proxy.make_http_session()
    app.register_blueprint(proxy.blp)
    app.register_blueprint(pages.blp)
    readiness.include_downstream_services(app)
    if runtime.settings.is_production:
        app.before_request(proxy.refuse_internal_paths)

    @app.errorhandler(TooManyAttempts)
    def _too_many_attempts(exc: TooManyAttempts):
        from shared.errors import problem

        response = problem(exc.status, exc.title, exc.detail, code=exc.code)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    return app
