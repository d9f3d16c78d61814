"""The manager's console: server-rendered pages (Jinja, htmx where it helps) for suppliers and their
agreements, products, intakes and payout runs. Every page talks to the services through their HTTP APIs with the
manager's own token (:mod:`services.gateway.backend`), and shows every failure as a translated sentence."""

from services.gateway.console import (  # noqa: F401  (routes)
    counter_setup,
    counts,
    intakes,
    payouts,
    products,
    reconciliation,
    reports,
    returns,
    stock,
    suppliers,
)
from services.gateway.console.common import blp

__all__ = ["blp"]
