"""Deliveries announced by a supplier and received by a manager on a real database: each supplier sees only
their own, what arrived becomes the intake and the stock, a delivery is received once, bad input writes nothing."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.test_inventory_concurrency import _run_concurrently
from tests.inventory_support import days_from_today


@pytest.fixture
def sari(inventory):
    """A supplier with a food product (expiry required) and a craft (none), and their token."""
    supplier_id = inventory.supplier("Dodol Ibu Sari")
    return {
        "id": supplier_id,
        "dodol": inventory.product(supplier_id, name="Dodol Betawi"),
        "tas": inventory.product(supplier_id, name="Tas anyaman", category="kerajinan", price=85_000),
        "headers": inventory.token("supplier", supplier_id=supplier_id, user_id="sari", name="Ibu Sari"),
    }


def _announce(inventory, supplier, lines, status=201):
    return inventory.post("/deliveries", {"lines": lines}, status=status, headers=supplier["headers"])


def _two_lines(supplier):
    return [
        {"product_id": supplier["dodol"]["id"], "qty": 20, "lot_code": "DB-11", "expiry_date": days_from_today(60)},
        {"product_id": supplier["tas"]["id"], "qty": 5},
    ]


def test_a_supplier_announces_lists_and_cancels_only_their_own(inventory, sari):
    delivery = _announce(inventory, sari, _two_lines(sari))
    assert delivery["status"] == "announced" and delivery["supplier_name"] == "Dodol Ibu Sari"
    assert [(line["line_no"], line["name"], line["qty"]) for line in delivery["lines"]] == [
        (1, "Dodol Betawi", 20),
        (2, "Tas anyaman", 5),
    ]
    other_id = inventory.supplier("Kopi Pak Budi")
    other = inventory.token("supplier", supplier_id=other_id, user_id="budi")
    assert inventory.get("/deliveries", headers=other) == []
    assert [d["id"] for d in inventory.get("/deliveries", headers=sari["headers"])] == [delivery["id"]]
    for method, path in [("get", ""), ("post", "/cancel")]:
        body = {"json": {}} if method == "post" else {}
        response = getattr(inventory.client, method)(f"/deliveries/{delivery['id']}{path}", headers=other, **body)
        assert response.status_code == 404 and response.content_type == "application/problem+json"
    assert inventory.get(f"/deliveries/{delivery['id']}")["status"] == "announced"
    assert [d["id"] for d in inventory.get("/deliveries?status=announced")] == [delivery["id"]]
    cancelled = inventory.post(f"/deliveries/{delivery['id']}/cancel", {}, status=200, headers=sari["headers"])
    assert cancelled["status"] == "cancelled" and cancelled["closed_by"] == "supplier:sari"
    assert inventory.get("/deliveries?status=announced") == []
    again = inventory.client.post(f"/deliveries/{delivery['id']}/cancel", json={}, headers=sari["headers"])
    assert again.status_code == 409 and again.json["code"] == "delivery_not_announced"


def test_a_supplier_cannot_announce_another_suppliers_product_nor_receive(inventory, sari):
    other_id = inventory.supplier("Kopi Pak Budi")
    kopi = inventory.product(other_id, name="Kopi Robusta", category="minuman")
    before = inventory.table_counts()
    response = inventory.client.post(
        "/deliveries",
        json={"lines": [{"product_id": kopi["id"], "qty": 3, "expiry_date": days_from_today(90)}]},
        headers=sari["headers"],
    )
    assert response.status_code == 422 and response.json["code"] == "invalid_delivery_lines"
    assert "product_id" in response.json["errors"]["lines"]["0"]
    delivery = _announce(inventory, sari, _two_lines(sari))
    refused = inventory.client.post(
        f"/deliveries/{delivery['id']}/receive", json={"lines": [{"line_no": 1, "qty": 1}]}, headers=sari["headers"]
    )
    assert refused.status_code == 403
    assert (
        inventory.client.post("/deliveries", json={"lines": _two_lines(sari)}, headers=inventory.manager).status_code
        == 403
    )
    assert inventory.table_counts()["intakes"] == before["intakes"]


def test_receiving_what_arrived_records_the_intake_and_the_stock_once(inventory, sari):
    delivery = _announce(inventory, sari, _two_lines(sari))
    received = inventory.post(
        f"/deliveries/{delivery['id']}/receive",
        {
            "lines": [
                {"line_no": 1, "qty": 18, "lot_code": "DB-12", "expiry_date": days_from_today(45)},
                {"line_no": 2, "qty": 0},
            ]
        },
        status=200,
    )
    assert received["status"] == "received" and received["closed_by"] == "manager:manager-user"
    assert [line["received_qty"] for line in received["lines"]] == [18, 0]
    intake = inventory.get(f"/intakes/{received['intake_id']}")
    assert intake["supplier_id"] == sari["id"] and intake["number"].startswith("NT-")
    assert received["intake_number"] == intake["number"] and intake["delivery_number"] == delivery["number"]
    assert intake["received_by"] == "Bu Manajer"
    assert [(line["name"], line["qty"], line["lot_code"], line["expiry_date"]) for line in intake["lines"]] == [
        ("Dodol Betawi", 18, "DB-12", days_from_today(45))
    ]
    assert inventory.stock(sari["dodol"])["on_hand"] == 18 and inventory.stock(sari["tas"])["on_hand"] == 0
    assert inventory.client.get(f"/intakes/{intake['id']}/receipt.pdf", headers=sari["headers"]).status_code == 200
    before = inventory.table_counts()
    twice = inventory.client.post(
        f"/deliveries/{delivery['id']}/receive", json={"lines": [{"line_no": 1, "qty": 18}]}, headers=inventory.manager
    )
    assert twice.status_code == 409 and twice.content_type == "application/problem+json"
    assert twice.json["code"] == "delivery_not_announced"
    cancel = inventory.client.post(f"/deliveries/{delivery['id']}/cancel", json={}, headers=sari["headers"])
    assert cancel.status_code == 409 and cancel.json["code"] == "delivery_not_announced"
    assert inventory.table_counts() == before
    assert inventory.get("/deliveries", headers=sari["headers"])[0]["status"] == "received"
    inventory.assert_invariant()


def test_the_history_lists_every_status_newest_first_bounded_by_the_limit(inventory, sari):
    received, cancelled, announced = (_announce(inventory, sari, _two_lines(sari)) for _ in range(3))
    inventory.post(
        f"/deliveries/{received['id']}/receive", {"lines": [{"line_no": 1, "qty": 20}, {"line_no": 2, "qty": 5}]}, 200
    )
    inventory.post(f"/deliveries/{cancelled['id']}/cancel", {"reason": "Gudang penuh"}, 200)
    history = inventory.get("/deliveries")
    assert [(d["number"], d["status"]) for d in history] == [
        (announced["number"], "announced"),
        (cancelled["number"], "cancelled"),
        (received["number"], "received"),
    ]
    assert history[1]["cancel_reason"] == "Gudang penuh" and history[1]["intake_number"] is None
    assert history[2]["intake_number"].startswith("NT-") and history[0]["intake_number"] is None
    assert [d["number"] for d in inventory.get("/deliveries?limit=2")] == [announced["number"], cancelled["number"]]
    assert [d["number"] for d in inventory.get("/deliveries?status=received&limit=1")] == [received["number"]]
    for bad in ("0", "501", "x"):
        response = inventory.client.get(f"/deliveries?limit={bad}", headers=inventory.manager)
        assert response.status_code == 422 and response.content_type == "application/problem+json"


def test_managers_receiving_the_same_delivery_at_once_record_one_intake(inventory, sari):
    delivery = _announce(inventory, sari, _two_lines(sari))
    before = inventory.table_counts()["intakes"]
    body = {"lines": [{"line_no": 1, "qty": 20}, {"line_no": 2, "qty": 5}]}
    statuses = []

    def receive(_index):
        response = inventory.client.post(f"/deliveries/{delivery['id']}/receive", json=body, headers=inventory.manager)
        statuses.append((response.status_code, (response.get_json() or {}).get("code")))

    _run_concurrently(receive, 4)
    assert sorted(statuses, key=str) == [(200, None)] + [(409, "delivery_not_announced")] * 3
    assert inventory.table_counts()["intakes"] == before + 1
    assert inventory.stock(sari["dodol"])["on_hand"] == 20 and inventory.stock(sari["tas"])["on_hand"] == 5
    inventory.assert_invariant()


def test_the_announced_lot_and_expiry_are_kept_when_not_corrected(inventory, sari):
    delivery = _announce(inventory, sari, _two_lines(sari))
    received = inventory.post(
        f"/deliveries/{delivery['id']}/receive",
        {"lines": [{"line_no": 1, "qty": 20}, {"line_no": 2, "qty": 4}], "note": "satu tas rusak"},
        status=200,
    )
    intake = inventory.get(f"/intakes/{received['intake_id']}")
    assert [(line["qty"], line["lot_code"], line["expiry_date"]) for line in intake["lines"]] == [
        (20, "DB-11", days_from_today(60)),
        (4, f"{intake['number']}/2", None),
    ]
    assert intake["note"] == "satu tas rusak" and inventory.stock(sari["tas"])["on_hand"] == 4


#: (announced lines → the error's field in line 0)
BAD_ANNOUNCEMENTS = [
    ("food without expiry", lambda s: [{"product_id": s["dodol"]["id"], "qty": 5}], "expiry_date"),
    (
        "expiry already past",
        lambda s: [{"product_id": s["dodol"]["id"], "qty": 5, "expiry_date": days_from_today(-1)}],
        "expiry_date",
    ),
    ("quantity 0", lambda s: [{"product_id": s["tas"]["id"], "qty": 0}], "qty"),
    ("quantity as text", lambda s: [{"product_id": s["tas"]["id"], "qty": "5"}], "qty"),
    ("unknown product", lambda s: [{"product_id": str(uuid.uuid4()), "qty": 5}], "product_id"),
    ("unknown field", lambda s: [{"product_id": s["tas"]["id"], "qty": 5, "price": 1}], "price"),
]


@pytest.mark.parametrize("lines,field", [c[1:] for c in BAD_ANNOUNCEMENTS], ids=[c[0] for c in BAD_ANNOUNCEMENTS])
def test_a_bad_announcement_is_a_problem_and_writes_nothing(inventory, sari, lines, field):
    before = inventory.table_counts()
    response = inventory.client.post("/deliveries", json={"lines": lines(sari)}, headers=sari["headers"])
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert field in response.json["errors"]["lines"]["0"]
    assert inventory.table_counts() == before


#: (received lines, problem code, where the error is)
BAD_RECEIPTS = [
    ("a line missing", [{"line_no": 1, "qty": 20}], "invalid_delivery_lines", "lines"),
    (
        "an unknown line",
        [{"line_no": 1, "qty": 1}, {"line_no": 2, "qty": 1}, {"line_no": 3, "qty": 1}],
        "invalid_delivery_lines",
        "lines.2.line_no",
    ),
    ("a line twice", [{"line_no": 1, "qty": 1}, {"line_no": 1, "qty": 1}], "invalid_delivery_lines", "lines.1.line_no"),
    ("nothing arrived", [{"line_no": 1, "qty": 0}, {"line_no": 2, "qty": 0}], "nothing_received", "lines"),
    ("negative quantity", [{"line_no": 1, "qty": -1}, {"line_no": 2, "qty": 1}], None, "lines.0.qty"),
    (
        "food expiry removed",
        [{"line_no": 2, "qty": 5}, {"line_no": 1, "qty": 20, "expiry_date": None}],
        "invalid_intake_lines",
        "lines.1.expiry_date",
    ),
]


@pytest.mark.parametrize("lines,code,where", [c[1:] for c in BAD_RECEIPTS], ids=[c[0] for c in BAD_RECEIPTS])
def test_a_bad_receipt_is_a_problem_writes_nothing_and_leaves_it_announced(inventory, sari, lines, code, where):
    delivery = _announce(inventory, sari, _two_lines(sari))
    before = inventory.table_counts()
    response = inventory.client.post(
        f"/deliveries/{delivery['id']}/receive", json={"lines": lines}, headers=inventory.manager
    )
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert response.json.get("code") == code
    found = response.json["errors"]
    for key in where.split("."):
        found = found[key]
    assert found
    assert inventory.table_counts() == before
    assert inventory.get(f"/deliveries/{delivery['id']}")["status"] == "announced"


def test_a_manager_cancels_an_announced_delivery_with_a_reason_the_supplier_reads(inventory, sari):
    delivery = _announce(inventory, sari, _two_lines(sari))
    before = inventory.table_counts()
    for body in ({}, {"reason": "   "}):
        refused = inventory.client.post(f"/deliveries/{delivery['id']}/cancel", json=body, headers=inventory.manager)
        assert refused.status_code == 422 and refused.content_type == "application/problem+json"
        assert refused.json["code"] == "cancel_reason_required" and "reason" in refused.json["errors"]
    too_long = inventory.client.post(
        f"/deliveries/{delivery['id']}/cancel", json={"reason": "x" * 301}, headers=inventory.manager
    )
    assert too_long.status_code == 422 and "reason" in too_long.json["errors"]
    assert inventory.table_counts() == before
    assert inventory.get(f"/deliveries/{delivery['id']}")["status"] == "announced"
    cancelled = inventory.post(
        f"/deliveries/{delivery['id']}/cancel", {"reason": "Gudang penuh minggu ini"}, status=200
    )
    assert cancelled["status"] == "cancelled" and cancelled["closed_by"] == "manager:manager-user"
    seen = inventory.get("/deliveries", headers=sari["headers"])[0]
    assert (seen["status"], seen["cancel_reason"], seen["number"]) == (
        "cancelled",
        "Gudang penuh minggu ini",
        delivery["number"],
    )
    receive = inventory.client.post(
        f"/deliveries/{delivery['id']}/receive",
        json={"lines": [{"line_no": 1, "qty": 20}, {"line_no": 2, "qty": 5}]},
        headers=inventory.manager,
    )
    assert receive.status_code == 409 and receive.json["code"] == "delivery_not_announced"


def test_a_received_delivery_cannot_be_cancelled_by_a_manager(inventory, sari):
    delivery = _announce(inventory, sari, _two_lines(sari))
    inventory.post(
        f"/deliveries/{delivery['id']}/receive", {"lines": [{"line_no": 1, "qty": 20}, {"line_no": 2, "qty": 5}]}, 200
    )
    before = inventory.table_counts()
    refused = inventory.client.post(
        f"/deliveries/{delivery['id']}/cancel", json={"reason": "salah catat"}, headers=inventory.manager
    )
    assert refused.status_code == 409 and refused.content_type == "application/problem+json"
    assert refused.json["code"] == "delivery_not_announced" and "received" in refused.json["detail"]
    assert inventory.table_counts() == before
    found = inventory.get(f"/deliveries/{delivery['id']}")
    assert found["status"] == "received" and found["cancel_reason"] is None
    assert inventory.stock(sari["dodol"])["on_hand"] == 20


@pytest.mark.parametrize("status", ["suspended", "ended"])
def test_a_supplier_not_active_cannot_announce(inventory, sari, status):
    inventory.publish(
        "supplier.updated",
        {"supplier_id": sari["id"], "name": "Dodol Ibu Sari", "status": status, "consignment_days": 60},
    )
    before = inventory.table_counts()
    response = inventory.client.post("/deliveries", json={"lines": _two_lines(sari)}, headers=sari["headers"])
    assert response.status_code == 409 and response.content_type == "application/problem+json"
    assert response.json["code"] == "supplier_not_active"
    assert inventory.table_counts() == before
    inventory.publish("supplier.updated", {"supplier_id": sari["id"], "name": "Dodol Ibu Sari", "status": "active"})
    assert _announce(inventory, sari, _two_lines(sari))["status"] == "announced"


def test_deliveries_are_numbered_per_year_without_gaps(inventory, sari):
    year = days_from_today(0)[:4]
    first = _announce(inventory, sari, _two_lines(sari))
    refused = inventory.client.post(
        "/deliveries", json={"lines": [{"product_id": sari["dodol"]["id"], "qty": 1}]}, headers=sari["headers"]
    )
    assert refused.status_code == 422  # a refused announcement takes no number
    second = _announce(inventory, sari, _two_lines(sari))
    assert first["number"] == f"KRM-{year}-000001" and second["number"] == f"KRM-{year}-000002"
    received = inventory.post(
        f"/deliveries/{second['id']}/receive", {"lines": [{"line_no": 1, "qty": 20}, {"line_no": 2, "qty": 5}]}, 200
    )
    assert inventory.get(f"/intakes/{received['intake_id']}")["delivery_number"] == second["number"]
    direct = inventory.post(
        "/intakes", {"supplier_id": sari["id"], "lines": [{"product_id": sari["tas"]["id"], "qty": 1}]}
    )
    assert inventory.get(f"/intakes/{direct['id']}")["delivery_number"] is None


def test_suppliers_announcing_at_once_get_distinct_consecutive_numbers(inventory, sari):
    numbers = []

    def announce(_index):
        response = inventory.client.post("/deliveries", json={"lines": _two_lines(sari)}, headers=sari["headers"])
        assert response.status_code == 201, response.get_json()
        numbers.append(response.get_json()["number"])

    _run_concurrently(announce, 4)
    year = days_from_today(0)[:4]
    assert sorted(numbers) == [f"KRM-{year}-{n:06d}" for n in range(1, 5)]


def test_a_supplier_scanning_a_code_finds_only_their_own_product(inventory, sari):
    """What the announce form's scan field asks: a barcode (UPC-A or its EAN-13 form) or a SKU in any case."""
    dodol, tas = sari["dodol"], sari["tas"]
    own = sari["headers"]
    assert inventory.get(f"/products/by-code/{dodol['barcode']}", headers=own)["id"] == dodol["id"]
    assert inventory.get(f"/products/by-code/{tas['sku'].lower()}", headers=own)["id"] == tas["id"]
    upc = inventory.product(sari["id"], name="Kopi Sachet", category="minuman", barcode="036000291452")
    assert inventory.get("/products/by-code/0036000291452", headers=own)["id"] == upc["id"]
    other = inventory.product(inventory.supplier("Kopi Pak Budi"), name="Kopi Robusta", category="minuman")
    for code in (other["barcode"], other["sku"], "tidak-ada", "8991234500017"):
        response = inventory.client.get(f"/products/by-code/{code}", headers=own)
        assert response.status_code == 404 and response.content_type == "application/problem+json"
    assert inventory.get(f"/products/by-code/{other['sku']}")["id"] == other["id"]  # a manager finds any
