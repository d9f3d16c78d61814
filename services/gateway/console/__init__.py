"""The manager's console: server-rendered pages (Jinja, htmx where it helps) for suppliers and their
agreements, products and their categories and labels, imports, intakes, stock, payout runs, users, the audit log,
failed events and the settings. Every page talks to the services through their HTTP APIs with the
manager's own token (:mod:`services.gateway.backend`) — users and the gateway's audit log are the gateway's own,
used directly — and shows every failure as a translated sentence."""

from services.gateway.console import (  # noqa: F401  (routes)
    audit,
    categories,
    counter_setup,
    counts,
    dead_letters,
    deliveries,
    imports,
    intakes,
    labels,
    payouts,
    pin_lockouts,
    products,
    reconciliation,
    reports,
    returns,
    settings,
    stock,
    suppliers,
    users,
)
from services.gateway.console.common import blp

__all__ = ["blp"]
