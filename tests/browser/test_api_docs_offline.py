"""The API docs page works on a LAN without internet: Swagger UI comes from the service itself."""

from __future__ import annotations

import pytest

from services.inventory import create_app
from shared.migrations import upgrade
from tests.support import ServedApp

pytestmark = pytest.mark.browser


@pytest.fixture
def served_inventory(make_settings):
    settings = make_settings("inventory")
    upgrade("inventory", settings.database_url)
    served = ServedApp(create_app(settings))
    yield served
    served.stop()


def test_swagger_ui_renders_with_the_network_to_everything_but_the_platform_blocked(page, served_inventory):
    refused: list[str] = []

    def only_the_platform(route):
        if route.request.url.startswith(served_inventory.url):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_platform)
    page.goto(f"{served_inventory.url}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "Sentra inventory" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag", timeout=20_000)
    assert page.locator(".opblock-tag").count() >= 5  # every blueprint of the API is listed
    assert refused == []  # nothing was even asked of another host
