"""The stock ledger of the inventory service on a real database: intake, FEFO sales, refunds, write-offs,
counts, returns and alerts, with the on-hand invariant checked after each."""

from __future__ import annotations

import json
import uuid
from datetime import UTC

import pytest
from sqlalchemy import select

from services.inventory.stock import queries, returns, sales
from shared.celery_factory import RetryLater
from tests.inventory_support import days_from_today, refund_payload, sale_payload


@pytest.fixture
def dodol(inventory):
    """A food product with three lots of different expiry (intake order deliberately not FEFO order)."""
    supplier_id = inventory.supplier()
    product = inventory.product(supplier_id, name="Dodol Betawi", price=25_000, reorder_point=3)
    intake = inventory.intake(
        supplier_id,
        [
            {"product_id": product["id"], "qty": 5, "lot_code": "LATE", "expiry_date": days_from_today(90)},
            {"product_id": product["id"], "qty": 4, "lot_code": "EARLY", "expiry_date": days_from_today(10)},
            {"product_id": product["id"], "qty": 6, "lot_code": "MIDDLE", "expiry_date": days_from_today(40)},
        ],
    )
    product["lots"] = {line["lot_code"]: line["lot_id"] for line in intake["lines"]}
    return product


def _lots(inventory, product):
    return {lot["lot_code"]: lot["on_hand"] for lot in inventory.stock(product)["lots"]}


def _published_movements(inventory):
    """Every movement of every ``stock.moved`` event in the outbox, in the order they were recorded."""
    return [m for payload in _outbox_payloads(inventory, "stock.moved") for m in payload["movements"]]


def _outbox_payloads(inventory, event_type):
    outbox = inventory.runtime.messaging.outbox
    with inventory.runtime.engine.connect() as conn:
        rows = (
            conn.execute(
                select(outbox.c.envelope).where(outbox.c.event_type == event_type).order_by(outbox.c.created_at)
            )
            .scalars()
            .all()
        )
    return [json.loads(row)["payload"] for row in rows]


def test_an_intake_creates_numbered_lots_and_intake_movements_sent_to_suppliers(inventory, dodol):
    assert _lots(inventory, dodol) == {"EARLY": 4, "MIDDLE": 6, "LATE": 5}
    assert inventory.stock(dodol)["on_hand"] == 15 and inventory.stock(dodol)["flagged_for_count"] is False
    intakes = inventory.get("/intakes")
    assert len(intakes) == 1 and intakes[0]["number"].startswith("NT-") and intakes[0]["received_by"] == "Bu Manajer"
    moved = _published_movements(inventory)
    assert [(m["kind"], m["qty"], m["on_hand_after"]) for m in moved] == [
        ("intake", 5, 5),
        ("intake", 4, 9),
        ("intake", 6, 15),
    ]
    inventory.assert_invariant()


def test_a_sale_takes_from_the_lot_that_expires_first_across_several_lots(inventory, dodol):
    inventory.sale([(dodol, 3)])
    assert _lots(inventory, dodol) == {"EARLY": 1, "MIDDLE": 6, "LATE": 5}
    inventory.assert_invariant()
    inventory.sale([(dodol, 8)])
    assert _lots(inventory, dodol) == {"EARLY": 0, "MIDDLE": 0, "LATE": 4}
    assert inventory.stock(dodol)["on_hand"] == 4
    sales = [p["movements"] for p in _outbox_payloads(inventory, "stock.moved") if p["movements"][0]["kind"] == "sale"]
    first_expiry_first = sorted(([(m["lot_id"], m["qty"]) for m in movements] for movements in sales), key=len)
    assert first_expiry_first == [
        [(dodol["lots"]["EARLY"], -3)],
        [(dodol["lots"]["EARLY"], -1), (dodol["lots"]["MIDDLE"], -6), (dodol["lots"]["LATE"], -1)],
    ], "one stock.moved event per sale, its movements in first-expiry-first-out order"
    inventory.assert_invariant()


