"""The catalogue's delta feed: the counter loads every product once, page by page, then only what changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.pos_support import SUPPLIER_BATIK


def test_the_feed_pages_through_everything_then_answers_only_changes(pos):
    first = pos.client.get("/catalogue/changes?limit=3", headers=pos.cashier)
    assert first.status_code == 200
    assert len(first.json["items"]) == 3 and first.json["more"] is True
    rest = pos.client.get(
        "/catalogue/changes", query_string={"limit": 3, "after": first.json["cursor"]}, headers=pos.cashier
    ).json
    assert len(rest["items"]) == 1 and rest["more"] is False
    seen = {p["barcode"] for p in first.json["items"] + rest["items"]}
    assert seen == {"8991234500011", "8991234500028", "8991234500035", "2001234500042"}

    nothing = pos.client.get("/catalogue/changes", query_string={"after": rest["cursor"]}, headers=pos.cashier).json
    assert nothing == {"items": [], "cursor": rest["cursor"], "more": False}

    pos.product("8991234500028", 17_000, "Kerupuk Kulit Cikarang", revision=2)  # a new price
    changed = pos.client.get("/catalogue/changes", query_string={"after": rest["cursor"]}, headers=pos.cashier).json
    assert [(p["barcode"], p["price"], p["sellable"]) for p in changed["items"]] == [("8991234500028", 17_000, True)]


def test_a_cursor_that_is_not_one_is_refused(pos):
    assert pos.client.get("/catalogue/changes?after=yesterday", headers=pos.cashier).status_code == 422


def _feed(pos, after):
    return pos.client.get("/catalogue/changes", query_string={"after": after}, headers=pos.cashier).json


def test_two_changes_in_the_same_millisecond_are_both_delivered(pos):
    """The cursor is a change number in commit order, not a time: a product changed at the very same instant as
    one the counter has already read (and ordered before it by id), or with an older event time, still comes."""
    moment = datetime(2026, 11, 30, 8, 0, 0, 123_000, tzinfo=UTC)
    later_id, earlier_id = "ffffffff-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000001"
    cursor = pos.client.get("/catalogue/changes", headers=pos.cashier).json["cursor"]

    pos.product("8991234599991", 10_000, "Gantungan Kunci", product_id=later_id, occurred_at=moment)
    first = _feed(pos, cursor)
    assert [p["product_id"] for p in first["items"]] == [later_id]

    pos.product("8991234599992", 11_000, "Tas Anyaman", product_id=earlier_id, occurred_at=moment)
    pos.product(
        "8991234599991",
        9_000,
        "Gantungan Kunci",
        product_id=later_id,
        revision=2,
        occurred_at=moment - timedelta(seconds=5),
    )  # its clock runs behind: an older event time
    second = _feed(pos, first["cursor"])
    assert [(p["product_id"], p["price"]) for p in second["items"]] == [(earlier_id, 11_000), (later_id, 9_000)]
    assert second["cursor"] > first["cursor"] > cursor
    assert _feed(pos, second["cursor"])["items"] == []


def test_a_supplier_suspended_puts_its_products_back_in_the_feed_as_not_sellable(pos):
    cursor = pos.client.get("/catalogue/changes", headers=pos.cashier).json["cursor"]
    pos.deliver("supplier.updated", {"supplier_id": SUPPLIER_BATIK, "name": "Batik Bekasi Asri", "status": "suspended"})
    changed = _feed(pos, cursor)
    assert [(p["barcode"], p["sellable"]) for p in changed["items"]] == [("8991234500035", False)]
    # a change of name only does not make the products change
    pos.deliver("supplier.updated", {"supplier_id": SUPPLIER_BATIK, "name": "Batik Asri", "status": "suspended"})
    assert _feed(pos, changed["cursor"])["items"] == []
