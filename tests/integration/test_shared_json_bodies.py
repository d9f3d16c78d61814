"""An operation that takes a JSON body takes exactly one (shared.web): any other body is a 4xx problem before
the operation runs, and writes nothing. ``POST /counts`` stands for them all (its fields are all optional, so
an empty or form body used to open a count of every product)."""

from __future__ import annotations

import pytest

from tests.inventory_support import Inventory


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize(
    "request_kwargs, status",
    [
        ({"data": b"", "content_type": "application/json"}, 400),
        ({"data": b" \n", "content_type": "application/json"}, 400),
        ({"data": b""}, 415),
        ({"data": b"note=x", "content_type": "application/x-www-form-urlencoded"}, 415),
        ({"data": b"{}", "content_type": "text/plain"}, 415),
        ({"data": deep(100_000), "content_type": "application/json"}, 400),
        ({"data": '{"note": ' + deep(32) + "}", "content_type": "application/json"}, 400),
        ({"data": b'{"note": "\xff"}', "content_type": "application/json"}, 400),
        ({"data": b'{"note": 1e999}', "content_type": "application/json"}, 400),
        ({"data": b'{"note": NaN}', "content_type": "application/json"}, 400),
        ({"data": b'{"note": "x"', "content_type": "application/json"}, 400),
        ({"data": b'{"note": "' + b"x" * 1024 * 1024 + b'"}', "content_type": "application/json"}, 413),
        ({"json": {"note": "a\x00b"}}, 422),
        ({"json": {"note": "\ud800"}}, 422),
        ({"json": {"note": "x" * 1001}}, 422),
    ],
)
def test_an_operation_taking_json_refuses_any_other_body_before_it_runs(make_settings, token, request_kwargs, status):
    inventory = Inventory(make_settings("inventory"), token)
    try:
        inventory.product(inventory.supplier())
        before = inventory.table_counts()
        response = inventory.client.post("/counts", headers=inventory.manager, **request_kwargs)
        assert response.status_code == status, response.get_json()
        assert response.content_type == "application/problem+json"
        if status == 422:
            assert list(response.json["errors"]) == ["note"]
        assert inventory.table_counts() == before
        assert inventory.client.post("/counts", json={}, headers=inventory.manager).status_code == 201
    finally:
        inventory.close()
