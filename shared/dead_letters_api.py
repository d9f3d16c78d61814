"""``/dead-letters``: the events a service's consumers gave up on, for managers to see and send again.

Every service that consumes events lists :data:`blp` among its ``BLUEPRINTS``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import RowMapping

from shared.auth import requires
from shared.messaging import Messaging
from shared.runtime import Runtime, current_runtime

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


def _messaging(runtime: Runtime) -> Messaging:
    assert runtime.messaging is not None, "dead letters are served only by services that consume events"
    return runtime.messaging


@blp.route("")
class DeadLetters(MethodView):
    @requires("manager")
    @blp.response(200, DeadLetterOut(many=True))  # type: ignore[untyped-decorator]  # flask-smorest is untyped
    def get(self) -> Sequence[RowMapping]:
        """Events that failed their last attempt (newest first), with the error."""
        runtime = current_runtime()
        with runtime.transaction() as session:
            return _messaging(runtime).list_dead_letters(session)


@blp.route("/<uuid:dead_letter_id>/retry")
class DeadLetterRetry(MethodView):
    @requires("manager")
    @blp.response(202, DeadLetterOut)  # type: ignore[untyped-decorator]  # flask-smorest is untyped
    def post(self, dead_letter_id: uuid.UUID) -> RowMapping:
        """Send the event to its consumer again (through the outbox) with a fresh attempt count."""
        runtime = current_runtime()
        with runtime.transaction() as session:
            return _messaging(runtime).retry_dead_letter(session, str(dead_letter_id))
