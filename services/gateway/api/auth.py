"""``/api/auth``: log in and out, the logged-in user, managers' approval grants."""

from __future__ import annotations

from flask import current_app, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.gateway import accounts, rules
from services.gateway.api.schemas import SessionUserOut
from services.gateway.sessions import (
    acting_user,
    clear_session_cookie,
    current_caller,
    optional_caller,
    requires_user,
    set_session_cookie,
    start_session,
)
from shared.auth import GRANT_LIFETIME, GRANT_PURPOSES, TOKEN_LIFETIME, issue_grant
from shared.db import utcnow
from shared.runtime import current_runtime
from shared.schemas import StrictSchema

auth_blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Log in and out")


class LoginIn(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=rules.MAX_PASSWORD_LENGTH))


class LoginOut(Schema):
    token = fields.String()
    user = fields.Nested(SessionUserOut)


@auth_blp.route("/login")
class Login(MethodView):
    @auth_blp.arguments(LoginIn)
    @auth_blp.response(200, LoginOut)
    def post(self, data):
        """Log in with username and password: a bearer token (12 h) and the ``sentra_token`` cookie.

        Five failed attempts for one username from one address within five minutes lock that pair out
        (429 with ``Retry-After``) until the oldest failure is five minutes old."""
        token, user = start_session(data["username"], data["password"])
        response = jsonify(token=token, user=SessionUserOut().dump(user))
        response.headers["Cache-Control"] = "no-store"  # a token must not sit in any cache
        set_session_cookie(response, token, int(TOKEN_LIFETIME.total_seconds()))
        return response


@auth_blp.route("/logout")
class Logout(MethodView):
    @auth_blp.response(204)
    def post(self):
        """End every session of the caller (its tokens are refused from now on) and clear the cookie."""
        caller = optional_caller()
        if caller is not None:
            with current_runtime().transaction() as session:
                accounts.log_out(session, caller.principal.user_id, acting_user())
        response = current_app.response_class(status=204)
        clear_session_cookie(response)
        return response


class GrantIn(StrictSchema):
    purpose = fields.String(required=True, validate=validate.OneOf(GRANT_PURPOSES))


class GrantOut(Schema):
    grant = fields.String()
    purpose = fields.String()
    expires_at = fields.AwareDateTime()


@auth_blp.route("/grants")
class Grants(MethodView):
    @requires_user("manager")
    @auth_blp.arguments(GrantIn)
    @auth_blp.response(201, GrantOut)
    def post(self, data):
        """A manager's approval grant for one purpose (``discount`` or ``refund``), valid for two minutes: what a
        manager approving from their own device hands to the counter as ``approval.approval_token``. Made only
        for a live account (a logged-out or deactivated manager gets none); never usable as a login token."""
        caller = current_caller()
        settings = current_runtime().settings
        grant = issue_grant(settings.jwt_secret, caller.principal, data["purpose"])
        response = jsonify(grant=grant, purpose=data["purpose"], expires_at=(utcnow() + GRANT_LIFETIME).isoformat())
        response.status_code = 201
        response.headers["Cache-Control"] = "no-store"
        return response


@auth_blp.route("/me")
class Me(MethodView):
    @requires_user()
    @auth_blp.response(200, SessionUserOut)
    def get(self):
        """The logged-in user."""
        with current_runtime().transaction() as session:
            return accounts.get_user(session, current_caller().principal.user_id)
