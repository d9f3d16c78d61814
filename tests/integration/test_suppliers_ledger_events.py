"""The ledger fed by events: sales, refunds, write-offs, duplicates, out-of-order delivery, terms in force."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.suppliers import ledger
from services.suppliers.models import JournalEntry, PayableItem
from shared import business_time
from tests import suppliers_support as ev


def register(suppliers_client, token, **agreement) -> str:
    body = {"business_name": "Dodol Betawi Mpok Yati", "owner_name": "Yati", "phone": "081311120001"}
    if agreement:
        body["agreement"] = agreement
    response = suppliers_client.post("/suppliers", json=body, headers=token("manager"))
    assert response.status_code == 201, response.json
    return response.json["id"]


def balance(suppliers_client, token, supplier_id) -> dict:
    response = suppliers_client.get(f"/suppliers/{supplier_id}/balance", headers=token("manager"))
    assert response.status_code == 200, response.json
    return response.json


def invariants(suppliers_app) -> dict:
    with suppliers_app.extensions["sentra"].transaction() as session:
        return ledger.check_invariants(session)


def test_a_sale_credits_the_supplier_share_under_the_default_20_percent_commission(
    suppliers_app, suppliers_client, token
):
    supplier_id = register(suppliers_client, token)
    product_id = ev.new_uuid()
    ev.deliver(suppliers_app, "sale.completed", ev.sale([(supplier_id, product_id, 3, 25_000)], completed_at=ev.at(30)))
    assert balance(suppliers_client, token, supplier_id) == {
        "supplier_id": supplier_id,
        "pending": 0,
        "pending_releases": [],
        "available": 60_000,
        "paid": 0,
        "lifetime_sales": 75_000,
        "reserved": 0,
        "payable": 60_000,
    }
    report = invariants(suppliers_app)
    assert report["ok"], report
    assert report["total_debit"] == report["total_credit"] == 75_000


def test_a_recent_sale_is_pending_until_the_holdback_has_passed(suppliers_app, suppliers_client, token):
    supplier_id = register(suppliers_client, token, holdback_days=7)
    ev.deliver(
        suppliers_app, "sale.completed", ev.sale([(supplier_id, ev.new_uuid(), 1, 10_001)], completed_at=ev.at(1))
    )
    ev.deliver(
        suppliers_app, "sale.completed", ev.sale([(supplier_id, ev.new_uuid(), 1, 10_000)], completed_at=ev.at(8))
    )
    result = balance(suppliers_client, token, supplier_id)
    # 10 001 × 20 % = 2 000.2 → commission 2 000, share 8 001 (half up); 10 000 → share 8 000
    assert (result["pending"], result["available"], result["lifetime_sales"]) == (8_001, 8_000, 20_001)


def test_the_same_sale_delivered_twice_or_under_a_new_event_id_posts_once(suppliers_app, suppliers_client, token):
    supplier_id = register(suppliers_client, token)
    payload = ev.sale([(supplier_id, ev.new_uuid(), 2, 15_000)], completed_at=ev.at(20))
    envelope = ev.deliver(suppliers_app, "sale.completed", payload)
    ev.deliver(suppliers_app, "sale.completed", envelope_=envelope)
    ev.deliver(suppliers_app, "sale.completed", payload)  # the same sale re-published under another event id
    assert balance(suppliers_client, token, supplier_id)["available"] == 24_000
    with suppliers_app.extensions["sentra"].transaction() as session:
        assert session.execute(select(func.count()).select_from(JournalEntry)).scalar_one() == 1


def test_a_refund_before_its_sale_waits_and_is_posted_after_the_sale(suppliers_app, suppliers_client, token):
    supplier_id = register(suppliers_client, token)
    sold = ev.sale([(supplier_id, ev.new_uuid(), 2, 20_000)], completed_at=ev.at(20))
    early_refund = ev.envelope("sale.refunded", ev.refund(sold, [(0, 1, 20_000)], refunded_at=ev.at(19)))
    ev.deliver(suppliers_app, "sale.refunded", envelope_=early_refund)  # parked until its sale is posted
    assert balance(suppliers_client, token, supplier_id)["payable"] == 0
    ev.deliver(suppliers_app, "sale.completed", sold)  # posts the sale, then releases the parked refund
    ev.deliver(suppliers_app, "sale.refunded", envelope_=early_refund)  # a duplicate of it
    assert balance(suppliers_client, token, supplier_id)["available"] == 16_000
    assert balance(suppliers_client, token, supplier_id)["lifetime_sales"] == 20_000
    assert invariants(suppliers_app)["ok"]


def test_partial_refunds_of_a_line_add_up_to_exactly_its_original_split(suppliers_app, suppliers_client, token):
    supplier_id = register(suppliers_client, token, commission_bps=2_333)
    sold = ev.sale([(supplier_id, ev.new_uuid(), 3, 3_333)], completed_at=ev.at(20))  # line total 9 999
    ev.deliver(suppliers_app, "sale.completed", sold)
    for amount in (3_333, 3_333, 3_333):
        ev.deliver(suppliers_app, "sale.refunded", ev.refund(sold, [(0, 1, amount)], refunded_at=ev.at(19)))
    result = balance(suppliers_client, token, supplier_id)
    assert result["payable"] == 0 and result["lifetime_sales"] == 0
    with suppliers_app.extensions["sentra"].transaction() as session:
        items = session.execute(select(PayableItem)).scalars().all()
        assert sum(i.commission for i in items) == 0
        assert all(i.amount + i.commission == i.gross for i in items)
    assert invariants(suppliers_app)["ok"]


def test_a_refund_for_more_than_the_line_is_refused_and_posts_nothing(suppliers_app, suppliers_client, token):
    supplier_id = register(suppliers_client, token)
    sold = ev.sale([(supplier_id, ev.new_uuid(), 1, 10_000)], completed_at=ev.at(20))
    ev.deliver(suppliers_app, "sale.completed", sold)
    with pytest.raises(ValueError):
        ev.deliver(suppliers_app, "sale.refunded", ev.refund(sold, [(0, 1, 10_001)]))
    assert balance(suppliers_client, token, supplier_id)["available"] == 8_000


def test_terms_in_force_at_the_sale_time_apply_and_later_changes_never_alter_past_postings(
    suppliers_app, suppliers_client, token
):
    supplier_id = register(suppliers_client, token, commission_bps=2_000)
    product_id = ev.new_uuid()
    ev.deliver(
        suppliers_app, "sale.completed", ev.sale([(supplier_id, product_id, 1, 100_000)], completed_at=ev.at(40))
    )
    response = suppliers_client.post(
        f"/suppliers/{supplier_id}/agreements",
        headers=token("manager"),
        json={
            "type": "fixed_price",
            "fixed_prices": [{"product_id": product_id, "supplier_price": 70_000}],
            "effective_from": ev.at(30).isoformat(),
        },
    )
    assert response.status_code == 201, response.json
    ev.deliver(
        suppliers_app, "sale.completed", ev.sale([(supplier_id, product_id, 2, 100_000)], completed_at=ev.at(20))
    )
    # a sale from before the change that arrives late still gets the old terms
    ev.deliver(
        suppliers_app, "sale.completed", ev.sale([(supplier_id, product_id, 1, 100_000)], completed_at=ev.at(35))
    )
    assert balance(suppliers_client, token, supplier_id)["available"] == 80_000 + 140_000 + 80_000
    agreements = suppliers_client.get(f"/suppliers/{supplier_id}/agreements", headers=token("manager")).json
    assert [a["type"] for a in agreements] == ["commission", "fixed_price"]


def test_a_write_off_the_centre_bears_credits_the_supplier_as_if_sold_and_one_the_supplier_bears_does_not(
    suppliers_app, suppliers_client, token
):
    supplier_id = register(suppliers_client, token)
    product_id = ev.new_uuid()
    ev.deliver(
        suppliers_app, "stock.moved", ev.moved(ev.movement(supplier_id, product_id, "intake", 10, on_hand_after=10))
    )
    centre = ev.movement(
        supplier_id,
        product_id,
        "write_off",
        -2,
        unit_price=25_000,
        borne_by="centre",
        reason="rusak di rak",
        on_hand_after=8,
    )
    ev.deliver(suppliers_app, "stock.moved", ev.moved(centre))
    ev.deliver(suppliers_app, "stock.moved", ev.moved(centre))
    ev.deliver(
        suppliers_app,
        "stock.moved",
        ev.moved(
            ev.movement(
                supplier_id, product_id, "write_off", -1, unit_price=25_000, borne_by="supplier", on_hand_after=7
            )
        ),
    )
    result = balance(suppliers_client, token, supplier_id)
    assert result["available"] == 40_000 and result["lifetime_sales"] == 0
    stock = suppliers_client.get(f"/suppliers/{supplier_id}/stock", headers=token("manager")).json
    assert stock == [
        {
            "product_id": product_id,
            "product_name": "",
            "on_hand": 7,
            "sold": 0,
            "near_expiry": False,
            "near_expiry_lots": 0,
            "due_for_pickup": False,
            "lots": [
                {
                    "lot_id": None,
                    "lot_code": None,
                    "expiry_date": None,
                    "received_on": str(business_time.today()),
                    "on_hand": 7,
                }
            ],
        }
    ]
    assert invariants(suppliers_app)["ok"]


def test_the_stock_view_shows_on_hand_sold_near_expiry_and_due_for_pickup(suppliers_app, suppliers_client, token):
    supplier_id = register(suppliers_client, token, consignment_days=30)
    product_id = ev.new_uuid()
    ev.deliver(suppliers_app, "product.upserted", ev.product(supplier_id, product_id, name="Dodol Durian", revision=1))
    ev.deliver(
        suppliers_app, "product.upserted", ev.product(supplier_id, product_id, name="Dodol Durian 250 g", revision=2)
    )
    ev.deliver(suppliers_app, "product.upserted", ev.product(supplier_id, product_id, name="stale name", revision=1))
    ev.deliver(
        suppliers_app,
        "stock.moved",
        ev.moved(ev.movement(supplier_id, product_id, "intake", 20, occurred_at=ev.at(40))),
    )
    sold = ev.sale([(supplier_id, product_id, 3, 30_000)])
    ev.deliver(suppliers_app, "sale.completed", sold)
    ev.deliver(
        suppliers_app,
        "stock.moved",
        ev.moved(ev.movement(supplier_id, product_id, "sale", -3, reference_id=sold["sale_id"])),
    )
    ev.deliver(suppliers_app, "stock.alert_raised", ev.alert(supplier_id, product_id, lot_id=ev.new_uuid()))
    [row] = suppliers_client.get(f"/suppliers/{supplier_id}/stock", headers=token("manager")).json
    assert row == {
        "product_id": product_id,
        "product_name": "Dodol Durian 250 g",
        "on_hand": 17,
        "sold": 3,
        "near_expiry": True,
        "near_expiry_lots": 1,
        "due_for_pickup": True,
        "lots": [
            {
                "lot_id": None,
                "lot_code": None,
                "expiry_date": None,
                "received_on": str(business_time.business_day(ev.at(40))),
                "on_hand": 17,
            }
        ],
    }


def test_an_event_that_keeps_failing_is_dead_lettered_and_a_manager_can_retry_it_once(
    suppliers_app, suppliers_client, token
):
    supplier_id = register(suppliers_client, token)
    sold = ev.sale([(supplier_id, ev.new_uuid(), 1, 10_000)], completed_at=ev.at(20))
    ev.deliver(suppliers_app, "sale.completed", sold)
    impossible = ev.envelope("sale.refunded", ev.refund(sold, [(0, 1, 99_999)]))  # more than the line
    for _ in range(7):
        with pytest.raises(ValueError):
            ev.deliver(suppliers_app, "sale.refunded", envelope_=impossible)
    ev.deliver(suppliers_app, "sale.refunded", envelope_=impossible)  # the last attempt: dead-lettered, not raised
    [dead] = suppliers_client.get("/dead-letters", headers=token("manager")).json
    assert (dead["event_id"], dead["event_type"], dead["attempts"], dead["status"]) == (
        impossible["event_id"],
        "sale.refunded",
        8,
        "open",
    )
    assert "refund exceeds" in dead["error"]
    retried = suppliers_client.post(f"/dead-letters/{dead['id']}/retry", headers=token("manager"))
    assert retried.status_code == 202 and retried.json["status"] == "retried"
    assert suppliers_client.post(f"/dead-letters/{dead['id']}/retry", headers=token("manager")).status_code == 409
    assert suppliers_client.get("/dead-letters", headers=token("supplier", supplier_id=supplier_id)).status_code == 403
    runtime = suppliers_app.extensions["sentra"]
    with runtime.engine.connect() as conn:
        queues = [
            r.queue for r in conn.execute(runtime.messaging.outbox.select()).all() if r.event_type == "sale.refunded"
        ]
    assert queues == ["suppliers"]
    assert balance(suppliers_client, token, supplier_id)["available"] == 8_000


def test_the_migration_back_to_stored_balances_fills_each_from_its_postings(make_database_url):
    import sqlalchemy as sa
    from alembic import command
    from sqlalchemy.orm import sessionmaker

    from shared.db import make_engine, transaction, utcnow
    from shared.migrations import alembic_config

    url = make_database_url("suppliers")
    config = alembic_config("suppliers", url)
    command.upgrade(config, "head")
    engine = make_engine(url)
    supplier_id = "00000000-0000-4000-8000-0000000000aa"
    legs = [
        ledger.Leg(ledger.SALES_CLEARING, 10_000),
        ledger.Leg(ledger.payable_account(supplier_id), -8_000),
        ledger.Leg(ledger.COMMISSION_REVENUE, -2_000),
    ]
    with transaction(sessionmaker(engine)) as session:
        for sale_id in ("sale-1", "sale-2"):
            ledger.post_entry(
                session, source_type="sale", source_id=sale_id, description="Penjualan", occurred_at=utcnow(), legs=legs
            )
        assert ledger.payable_balances(session) == {supplier_id: 16_000}
        assert ledger.payable_balance(session, supplier_id) == 16_000
    command.downgrade(config, "0007")
    with engine.connect() as connection:
        stored = dict(connection.execute(sa.text("SELECT account_code, balance FROM account_balances")).tuples().all())
    engine.dispose()
    assert stored == {
        ledger.SALES_CLEARING: -20_000,
        ledger.payable_account(supplier_id): 16_000,
        ledger.COMMISSION_REVENUE: 4_000,
    }
