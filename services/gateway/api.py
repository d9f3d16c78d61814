"""The gateway's own HTTP API: log-in sessions, user accounts and the audit log."""

from __future__ import annotations

from flask import current_app, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.gateway import accounts, rules
from services.gateway.sessions import (
    clear_session_cookie,
    client_ip,
    current_caller,
    optional_caller,
    requires_user,
    set_session_cookie,
    start_session,
)
from shared.auth import GRANT_LIFETIME, GRANT_PURPOSES, TOKEN_LIFETIME, issue_grant
from shared.db import utcnow
from shared.runtime import current_runtime
from shared.schemas import Boolean, QueryBoolean, StrictSchema

auth_blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Log in and out")
users_blp = Blueprint("users", __name__, url_prefix="/api", description="User accounts (managers and admins)")


class LoginIn(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=rules.MAX_PASSWORD_LENGTH))


class SessionUserOut(Schema):
    id = fields.String()
    username = fields.String()
    name = fields.String()
    role = fields.String()
    supplier_id = fields.String(allow_none=True)


class LoginOut(Schema):
    token = fields.String()
    user = fields.Nested(SessionUserOut)


class UserOut(SessionUserOut):
    active = fields.Boolean()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class UserIn(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=3, max=64))
    name = fields.String(validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(rules.USER_ROLES))
    supplier_id = fields.UUID(allow_none=True)
    password = fields.String(required=True, validate=validate.Length(min=1, max=rules.MAX_PASSWORD_LENGTH))


class UserChangeIn(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    active = Boolean()
    password = fields.String(validate=validate.Length(min=1, max=rules.MAX_PASSWORD_LENGTH))
    role = fields.String(validate=validate.OneOf(rules.USER_ROLES))
    supplier_id = fields.UUID(allow_none=True)


class UserQuery(StrictSchema):
    role = fields.String(validate=validate.OneOf(rules.USER_ROLES))
    active = QueryBoolean()


class AuditOut(Schema):
    id = fields.String()
    at = fields.AwareDateTime()
    action = fields.String()
    actor_user_id = fields.String(allow_none=True)
    actor_username = fields.String(allow_none=True)
    target_user_id = fields.String(allow_none=True)
    client_ip = fields.String(allow_none=True)
    detail = fields.Dict()


class AuditQuery(StrictSchema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


def _actor():
    caller = current_caller()
    return accounts.Actor.of(caller.principal, caller.username, client_ip())


def _uuid_text(data: dict) -> dict:
    if data.get("supplier_id") is not None:
        data["supplier_id"] = str(data["supplier_id"])
    return data


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
                accounts.log_out(session, caller.principal.user_id, _actor())
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


@users_blp.route("/users")
class Users(MethodView):
    @requires_user("manager")
    @users_blp.arguments(UserQuery, location="query")
    @users_blp.response(200, UserOut(many=True))
    def get(self, query):
        """All user accounts (filter by ``role`` and ``active``)."""
        with current_runtime().transaction() as session:
            return accounts.list_users(session, query.get("role"), query.get("active"))

    @requires_user("manager")
    @users_blp.arguments(UserIn)
    @users_blp.response(201, UserOut)
    def post(self, data):
        """Create a user. Managers may create cashier and supplier users; admins any role. A supplier user
        needs ``supplier_id``; no other role may have one."""
        with current_runtime().transaction() as session:
            return accounts.create_user(session, _uuid_text(data), _actor())


@users_blp.route("/users/<uuid:user_id>")
class UserById(MethodView):
    @requires_user("manager")
    @users_blp.response(200, UserOut)
    def get(self, user_id):
        """One user account."""
        with current_runtime().transaction() as session:
            return accounts.get_user(session, str(user_id))

    @requires_user("manager")
    @users_blp.arguments(UserChangeIn)
    @users_blp.response(200, UserOut)
    def patch(self, data, user_id):
        """Rename, deactivate/reactivate (``active``), reset the ``password``, or (admins) change ``role`` and
        ``supplier_id``. Deactivation and password resets end the user's sessions."""
        with current_runtime().transaction() as session:
            return accounts.change_user(session, str(user_id), _uuid_text(data), _actor())


@users_blp.route("/audit")
class Audit(MethodView):
    @requires_user("manager")
    @users_blp.arguments(AuditQuery, location="query")
    @users_blp.response(200, AuditOut(many=True))
    def get(self, query):
        """The newest entries of the audit log: logins (succeeded, failed, locked out), log-outs, user changes."""
        with current_runtime().transaction() as session:
            return accounts.audit_entries(session, query["limit"])
