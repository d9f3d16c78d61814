"""What a supplier's own page reads from the suppliers service: pending money by the day it becomes available,
stock lot by lot (code, expiry, on hand), the goods due for pickup and why, and alerts in names, not ids.

Lots come from inventory's ``lot.received``: one test runs a real intake in the inventory app and hands its
outbox to the suppliers consumers, the others deliver built events."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from shared import business_time
from shared.config import DEFAULT_OUTLET_ID
from tests import suppliers_support as ev
from tests.inventory_support import days_from_today


def register(client, token, **agreement) -> str:
    body = {"business_name": "Dodol Betawi Mpok Yati", "owner_name": "Yati", "phone": "081311120001"}
    if agreement:
        body["agreement"] = agreement
    response = client.post("/suppliers", json=body, headers=token("manager"))
    assert response.status_code == 201, response.json
    return response.json["id"]


def me(client, token, supplier_id, path):
    response = client.get(f"/me/{path}", headers=token("supplier", supplier_id=supplier_id))
    assert response.status_code == 200, response.json
    return response.json


def lot_received(supplier_id, product_id, lot_id, lot_code, expiry_date=None, received_on=None) -> dict:
    return {
        "lot_id": lot_id,
        "outlet_id": DEFAULT_OUTLET_ID,
        "product_id": product_id,
        "supplier_id": supplier_id,
        "lot_code": lot_code,
        "expiry_date": expiry_date,
        "received_on": received_on or str(business_time.today()),
    }


def deliver_movement(app, supplier_id, product_id, lot_id, kind, qty, occurred_at=None):
    """One ``stock.moved`` of ``qty`` from or into ``lot_id``."""
    movement = ev.movement(supplier_id, product_id, kind, qty, occurred_at=occurred_at)
    movement["lot_id"] = lot_id
    ev.deliver(app, "stock.moved", ev.moved(movement))


def day(days_from_now: int) -> str:
    return str(business_time.today() + timedelta(days=days_from_now))


def test_pending_money_is_listed_by_the_day_its_holdback_ends(suppliers_app, suppliers_client, token):
    supplier_id = register(suppliers_client, token, holdback_days=7)
    product_id = ev.new_uuid()
    for days_ago, unit_price in ((1, 10_000), (1, 5_000), (3, 20_000), (10, 40_000)):
        sold = ev.sale([(supplier_id, product_id, 1, unit_price)], completed_at=ev.at(days_ago))
        ev.deliver(suppliers_app, "sale.completed", sold)
    refunded = ev.sale([(supplier_id, product_id, 1, 30_000)], completed_at=ev.at(2))
    ev.deliver(suppliers_app, "sale.completed", refunded)
    ev.deliver(suppliers_app, "sale.refunded", ev.refund(refunded, [(0, 1, 30_000)]))

    balance = me(suppliers_client, token, supplier_id, "balance")
    assert balance["pending_releases"] == [
        {"date": str(business_time.business_day(ev.at(3) + timedelta(days=7))), "amount": 16_000},
        {"date": str(business_time.business_day(ev.at(1) + timedelta(days=7))), "amount": 12_000},
    ]
    assert balance["pending"] == 28_000 and balance["available"] == 32_000


def test_the_stock_shows_each_lot_with_its_code_expiry_and_on_hand(suppliers_app, suppliers_client, token):
    supplier_id = register(suppliers_client, token, consignment_days=90)
    product_id, early, late, untold = ev.new_uuid(), ev.new_uuid(), ev.new_uuid(), ev.new_uuid()
    ev.deliver(suppliers_app, "product.upserted", ev.product(supplier_id, product_id, name="Dodol Durian"))
    ev.deliver(suppliers_app, "lot.received", lot_received(supplier_id, product_id, late, "B-2", day(200)))
    ev.deliver(suppliers_app, "lot.received", lot_received(supplier_id, product_id, early, "A-1", day(120)))
    ev.deliver(suppliers_app, "lot.received", lot_received(supplier_id, product_id, early, "A-1", day(120)))
    for lot_id, qty in ((early, 5), (late, 4), (untold, 2)):
        deliver_movement(suppliers_app, supplier_id, product_id, lot_id, "intake", qty)
    deliver_movement(suppliers_app, supplier_id, product_id, early, "sale", -2)

    [row] = me(suppliers_client, token, supplier_id, "stock")
    assert row["product_name"] == "Dodol Durian" and row["on_hand"] == 9
    assert row["lots"] == [
        {"lot_id": early, "lot_code": "A-1", "expiry_date": day(120), "received_on": day(0), "on_hand": 3},
        {"lot_id": late, "lot_code": "B-2", "expiry_date": day(200), "received_on": day(0), "on_hand": 4},
        {"lot_id": untold, "lot_code": None, "expiry_date": None, "received_on": day(0), "on_hand": 2},
    ]
    assert row["due_for_pickup"] is False and row["near_expiry"] is False
    assert me(suppliers_client, token, supplier_id, f"stock/{product_id}")["lots"] == row["lots"]
    other = register(suppliers_client, token)
    assert me(suppliers_client, token, other, "stock") == []


def test_pickups_due_list_near_expiry_and_ended_consignment_lots_with_quantity_and_day(
    suppliers_app, suppliers_client, token
):
    supplier_id = register(suppliers_client, token, consignment_days=60)
    dodol, kerupuk = ev.new_uuid(), ev.new_uuid()
    ev.deliver(suppliers_app, "product.upserted", ev.product(supplier_id, dodol, name="Dodol Durian"))
    ev.deliver(suppliers_app, "product.upserted", ev.product(supplier_id, kerupuk, name="Kerupuk Kulit"))
    near, fresh, old, sold_out, alerted = (ev.new_uuid() for _ in range(5))
    lots = [
        (dodol, near, "N-1", day(10), day(-5), 6),
        (dodol, fresh, "F-1", day(300), day(-5), 4),
        (kerupuk, old, "O-1", None, day(-70), 3),
        (dodol, sold_out, "S-1", day(5), day(-5), 2),
    ]
    for product_id, lot_id, code, expiry, received_on, qty in lots:
        ev.deliver(
            suppliers_app, "lot.received", lot_received(supplier_id, product_id, lot_id, code, expiry, received_on)
        )
        deliver_movement(suppliers_app, supplier_id, product_id, lot_id, "intake", qty)
    deliver_movement(suppliers_app, supplier_id, dodol, sold_out, "sale", -2)
    # a lot inventory told about only through an alert (received before lot.received existed)
    deliver_movement(suppliers_app, supplier_id, kerupuk, alerted, "intake", 1)
    ev.deliver(suppliers_app, "stock.alert_raised", ev.alert(supplier_id, kerupuk, "near_expiry", lot_id=alerted))

    pickups = me(suppliers_client, token, supplier_id, "pickups")
    assert [(p["product_name"], p["lot_code"], p["qty"], p["reason"], p["due_on"]) for p in pickups] == [
        ("Kerupuk Kulit", "O-1", 3, "consignment_ended", day(-10)),
        ("Dodol Durian", "N-1", 6, "near_expiry", day(10)),
        ("Kerupuk Kulit", None, 1, "near_expiry", None),
    ]
    stock = {row["product_name"]: row for row in me(suppliers_client, token, supplier_id, "stock")}
    assert stock["Dodol Durian"]["due_for_pickup"] and stock["Dodol Durian"]["near_expiry_lots"] == 1
    assert stock["Kerupuk Kulit"]["due_for_pickup"] and stock["Kerupuk Kulit"]["near_expiry_lots"] == 1
    other = register(suppliers_client, token)
    assert me(suppliers_client, token, other, "pickups") == []


def test_alerts_name_the_product_and_the_lot_with_its_expiry(suppliers_app, suppliers_client, token):
    supplier_id = register(suppliers_client, token)
    product_id, lot_id = ev.new_uuid(), ev.new_uuid()
    ev.deliver(suppliers_app, "product.upserted", ev.product(supplier_id, product_id, name="Dodol Durian"))
    ev.deliver(suppliers_app, "lot.received", lot_received(supplier_id, product_id, lot_id, "A-1", day(9)))
    near = ev.alert(supplier_id, product_id, "near_expiry", lot_id=lot_id)
    low = ev.alert(supplier_id, product_id, "low_stock")
    low["raised_at"] = ev.at(-0.01).isoformat()
    for raised in (near, low):
        ev.deliver(suppliers_app, "stock.alert_raised", raised)
    ev.deliver(suppliers_app, "stock.alert_raised", ev.alert(register(suppliers_client, token), ev.new_uuid()))

    alerts = me(suppliers_client, token, supplier_id, "alerts")
    assert [(a["kind"], a["product_name"], a["lot_code"], a["expiry_date"]) for a in alerts] == [
        ("low_stock", "Dodol Durian", None, None),
        ("near_expiry", "Dodol Durian", "A-1", day(9)),
    ]
    one = me(suppliers_client, token, supplier_id, f"alerts/{near['alert_id']}")
    assert one["lot_code"] == "A-1" and one["product_name"] == "Dodol Durian"


def _outbox(runtime, queue: str) -> list[dict]:
    """The envelopes ``runtime`` recorded for ``queue``'s consumers, oldest first."""
    outbox = runtime.messaging.outbox
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.envelope).where(outbox.c.queue == queue).order_by(outbox.c.created_at, outbox.c.id)
        ).scalars()
        return [json.loads(row) for row in rows]


