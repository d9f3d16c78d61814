"""HTTP API of the POS service, one blueprint per subject: validates, authorises and calls the use cases (thin
views only); every JSON answer goes through its ``@blp.response`` schema."""

from services.pos.api.approvals import approvals_blp
from services.pos.api.catalogue import catalogue_blp
from services.pos.api.favourites import favourites_blp
from services.pos.api.outlets import outlets_blp
from services.pos.api.payments import payments_blp
from services.pos.api.receipts import receipts_blp
from services.pos.api.reconciliation import reconciliation_blp
from services.pos.api.refunds import refunds_blp
from services.pos.api.registers import registers_blp
from services.pos.api.reports import reports_blp
from services.pos.api.sales import sales_blp
from services.pos.api.shifts import shifts_blp
from shared import dead_letters_api

BLUEPRINTS = [
    registers_blp,
    shifts_blp,
    catalogue_blp,
    sales_blp,
    payments_blp,
    receipts_blp,
    refunds_blp,
    outlets_blp,
    favourites_blp,
    approvals_blp,
    reports_blp,
    reconciliation_blp,
    dead_letters_api.blp,
]