def test_a_sale_beyond_stock_is_never_refused_goes_negative_and_flags_a_count(inventory, dodol):
    inventory.sale([(dodol, 18)])
    stock = inventory.stock(dodol)
    assert stock["on_hand"] == -3 and stock["flagged_for_count"] is True and stock["unallocated"] == -3
    assert all(lot["on_hand"] == 0 for lot in stock["lots"])
    kinds = {a["kind"] for a in inventory.get("/alerts")}
    assert {"negative_on_hand", "low_stock"} <= kinds
    raised = _outbox_payloads(inventory, "stock.alert_raised")
    assert {a["kind"] for a in raised} >= {"negative_on_hand"} and raised[0]["supplier_id"] == dodol["supplier_id"]
    inventory.assert_invariant()


def test_the_same_sale_delivered_twice_changes_stock_once(inventory, dodol):
    envelope = inventory.sale([(dodol, 2)])
    inventory.deliver(envelope)
    assert inventory.stock(dodol)["on_hand"] == 13
    inventory.assert_invariant()


def test_low_stock_is_alerted_once_at_the_reorder_point_and_resolved_by_an_intake(inventory, dodol):
    inventory.sale([(dodol, 12)])
    inventory.sale([(dodol, 1)])
    low = [a for a in inventory.get("/alerts?kind=low_stock")]
    assert len(low) == 1 and "reorder point 3" in low[0]["message"]
    inventory.intake(dodol["supplier_id"], [{"product_id": dodol["id"], "qty": 10, "expiry_date": days_from_today(60)}])
    assert inventory.get("/alerts?kind=low_stock") == []
    assert len(inventory.get("/alerts?kind=low_stock&status=resolved")) == 1


def test_a_refund_back_to_stock_returns_units_to_the_lots_the_sale_took_them_from(inventory, dodol):
    envelope = inventory.sale([(dodol, 6)])
    assert _lots(inventory, dodol) == {"EARLY": 0, "MIDDLE": 4, "LATE": 5}
    sale = envelope["payload"]
    inventory.publish("sale.refunded", refund_payload(sale, [(0, 1)]))
    assert _lots(inventory, dodol) == {"EARLY": 0, "MIDDLE": 5, "LATE": 5}
    inventory.assert_invariant()
    inventory.publish("sale.refunded", refund_payload(sale, [(0, 3)]))
    assert _lots(inventory, dodol) == {"EARLY": 2, "MIDDLE": 6, "LATE": 5}
    assert inventory.stock(dodol)["on_hand"] == 13
    inventory.assert_invariant()


def test_a_refund_not_back_to_stock_changes_nothing(inventory, dodol):
    sale = inventory.sale([(dodol, 2)])["payload"]
    inventory.publish("sale.refunded", refund_payload(sale, [(0, 2)], back_to_stock=False))
    assert inventory.stock(dodol)["on_hand"] == 13
    inventory.assert_invariant()


def test_a_refund_that_arrives_before_its_sale_asks_to_be_retried_and_applies_after_the_sale(inventory, dodol):
    sale = sale_payload([(dodol, 2)])
    refund = refund_payload(sale, [(0, 2)])
    loaded_refund = json.loads(json.dumps(refund))
    from shared.events import contract

    schema = contract("sale.refunded").schema()
    with pytest.raises(RetryLater), inventory.runtime.transaction() as session:
        sales.apply_refund(session, schema.load(loaded_refund))
    assert inventory.stock(dodol)["on_hand"] == 15
    inventory.publish("sale.completed", sale)
    inventory.publish("sale.refunded", refund)
    assert inventory.stock(dodol)["on_hand"] == 15 and _lots(inventory, dodol)["EARLY"] == 4
    inventory.assert_invariant()