def test_an_intake_in_inventory_reaches_the_supplier_as_lots_with_code_and_expiry(
    suppliers_app, suppliers_client, inventory, token
):
    supplier_id = register(suppliers_client, token, consignment_days=60)
    for envelope in _outbox(suppliers_app.extensions["sentra"], "inventory"):
        inventory.deliver(envelope)
    product = inventory.product(supplier_id, name="Dodol Betawi", requires_expiry=True)
    inventory.intake(
        supplier_id,
        [
            {"product_id": product["id"], "qty": 5, "lot_code": "LATE", "expiry_date": days_from_today(90)},
            {"product_id": product["id"], "qty": 4, "lot_code": "SOON", "expiry_date": days_from_today(12)},
        ],
    )
    sent = _outbox(inventory.runtime, "suppliers")
    assert [e["payload"]["lot_code"] for e in sent if e["type"] == "lot.received"] == ["LATE", "SOON"]
    for envelope in sent:
        ev.deliver(suppliers_app, envelope["type"], envelope_=envelope)

    [row] = me(suppliers_client, token, supplier_id, "stock")
    assert [(lot["lot_code"], lot["expiry_date"], lot["on_hand"]) for lot in row["lots"]] == [
        ("SOON", days_from_today(12), 4),
        ("LATE", days_from_today(90), 5),
    ]
    [pickup] = me(suppliers_client, token, supplier_id, "pickups")
    assert (pickup["product_name"], pickup["lot_code"], pickup["qty"], pickup["reason"]) == (
        "Dodol Betawi",
        "SOON",
        4,
        "near_expiry",
    )
