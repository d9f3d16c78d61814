"""``/api/users`` and ``/api/audit``: user accounts and the audit log (managers and admins)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.gateway import accounts, rules
from services.gateway.api.schemas import SessionUserOut
from services.gateway.sessions import (
    acting_user,
    requires_user,
)
from shared.runtime import current_runtime
from shared.schemas import Boolean, QueryBoolean, StrictSchema

users_blp = Blueprint("users", __name__, url_prefix="/api", description="User accounts (managers and admins)")


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
    actor_user_id = fields.UUID()
    action = fields.String(validate=validate.Length(min=1, max=32))
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()


def _uuid_text(data: dict) -> dict:
    if data.get("supplier_id") is not None:
        data["supplier_id"] = str(data["supplier_id"])
    return data


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
            return accounts.create_user(session, _uuid_text(data), acting_user())


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
            return accounts.change_user(session, str(user_id), _uuid_text(data), acting_user())


@users_blp.route("/audit")
class Audit(MethodView):
    @requires_user("manager")
    @users_blp.arguments(AuditQuery, location="query")
    @users_blp.response(200, AuditOut(many=True))
    def get(self, query):
        """The newest entries of the audit log: logins (succeeded, failed, locked out), log-outs, user changes;
        optionally only those of one user (``actor_user_id``), one ``action``, or from ``since`` until ``until``."""
        filters = {**query, "actor_user_id": str(query["actor_user_id"]) if query.get("actor_user_id") else None}
        with current_runtime().transaction() as session:
            return accounts.audit_entries(session, **filters)
