"""A product's movement history over the inventory API on a real database: newest first, paged with a bounded
page size, filtered by kind and period, each movement with its lot's code, who recorded it and its document's
number (or, for a sale or refund, the sale the till knows); bad queries are problem+json; suppliers see only
their own products."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.inventory_support import days_from_today, refund_payload, sale_payload


@pytest.fixture
def dodol(inventory):
    """A food product received in two lots (one intake), sold twice (FEFO), one sale refunded back to stock,
    counted one short, written off one, and two units returned to the supplier."""
    supplier_id = inventory.supplier()
    product = inventory.product(supplier_id, name="Dodol Betawi", price=25_000)
    intake = inventory.intake(
        supplier_id,
        [
            {"product_id": product["id"], "qty": 5, "lot_code": "EARLY", "expiry_date": days_from_today(10)},
            {"product_id": product["id"], "qty": 10, "lot_code": "LATE", "expiry_date": days_from_today(90)},
        ],
    )
    lots = {line["lot_code"]: line["lot_id"] for line in intake["lines"]}
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    sold = sale_payload([(product, 2)], completed_at=an_hour_ago)
    inventory.publish("sale.completed", sold)
    inventory.publish("sale.refunded", refund_payload(sold, [(0, 1)]))
    inventory.sale([(product, 1)])
    count = inventory.post("/counts", {"product_ids": [product["id"]]})
    inventory.post(f"/counts/{count['id']}/lines", {"lines": [{"product_id": product["id"], "counted": 12}]}, 200)
    inventory.post(f"/counts/{count['id']}/approve", {"reason": "opname"}, status=200)
    inventory.post("/write-offs", {"product_id": product["id"], "lot_id": lots["LATE"], "qty": 1, "reason": "damaged"})
    note = inventory.post(
        "/returns",
        {"supplier_id": supplier_id, "collected_by": "Ibu Sari", "lines": [{"lot_id": lots["LATE"], "qty": 2}]},
    )
    return {
        **product,
        "intake": intake,
        "count": count,
        "return": note,
        "sale": sold,
    }


def _movements(inventory, product, query="", status=200, headers=None):
    return inventory.get(f"/products/{product['id']}/movements{query}", status=status, headers=headers)


def test_a_products_movements_come_newest_first_with_lot_who_and_document_number(inventory, dodol):
    found = _movements(inventory, dodol)
    items = found["items"]
    assert (found["page"], found["per_page"], found["total"]) == (1, 25, len(items))
    assert [m["occurred_at"] for m in items] == sorted((m["occurred_at"] for m in items), reverse=True)
    by_kind: dict[str, list[dict]] = {}
    for m in items:
        by_kind.setdefault(m["kind"], []).append(m)
    assert sorted((m["lot_code"], m["qty"]) for m in by_kind["intake"]) == [("EARLY", 5), ("LATE", 10)]
    assert {m["reference_number"] for m in by_kind["intake"]} == {dodol["intake"]["number"]}
    assert {m["recorded_by"] for m in by_kind["intake"]} == {"manager:manager-user"}
    assert [(m["reference_number"], m["qty"]) for m in by_kind["count_adjustment"]] == [(dodol["count"]["number"], -1)]
    assert [(m["reference_number"], m["lot_code"], m["qty"]) for m in by_kind["return_to_supplier"]] == [
        (dodol["return"]["number"], "LATE", -2)
    ]
    assert [(m["reason"], m["borne_by"], m["qty"]) for m in by_kind["write_off"]] == [("damaged", "supplier", -1)]
    assert by_kind["write_off"][0]["reference_number"] is None  # a write-off has no number
    sale_moves = [m for m in by_kind["sale"] if m["sale_id"] == dodol["sale"]["sale_id"]]
    assert [(m["lot_code"], m["qty"], m["recorded_by"]) for m in sale_moves] == [("EARLY", -2, "kasir-1")]
    assert [(m["sale_id"], m["lot_code"], m["qty"]) for m in by_kind["refund"]] == [
        (dodol["sale"]["sale_id"], "EARLY", 1)
    ]
    assert all(m["reference_number"] is None for m in by_kind["sale"] + by_kind["refund"])
    assert items[-1]["sale_id"] == dodol["sale"]["sale_id"]  # sold an hour ago: before the intake was recorded


def test_movements_are_paged_with_a_bounded_page_size(inventory, dodol):
    everything = _movements(inventory, dodol, "?per_page=100")["items"]
    first, second = _movements(inventory, dodol, "?per_page=3"), _movements(inventory, dodol, "?per_page=3&page=2")
    assert first["total"] == second["total"] == len(everything) > 6
    assert [m["movement_id"] for m in first["items"] + second["items"]] == [m["movement_id"] for m in everything[:6]]
    assert _movements(inventory, dodol, "?page=99")["items"] == []


def test_movements_filter_by_kind_and_period(inventory, dodol):
    assert {m["kind"] for m in _movements(inventory, dodol, "?kind=intake")["items"]} == {"intake"}
    since = (datetime.now(UTC) - timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    recent = _movements(inventory, dodol, f"?from={since}")["items"]
    assert dodol["sale"]["sale_id"] not in {m["sale_id"] for m in recent if m["kind"] == "sale"}
    before = _movements(inventory, dodol, f"?to={since}&kind=sale")["items"]
    assert [m["sale_id"] for m in before] == [dodol["sale"]["sale_id"]]
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    assert _movements(inventory, dodol, f"?from={tomorrow}")["total"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?per_page=101", "per_page"),
        ("?per_page=0", "per_page"),
        ("?page=0", "page"),
        ("?page=two", "page"),
        ("?kind=theft", "kind"),
        ("?from=yesterday", "from"),
        ("?from=2026-11-30&to=2026-11-01", "to"),
    ],
)
def test_a_bad_movements_query_is_a_problem(inventory, dodol, query, field):
    response = inventory.client.get(f"/products/{dodol['id']}/movements{query}", headers=inventory.manager)
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert field in response.get_json()["errors"]["query"]


def test_movements_need_a_token_and_a_supplier_sees_only_their_own_without_staff_names(inventory, dodol, token):
    assert inventory.client.get(f"/products/{dodol['id']}/movements").status_code == 401
    own = token("supplier", supplier_id=dodol["supplier_id"])
    seen = _movements(inventory, dodol, headers=own)
    assert seen["total"] > 0 and {m["recorded_by"] for m in seen["items"]} == {None}, "staff stay unnamed"
    assert {m["recorded_by"] for m in _movements(inventory, dodol)["items"]} != {None}
    other = token("supplier", supplier_id=inventory.supplier("Lain"))
    assert _movements(inventory, dodol, status=404, headers=other)["status"] == 404
    assert inventory.get("/products/0b1e3c4d-0000-4000-8000-00000000dead/movements", status=404)["status"] == 404
    assert _movements(inventory, dodol, status=403, headers=token("cashier"))["status"] == 403