def test_a_refund_of_a_sale_that_went_negative_refills_the_shortfall_first(inventory, dodol):
    sale = inventory.sale([(dodol, 17)])["payload"]
    inventory.publish("sale.refunded", refund_payload(sale, [(0, 3)]))
    stock = inventory.stock(dodol)
    assert stock["on_hand"] == 1 and stock["unallocated"] == 0 and _lots(inventory, dodol)["LATE"] == 1
    inventory.assert_invariant()


def test_a_write_off_from_a_lot_records_who_bears_it_per_agreement_or_as_given(inventory, dodol):
    damaged = inventory.post(
        "/write-offs",
        {
            "product_id": dodol["id"],
            "lot_id": dodol["lots"]["LATE"],
            "qty": 2,
            "reason": "damaged",
            "note": "kemasan sobek",
        },
    )
    assert damaged["borne_by"] == "supplier" and damaged["recorded_by"] == "manager:manager-user"
    assert [(m["lot_id"], m["qty"], m["reason"]) for m in damaged["movements"]] == [
        (dodol["lots"]["LATE"], -2, "damaged")
    ]
    lost = inventory.post("/write-offs", {"product_id": dodol["id"], "qty": 5, "reason": "lost", "borne_by": "centre"})
    assert [(m["lot_id"], m["qty"]) for m in lost["movements"]] == [
        (dodol["lots"]["EARLY"], -4),
        (dodol["lots"]["MIDDLE"], -1),
    ]
    assert _lots(inventory, dodol) == {"EARLY": 0, "MIDDLE": 5, "LATE": 3}
    moved = [m for m in _published_movements(inventory) if m["kind"] == "write_off"]
    assert [(m["borne_by"], m["reason"]) for m in moved] == [
        ("supplier", "damaged"),
        ("centre", "lost"),
        ("centre", "lost"),
    ]
    inventory.assert_invariant()


def test_the_agreement_decides_who_bears_a_write_off_when_not_given(inventory):
    supplier_id = inventory.supplier("Anyaman Bambu", shrinkage="centre")
    basket = inventory.product(supplier_id, name="Bakul anyaman", category="kerajinan")
    inventory.intake(supplier_id, [{"product_id": basket["id"], "qty": 3}])
    assert (
        inventory.post("/write-offs", {"product_id": basket["id"], "qty": 1, "reason": "damaged"})["borne_by"]
        == "centre"
    )
    inventory.assert_invariant()


#: (change, field in error, problem code: None where the schema refuses it before any rule runs)
BAD_WRITE_OFFS = [
    ({"qty": 0}, "qty", None),
    ({"qty": -1}, "qty", None),
    ({"qty": 16}, "qty", "insufficient_stock"),
    ({"qty": 1.5}, "qty", None),
    ({"reason": "stolen by ghosts"}, "reason", None),
    ({"borne_by": "nobody"}, "borne_by", None),
    ({"product_id": str(uuid.uuid4())}, "product_id", "unknown_product"),
    ({"lot_id": str(uuid.uuid4())}, "lot_id", "unknown_lot"),
    ({"extra": True}, "extra", None),
]


@pytest.mark.parametrize(
    "change,field,code", BAD_WRITE_OFFS, ids=[f"{f}-{i}" for i, (_, f, _) in enumerate(BAD_WRITE_OFFS)]
)
def test_a_bad_write_off_is_a_problem_and_writes_nothing(inventory, dodol, change, field, code):
    before = inventory.table_counts()
    body = {"product_id": dodol["id"], "qty": 1, "reason": "damaged", **change}
    response = inventory.client.post("/write-offs", json=body, headers=inventory.manager)
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert field in response.json["errors"] and response.json.get("code") == code
    assert inventory.table_counts() == before


