"""The catalogue's delta feed: the counter loads every product once, page by page, then only what changed."""

from __future__ import annotations


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
