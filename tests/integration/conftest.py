"""Fixtures the integration tests of several services share."""

import pytest

from tests.inventory_support import Inventory


@pytest.fixture
def inventory(make_settings, token):
    """The inventory app on a fresh database, driven through its HTTP API (:class:`Inventory`)."""
    inventory = Inventory(make_settings("inventory"), token)
    yield inventory
    inventory.close()