def test_a_count_reports_variance_in_units_and_rupiah_and_approval_posts_adjustments(inventory, dodol):
    kopi = inventory.product(dodol["supplier_id"], name="Kopi Robusta Bekasi", category="minuman", price=40_000)
    inventory.intake(dodol["supplier_id"], [{"product_id": kopi["id"], "qty": 10, "expiry_date": days_from_today(200)}])
    inventory.sale([(dodol, 1)])
    count = inventory.post("/counts", {"product_ids": [dodol["id"], kopi["id"]], "note": "opname akhir bulan"})
    assert count["status"] == "open" and count["uncounted"] == 2 and count["number"].startswith("SO-")
    assert count["opened_by"] == "manager:manager-user"
    inventory.post(
        f"/counts/{count['id']}/lines",
        {"lines": [{"product_id": dodol["id"], "counted": 11, "reason": "rusak tidak tercatat"}]},
        status=200,
    )
    for _ in range(12):  # kopi scanned one by one
        inventory.post(f"/counts/{count['id']}/lines", {"lines": [{"barcode": kopi["barcode"], "add": 1}]}, status=200)
    inventory.sale([(dodol, 1)])  # a sale while counting is not variance
    report = inventory.get(f"/counts/{count['id']}")
    lines = {line["name"]: line for line in report["lines"]}
    assert (lines["Dodol Betawi"]["expected"], lines["Dodol Betawi"]["counted"]) == (14, 11)
    assert (lines["Dodol Betawi"]["variance_units"], lines["Dodol Betawi"]["variance_rupiah"]) == (-3, -75_000)
    assert (lines["Kopi Robusta Bekasi"]["variance_units"], lines["Kopi Robusta Bekasi"]["variance_rupiah"]) == (
        2,
        80_000,
    )
    assert report["total_variance_rupiah"] == 5_000
    assert {line["counted_by"] for line in report["lines"]} == {"Bu Manajer"}
    approved = inventory.post(f"/counts/{count['id']}/approve", {"reason": "stock opname November"}, status=200)
    assert approved["status"] == "approved" and approved["closed_by"] == "manager:manager-user"
    assert [c["number"] for c in inventory.get("/counts?status=approved")] == [count["number"]]
    assert inventory.get("/counts?status=open") == []
    assert inventory.stock(dodol)["on_hand"] == 10 and inventory.stock(kopi)["on_hand"] == 12
    adjustments = [m for m in _published_movements(inventory) if m["kind"] == "count_adjustment"]
    assert sorted((m["qty"], m["reason"]) for m in adjustments) == [
        (-2, "rusak tidak tercatat"),
        (-1, "rusak tidak tercatat"),
        (2, "stock opname November"),
    ]
    inventory.assert_invariant()


def test_an_approved_count_clears_the_negative_flag(inventory, dodol):
    inventory.sale([(dodol, 20)])
    count = inventory.post("/counts", {"product_ids": [dodol["id"]]})
    inventory.post(f"/counts/{count['id']}/lines", {"lines": [{"product_id": dodol["id"], "counted": 0}]}, status=200)
    inventory.post(f"/counts/{count['id']}/approve", {}, status=200)
    stock = inventory.stock(dodol)
    assert stock["on_hand"] == 0 and stock["flagged_for_count"] is False
    assert inventory.get("/alerts?kind=negative_on_hand") == []
    inventory.assert_invariant()


def test_a_count_for_a_closed_session_is_a_conflict_and_writes_nothing(inventory, dodol):
    count = inventory.post("/counts", {"product_ids": [dodol["id"]]})
    inventory.post(f"/counts/{count['id']}/cancel", {}, status=200)
    before = inventory.table_counts()
    response = inventory.client.post(
        f"/counts/{count['id']}/lines",
        json={"lines": [{"product_id": dodol["id"], "counted": 3}]},
        headers=inventory.manager,
    )
    assert response.status_code == 409 and response.content_type == "application/problem+json"
    assert response.json["code"] == "count_not_open"
    approval = inventory.client.post(f"/counts/{count['id']}/approve", json={}, headers=inventory.manager)
    assert approval.status_code == 409 and approval.json["code"] == "count_not_open"
    assert inventory.table_counts() == before


