"""Managers' approval PINs and the audit log of sensitive actions."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.pos import approvals
from services.pos.api.schemas import Timestamp
from shared.auth import current_principal, requires
from shared.runtime import current_runtime
from shared.schemas import StrictSchema

approvals_blp = Blueprint("approvals", __name__, url_prefix="", description="Approver PINs and the audit log")


class ApproverPinIn(StrictSchema):
    pin = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{4,8}$", error="4–8 digits."))


class ApproverOut(Schema):
    user_id = fields.String()
    username = fields.String(metadata={"description": "What the manager types at the counter with their PIN"})


class AuditEntryOut(Schema):
    id = fields.String()
    action = fields.String()
    actor_id = fields.String()
    approver_id = fields.String(allow_none=True)
    subject_type = fields.String()
    subject_id = fields.String()
    detail = fields.Dict()
    created_at = Timestamp()


class AuditQuery(StrictSchema):
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))
    user_id = fields.String(validate=validate.Length(min=1, max=128))
    action = fields.String(validate=validate.Length(min=1, max=64))
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()


@approvals_blp.route("/approvers/me")
class MyApproverPin(MethodView):
    @requires("manager")
    @approvals_blp.arguments(ApproverPinIn)
    @approvals_blp.response(200, ApproverOut)
    def put(self, data):
        """Set the PIN this manager approves with at the counter (username = the name in their token)."""
        with current_runtime().transaction() as session:
            return approvals.set_pin(session, current_principal(), data["pin"])


class PinLockoutOut(Schema):
    kind = fields.String(metadata={"enum": ["approver", "cashier"], "description": "What is locked out"})
    who = fields.String(metadata={"description": "The approver name typed, or the cashier's user id"})
    failures = fields.Integer(metadata={"description": "Wrong PINs inside the window"})
    locked_at = Timestamp()
    locked_until = Timestamp()


@approvals_blp.route("/approval-lockouts")
class PinLockouts(MethodView):
    @requires("manager")
    @approvals_blp.response(200, PinLockoutOut(many=True))
    def get(self):
        """The lock-outs of approval by PIN in force (too many wrong PINs for an approver name or by a cashier):
        what the managers' overview alerts them to."""
        with current_runtime().session_factory() as session:
            return approvals.pin_lockouts(session)


@approvals_blp.route("/audit")
class Audit(MethodView):
    @requires("manager")
    @approvals_blp.arguments(AuditQuery, location="query")
    @approvals_blp.response(200, AuditEntryOut(many=True))
    def get(self, query):
        """The latest sensitive actions (refunds, approved discounts, voids, wrong PINs) with who and when;
        optionally only those a user did or approved (``user_id``), one ``action``, or from ``since`` until
        ``until``."""
        with current_runtime().session_factory() as session:
            return approvals.audit_entries(session, **query)
