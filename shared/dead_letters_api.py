"""``/dead-letters``: the events a service's consumers gave up on, for managers to see and send again.

Registered by :func:`shared.web.create_service_app` on every service that consumes events.
"""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from shared.auth import requires
from shared.web import runtime_of

blp = Blueprint(
    "dead_letters",
    __name__,
    url_prefix="/dead-letters",
    description="Events that failed their last delivery attempt (managers)",
)


class DeadLetterOut(Schema):
    id = fields.String()
    consumer = fields.String()
    event_id = fields.String()
    event_type = fields.String()
    error = fields.String()
    attempts = fields.Integer()
    status = fields.String()
    created_at = fields.AwareDateTime()
    retried_at = fields.AwareDateTime(allow_none=True)


def _runtime():
    return runtime_of(current_app)


@blp.route("")
class DeadLetters(MethodView):
    @requires("manager")
    @blp.response(200, DeadLetterOut(many=True))
    def get(self):
        """Events that failed their last attempt (newest first), with the error."""
        with _runtime().transaction() as session:
            return _runtime().messaging.list_dead_letters(session)


@blp.route("/<uuid:dead_letter_id>/retry")
class DeadLetterRetry(MethodView):
    @requires("manager")
    @blp.response(202, DeadLetterOut)
    def post(self, dead_letter_id):
        """Send the event to its consumer again (through the outbox) with a fresh attempt count."""
        with _runtime().transaction() as session:
            return _runtime().messaging.retry_dead_letter(session, str(dead_letter_id))
