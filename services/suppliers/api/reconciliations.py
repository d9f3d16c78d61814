"""``/reconciliations`` (managers): ask for a reconciliation of a period and read its report."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validates_schema

from services.suppliers import reconciliation
from services.suppliers.models import Reconciliation
from shared.auth import current_actor, requires
from shared.db import get_or_404
from shared.runtime import current_runtime
from shared.schemas import StrictSchema

reconciliations_blp = Blueprint(
    "reconciliations",
    __name__,
    url_prefix="/reconciliations",
    description="Reconciliation of POS, inventory and the ledger",
)


class ReconciliationIn(StrictSchema):
    start = fields.Date(required=True, data_key="from")
    end = fields.Date(required=True, data_key="to")

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data["end"] < data["start"]:
            raise ValidationError("The period ends before it starts.", "to")


class ReconciliationOut(Schema):
    id = fields.String()
    start = fields.Date(data_key="from", attribute="from")
    end = fields.Date(data_key="to", attribute="to")
    status = fields.String()
    requested_by = fields.String()
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)
    report = fields.Dict(allow_none=True)
    error = fields.String(allow_none=True)


@reconciliations_blp.route("")
class Reconciliations(MethodView):
    @requires("manager")
    @reconciliations_blp.arguments(ReconciliationIn)
    @reconciliations_blp.response(202, ReconciliationOut)
    def post(self, data):
        """Queue a reconciliation of the period; the suppliers worker runs it.

        Requested through the outbox (event ``reconciliation.requested``), so it is queued even while Redis is down.
        """
        with current_runtime().transaction() as session:
            record = reconciliation.request(session, data["start"], data["end"], current_actor())
            return reconciliation.as_dict(record)

    @requires("manager")
    @reconciliations_blp.response(200, ReconciliationOut(many=True))
    def get(self):
        """The latest reconciliations (newest first), with their reports."""
        with current_runtime().transaction() as session:
            return [reconciliation.as_dict(record) for record in reconciliation.recent(session)]


class SourceQuery(StrictSchema):
    source_id = fields.UUID(required=True)


class PostingOut(Schema):
    account = fields.String()
    debit = fields.Integer()
    credit = fields.Integer()


class LedgerEntryOut(Schema):
    entry_id = fields.String()
    source_type = fields.String()
    source_id = fields.String()
    description = fields.String()
    occurred_at = fields.AwareDateTime()
    postings = fields.List(fields.Nested(PostingOut))


@reconciliations_blp.route("/ledger-entries")
class LedgerEntriesOfSource(MethodView):
    @requires("manager")
    @reconciliations_blp.arguments(SourceQuery, location="query")
    @reconciliations_blp.response(200, LedgerEntryOut(many=True))
    def get(self, query):
        """What the ledger holds of one sale (or refund, payout line): its entries with their postings."""
        with current_runtime().transaction() as session:
            return reconciliation.ledger_entries(session, str(query["source_id"]))


@reconciliations_blp.route("/<uuid:reconciliation_id>")
class ReconciliationById(MethodView):
    @requires("manager")
    @reconciliations_blp.response(200, ReconciliationOut)
    def get(self, reconciliation_id):
        """The status and, when done, the report: missing, duplicated, mismatched ids and ledger invariants."""
        with current_runtime().transaction() as session:
            return reconciliation.as_dict(get_or_404(session, Reconciliation, reconciliation_id, what="reconciliation"))
