"""HTTP API of the inventory service, one module per blueprint: each view validates, authorises and calls the
use cases in one transaction."""

from services.inventory.api.alerts import alerts_blp
from services.inventory.api.categories import categories_blp
from services.inventory.api.counts import counts_blp
from services.inventory.api.deliveries import deliveries_blp
from services.inventory.api.intakes import intakes_blp
from services.inventory.api.products import products_blp
from services.inventory.api.reports import reports_blp
from services.inventory.api.returns import returns_blp
from services.inventory.api.stock import stock_blp
from shared import dead_letters_api

BLUEPRINTS = [
    categories_blp,
    products_blp,
    intakes_blp,
    deliveries_blp,
    stock_blp,
    counts_blp,
    returns_blp,
    alerts_blp,
    reports_blp,
    dead_letters_api.blp,
]