@pytest.mark.parametrize(
    "entry,field",
    [
        ({"counted": -1}, "counted"),
        ({"counted": 2.0}, "counted"),
        ({}, "counted"),
        ({"counted": 1, "add": 1}, "counted"),
        ({"barcode": "4006381333931", "counted": 1}, "product_id"),
    ],
)
def test_a_bad_count_entry_is_a_problem_and_writes_nothing(inventory, dodol, entry, field):
    count = inventory.post("/counts", {"product_ids": [dodol["id"]]})
    before = inventory.table_counts()
    response = inventory.client.post(
        f"/counts/{count['id']}/lines",
        json={"lines": [{"product_id": dodol["id"], **entry}]},
        headers=inventory.manager,
    )
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert field in response.json["errors"]["lines"]["0"]
    assert inventory.table_counts() == before


def test_a_count_of_a_product_outside_the_session_is_rejected(inventory, dodol):
    other = inventory.product(dodol["supplier_id"], name="Kerupuk Kulit")
    count = inventory.post("/counts", {"product_ids": [dodol["id"]]})
    response = inventory.client.post(
        f"/counts/{count['id']}/lines",
        json={"lines": [{"product_id": other["id"], "counted": 1}]},
        headers=inventory.manager,
    )
    assert response.status_code == 422 and "product_id" in response.json["errors"]["lines"]["0"]


def test_the_pick_list_names_expired_near_expiry_consignment_ended_and_slow_lots(inventory):
    supplier_id = inventory.supplier("Keripik Tempe Mak Ijah", consignment_days=30)
    keripik = inventory.product(supplier_id, name="Keripik Tempe")
    batik = inventory.product(supplier_id, name="Batik Cap", category="fashion", price=150_000)
    old_day = days_from_today(-45)
    inventory.intake(
        supplier_id,
        [{"product_id": keripik["id"], "qty": 4, "lot_code": "OLD", "expiry_date": days_from_today(10)}],
        received_on=old_day,
    )
    inventory.intake(
        supplier_id,
        [
            {"product_id": keripik["id"], "qty": 6, "lot_code": "SOON", "expiry_date": days_from_today(5)},
            {"product_id": keripik["id"], "qty": 6, "lot_code": "FRESH", "expiry_date": days_from_today(120)},
            {"product_id": batik["id"], "qty": 2, "lot_code": "BATIK"},
        ],
    )
    picks = inventory.get(f"/returns/pick-list?supplier_id={supplier_id}&near_expiry_days=14&slow_mover_days=40")
    reasons = {p["lot_code"]: p["reasons"] for p in picks}
    assert reasons == {"OLD": ["near_expiry", "consignment_ended", "slow_mover"], "SOON": ["near_expiry"]}
    picks = inventory.get(f"/returns/pick-list?supplier_id={supplier_id}&near_expiry_days=0&slow_mover_days=1")
    assert {p["lot_code"] for p in picks} == {"OLD"}
    inventory.sale([(keripik, 1)])  # selling again: the product is no longer a slow mover
    picks = inventory.get(f"/returns/pick-list?supplier_id={supplier_id}&near_expiry_days=14&slow_mover_days=40")
    assert {p["lot_code"]: p["reasons"] for p in picks} == {
        "OLD": ["near_expiry", "consignment_ended"],
        "SOON": ["near_expiry"],
    }


def test_the_pick_list_shows_expired_lots(inventory, dodol):
    from datetime import date, timedelta

    from shared.business_time import today

    with inventory.runtime.session_factory() as session:
        picks = returns.pick_list(
            session,
            dodol["supplier_id"],
            "00000000-0000-4000-8000-000000000001",
            today=today() + timedelta(days=11),
            near_expiry_days=0,
        )
    assert [(p["lot_code"], p["reasons"]) for p in picks] == [("EARLY", ["expired"])]
    assert isinstance(picks[0]["expiry_date"], date)


