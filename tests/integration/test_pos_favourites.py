"""The outlet's favourites grid: a manager chooses and orders the products, every counter of the outlet reads it."""

from __future__ import annotations

import uuid


def _path(pos) -> str:
    return f"/outlets/{pos.settings.outlet_id}/favourites"


def test_a_manager_sets_the_grid_and_the_counter_reads_it_in_order(pos):
    assert pos.client.get(_path(pos), headers=pos.cashier).json == []
    batik, sambal = pos.product("8991234500035", 350_000), pos.product("2001234500042", 12_500)
    saved = pos.client.put(_path(pos), json={"product_ids": [sambal, batik]}, headers=pos.manager)
    assert saved.status_code == 200, saved.json
    read = pos.client.get(_path(pos), headers=pos.cashier).json
    assert [(p["product_id"], p["price"], p["sellable"]) for p in read] == [
        (sambal, 12_500, True),
        (batik, 350_000, True),
    ]
    assert saved.json == read

    assert pos.client.put(_path(pos), json={"product_ids": [batik]}, headers=pos.manager).status_code == 200
    assert [p["product_id"] for p in pos.client.get(_path(pos), headers=pos.cashier).json] == [batik]
    # another outlet has its own grid
    assert pos.client.get(f"/outlets/{uuid.uuid4()}/favourites", headers=pos.cashier).json == []


def test_bad_grids_are_refused_and_change_nothing(pos):
    batik = pos.product("8991234500035", 350_000)
    assert pos.client.put(_path(pos), json={"product_ids": [batik]}, headers=pos.manager).status_code == 200
    before = pos.row_counts()
    refusals = {
        "cashier": pos.client.put(_path(pos), json={"product_ids": []}, headers=pos.cashier),
        "unknown": pos.client.put(_path(pos), json={"product_ids": [str(uuid.uuid4())]}, headers=pos.manager),
        "twice": pos.client.put(_path(pos), json={"product_ids": [batik, batik]}, headers=pos.manager),
        "too_many": pos.client.put(
            _path(pos), json={"product_ids": [str(uuid.uuid4()) for _ in range(25)]}, headers=pos.manager
        ),
        "not_ids": pos.client.put(_path(pos), json={"product_ids": ["dodol"]}, headers=pos.manager),
        "extra": pos.client.put(_path(pos), json={"product_ids": [], "x": 1}, headers=pos.manager),
    }
    assert {name: r.status_code for name, r in refusals.items()} == {
        "cashier": 403,
        "unknown": 422,
        "twice": 422,
        "too_many": 422,
        "not_ids": 422,
        "extra": 422,
    }
    assert refusals["unknown"].json["code"] == "unknown_or_unsellable_product"
    assert all(r.content_type == "application/problem+json" for r in refusals.values())
    assert pos.row_counts() == before
    assert [p["product_id"] for p in pos.client.get(_path(pos), headers=pos.cashier).json] == [batik]
