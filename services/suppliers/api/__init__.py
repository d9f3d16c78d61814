"""HTTP API of the suppliers service: validates, authorises and calls the use cases; one module per blueprint.

Managers (and admins) see every supplier; a supplier's token reaches its own data through ``/me/...`` and
through ``/suppliers/<its own id>/...``; any other supplier's id, or an object of another supplier, is 404.
"""

from services.suppliers.api.me import me_blp
from services.suppliers.api.payout_runs import payouts_blp
from services.suppliers.api.reconciliations import reconciliations_blp
from services.suppliers.api.suppliers import suppliers_blp
from shared import dead_letters_api

BLUEPRINTS = [suppliers_blp, me_blp, payouts_blp, reconciliations_blp, dead_letters_api.blp]