def test_a_pickup_posts_return_movements_and_gives_a_numbered_note(inventory, dodol, token):
    note = inventory.post(
        "/returns",
        {
            "supplier_id": dodol["supplier_id"],
            "collected_by": "Ibu Sari",
            "lines": [
                {"lot_id": dodol["lots"]["EARLY"], "qty": 4, "reason": "near_expiry"},
                {"lot_id": dodol["lots"]["LATE"], "qty": 1},
            ],
        },
    )
    assert note["number"].startswith("RT-") and note["collected_by"] == "Ibu Sari" and len(note["lines"]) == 2
    assert _lots(inventory, dodol) == {"EARLY": 0, "MIDDLE": 6, "LATE": 4}
    moved = [m for m in _published_movements(inventory) if m["kind"] == "return_to_supplier"]
    assert sorted(m["qty"] for m in moved) == [-4, -1] and all(m["reference_id"] == note["id"] for m in moved)
    assert inventory.get(f"/returns/{note['id']}")["number"] == note["number"]
    assert [r["id"] for r in inventory.get(f"/returns?supplier_id={dodol['supplier_id']}")] == [note["id"]]
    inventory.assert_invariant()


def test_a_bad_return_is_a_problem_and_writes_nothing(inventory, dodol):
    other_supplier = inventory.supplier("Lain")
    other = inventory.product(other_supplier, name="Sambal Roa")
    other_lot = inventory.intake(
        other_supplier, [{"product_id": other["id"], "qty": 2, "expiry_date": days_from_today(30)}]
    )["lines"][0]["lot_id"]
    before = inventory.table_counts()
    early = dodol["lots"]["EARLY"]
    for lines, field, code in (
        ([{"lot_id": early, "qty": 5}], "qty", "insufficient_stock"),
        ([{"lot_id": early, "qty": 3}, {"lot_id": early, "qty": 2}], "qty", "insufficient_stock"),
        ([{"lot_id": other_lot, "qty": 1}], "lot_id", "invalid_return_lines"),
        ([{"lot_id": str(uuid.uuid4()), "qty": 1}], "lot_id", "invalid_return_lines"),
        ([{"lot_id": early, "qty": 0}], "qty", None),
    ):
        response = inventory.client.post(
            "/returns",
            json={"supplier_id": dodol["supplier_id"], "collected_by": "X", "lines": lines},
            headers=inventory.manager,
        )
        assert response.status_code == 422, response.json
        assert field in json.dumps(response.json["errors"]) and response.json.get("code") == code
    assert inventory.table_counts() == before


def test_the_alert_scan_raises_near_expiry_and_consignment_ended_once(inventory, token):
    supplier_id = inventory.supplier("Kue Kering Bu Tini", consignment_days=7)
    kue = inventory.product(supplier_id, name="Nastar")
    inventory.intake(
        supplier_id,
        [{"product_id": kue["id"], "qty": 3, "expiry_date": days_from_today(5)}],
        received_on=days_from_today(-10),
    )
    assert inventory.post("/alerts/scan", {"near_expiry_days": 7}, status=200)["raised"] == 2
    assert inventory.post("/alerts/scan", {}, status=200)["raised"] == 0
    alerts = inventory.get(f"/alerts?supplier_id={supplier_id}")
    assert sorted(a["kind"] for a in alerts) == ["consignment_ended", "near_expiry"]
    resolved = inventory.post(f"/alerts/{alerts[0]['id']}/resolve", {}, status=200)
    assert resolved["status"] == "resolved"
    assert len(inventory.get(f"/alerts?supplier_id={supplier_id}")) == 1
    assert inventory.client.get("/alerts", headers=token("cashier")).status_code == 403


