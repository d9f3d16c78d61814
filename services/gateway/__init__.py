"""The gateway: the one entry URL. User accounts and log-in sessions, the web pages of cashiers, suppliers
and managers, and ``/api/<service>/...`` routed to inventory, pos and suppliers."""

from __future__ import annotations

import hmac

from flask import Flask

from shared.config import Settings, load_settings
from shared.runtime import build_runtime


def create_app(settings: Settings | None = None) -> Flask:
    """App factory (gunicorn: ``services.gateway:create_app()``)."""
    from services.gateway import api, console, i18n, pages, portal, proxy, readiness, words
    from services.gateway.sessions import TooManyAttempts, csrf_token
    from shared.web import create_service_app

    runtime = build_runtime(settings or load_settings("gateway"))
    app = create_service_app(
        runtime,
        "Sentra gateway",
        api.BLUEPRINTS,
        description="Log-in, user accounts, and /api/<service>/... forwarded to inventory, pos and suppliers.",
    )
    app.config["MAX_CONTENT_LENGTH"] = 10 * 1024 * 1024
    app.secret_key = hmac.new(app.config["SENTRA_SETTINGS"].jwt_secret.encode(), b"flask-session", "sha256").digest()
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    i18n.init_app(app)
    app.jinja_env.globals.update(csrf_token=csrf_token, WORDS=words.WORDS, TONES=words.TONES)
    app.jinja_env.filters["word"] = words.word
    app.extensions["gateway_http"] = proxy.make_http_session()
    app.register_blueprint(proxy.blp)
    app.register_blueprint(pages.blp)
    app.register_blueprint(portal.blp)
    app.register_blueprint(console.blp)
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