BAD_INTAKE_LINES = [
    ({"expiry_date": days_from_today(-1)}, "expiry_date"),
    ({"qty": 0}, "qty"),
    ({"qty": -3}, "qty"),
    ({"qty": 2.5}, "qty"),
    ({"expiry_date": None}, "expiry_date"),
    ({"product_id": str(uuid.uuid4())}, "product_id"),
    ({"expiry_date": "31-12-2026"}, "expiry_date"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(
    "change,field", BAD_INTAKE_LINES, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD_INTAKE_LINES)]
)
def test_a_bad_intake_line_is_a_problem_and_writes_nothing(inventory, dodol, change, field):
    before = inventory.table_counts()
    line = {"product_id": dodol["id"], "qty": 3, "expiry_date": days_from_today(30), **change}
    response = inventory.client.post(
        "/intakes", json={"supplier_id": dodol["supplier_id"], "lines": [line]}, headers=inventory.manager
    )
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert field in response.json["errors"]["lines"]["0"]
    assert inventory.table_counts() == before


def test_an_intake_of_another_suppliers_product_or_for_an_unknown_supplier_writes_nothing(inventory, dodol):
    other_supplier = inventory.supplier("Lain")
    before = inventory.table_counts()
    line = {"product_id": dodol["id"], "qty": 3, "expiry_date": days_from_today(30)}
    for body, path, code in (
        ({"supplier_id": other_supplier, "lines": [line]}, ["lines", "0", "product_id"], "invalid_intake_lines"),
        ({"supplier_id": str(uuid.uuid4()), "lines": [line]}, ["supplier_id"], "unknown_supplier"),
        ({"supplier_id": dodol["supplier_id"], "lines": []}, ["lines"], None),
        ({"supplier_id": dodol["supplier_id"], "lines": [line], "received_on": "2026-13-01"}, ["received_on"], None),
    ):
        response = inventory.client.post("/intakes", json=body, headers=inventory.manager)
        assert response.status_code == 422 and response.json.get("code") == code, response.json
        errors = response.json["errors"]
        for key in path:
            errors = errors[key]
    assert inventory.table_counts() == before


def test_crafts_need_no_expiry_and_an_intake_date_can_be_given(inventory):
    supplier_id = inventory.supplier("Batik Bekasi")
    batik = inventory.product(supplier_id, name="Batik Tulis", category="fashion", price=350_000)
    intake = inventory.intake(
        supplier_id, [{"product_id": batik["id"], "qty": 2}], received_on="2026-11-01", received_by="Pak Joko"
    )
    assert intake["number"] == "NT-20261101-001" and intake["received_by"] == "Pak Joko"
    assert intake["lines"][0]["expiry_date"] is None and intake["lines"][0]["lot_code"] == "NT-20261101-001/1"
    inventory.assert_invariant()


def test_stock_listing_and_supplier_view_are_filtered(inventory, dodol, token):
    other = inventory.supplier("Lain")
    inventory.product(other, name="Sambal Roa")
    rows = inventory.get(f"/stock?supplier_id={dodol['supplier_id']}")
    assert [(r["name"], r["on_hand"]) for r in rows] == [("Dodol Betawi", 15)]
    own = inventory.get("/stock", headers=token("supplier", supplier_id=other))
    assert [r["name"] for r in own] == ["Sambal Roa"]
    assert (
        inventory.get(f"/products/{dodol['id']}/stock", headers=token("supplier", supplier_id=dodol["supplier_id"]))[
            "on_hand"
        ]
        == 15
    )


def test_the_invariant_check_reports_a_tampered_on_hand(inventory, dodol):
    from sqlalchemy import update

    from services.inventory.models import ProductStock

    with inventory.runtime.transaction() as session:
        session.execute(update(ProductStock).values(unallocated=99))  # units outside any lot, where none moved
    result = inventory.get("/stock/invariant")
    assert result["ok"] is False
    assert result["mismatches"] == [
        {
            "product_id": dodol["id"],
            "outlet_id": "00000000-0000-4000-8000-000000000001",
            "lot_id": None,
            "on_hand": 99,
            "sum_of_movements": 0,
        }
    ]


def test_reconciliation_lists_movements_in_a_time_window_for_managers_and_services(inventory, dodol, token):
    from datetime import datetime, timedelta

    before = datetime.now(UTC) - timedelta(seconds=1)
    sale = inventory.sale([(dodol, 5)])["payload"]
    refund = refund_payload(sale, [(0, 1)])
    inventory.publish("sale.refunded", refund)
    after = datetime.now(UTC) + timedelta(seconds=1)
    query = {"from": before.isoformat(), "to": after.isoformat()}
    response = inventory.client.get("/reconciliation/movements", query_string=query, headers=token("service"))
    assert response.status_code == 200
    rows = [r for r in json.loads(response.get_data()) if r["kind"] in ("sale", "refund")]
    assert sorted((r["kind"], r["reference_id"], r["qty"]) for r in rows) == [
        ("refund", refund["refund_id"], 1),
        ("sale", sale["sale_id"], -4),
        ("sale", sale["sale_id"], -1),
    ]
    assert rows[-1]["kind"] == "refund"  # oldest first
    assert all(r["supplier_id"] == dodol["supplier_id"] and r["product_id"] == dodol["id"] for r in rows)
    assert {"movement_id", "occurred_at"} <= rows[0].keys()
    empty = inventory.client.get(
        "/reconciliation/movements",
        headers=inventory.manager,
        query_string={"from": "2020-01-01T00:00:00+00:00", "to": "2020-01-02T00:00:00+00:00"},
    )
    assert json.loads(empty.get_data()) == []
    from shared.business_time import today

    by_day = inventory.client.get(
        "/reconciliation/movements",
        headers=token("service"),
        query_string={"from": today().isoformat(), "to": today().isoformat()},
    )
    assert {r["movement_id"] for r in rows} <= {r["movement_id"] for r in json.loads(by_day.get_data())}
    assert (
        inventory.client.get("/reconciliation/movements", query_string=query, headers=token("cashier")).status_code
        == 403
    )
    bad = inventory.client.get(
        "/reconciliation/movements", query_string={"from": "yesterday"}, headers=token("service")
    )
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"


def test_reconciliation_pages_through_more_movements_than_one_batch(inventory, dodol):
    from datetime import datetime, timedelta

    for _ in range(7):
        inventory.sale([(dodol, 1)])
    with inventory.runtime.session_factory() as session:
        rows = list(
            queries.movements_between(
                session,
                datetime.now(UTC) - timedelta(hours=1),
                datetime.now(UTC) + timedelta(hours=1),
                batch=2,
            )
        )
    assert len(rows) == 10 and len({r["movement_id"] for r in rows}) == 10
    assert [r["occurred_at"] for r in rows] == sorted(r["occurred_at"] for r in rows)


def test_a_broken_event_ends_in_the_dead_letters_and_a_manager_can_send_it_again(inventory, token):
    from shared.events import build_envelope

    envelope = build_envelope(
        "supplier.registered", "suppliers", {"supplier_id": str(uuid.uuid4()), "name": "X", "status": "active"}
    )
    envelope["payload"]["status"] = "bankrupt"  # breaks the contract: dead-lettered at once
    inventory.deliver(envelope)
    letters = inventory.get("/dead-letters")
    assert [(d["event_id"], d["consumer"], d["status"]) for d in letters] == [
        (envelope["event_id"], "inventory.on_supplier_registered", "open")
    ]
    assert "invalid event" in letters[0]["error"]
    retried = inventory.post(f"/dead-letters/{letters[0]['id']}/retry", {}, status=202)
    assert retried["status"] == "retried"
    outbox = inventory.runtime.messaging.outbox
    with inventory.runtime.engine.connect() as conn:
        queued = conn.execute(
            select(outbox.c.task_name, outbox.c.queue).where(outbox.c.event_id == envelope["event_id"])
        ).all()
    assert queued == [("inventory.on_supplier_registered", "inventory")]
    assert (
        inventory.client.post(f"/dead-letters/{letters[0]['id']}/retry", headers=inventory.manager).status_code == 409
    )
    assert inventory.client.get("/dead-letters", headers=token("cashier")).status_code == 403
