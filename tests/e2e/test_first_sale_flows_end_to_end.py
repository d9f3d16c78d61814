"""The first vertical slice, through the gateway, real HTTP, a real Redis and real worker processes:
supplier → product → intake → a cashier's sale → stock and the supplier's balance follow."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from shared import business_time
from shared.events import contract
from tests.e2e.counter import PRICE, balance, checkout, ok, on_hand, open_shop
from tests.support import event_taken, eventually

pytestmark = pytest.mark.e2e


@pytest.fixture
def platform(shared_platform):
    """Every test here leaves the platform working: they share the run's."""
    return shared_platform


@pytest.fixture
def shop(platform):
    return open_shop(platform)


def test_a_sale_at_the_counter_reaches_stock_and_the_suppliers_payable(platform, shop):
    sale = checkout(platform, shop, qty=2)
    assert sale["total"] == 2 * PRICE
    eventually(lambda: on_hand(platform, shop) == 8, message="stock decremented by the sale")
    share = 2 * PRICE - 2 * PRICE * 2_000 // 10_000  # the default commission is 20 %
    eventually(lambda: balance(platform, shop) == share, message="supplier credited with the share")


def test_the_same_sale_completed_delivered_twice_changes_stock_andbalance_once(platform, shop):
    sale = checkout(platform, shop, qty=3)
    eventually(lambda: on_hand(platform, shop) == 7, message="first delivery applied")
    expectedbalance = eventually(lambda: balance(platform, shop), message="supplier credited")

    pos = platform.runtime("pos")
    with pos.engine.connect() as conn:
        outbox = pos.messaging.outbox
        rows = conn.execute(select(outbox).where(outbox.c.event_type == "sale.completed")).all()
    envelope = json.loads(rows[0].envelope)
    assert envelope["payload"]["sale_id"] == sale["id"]
    for service in ("inventory", "suppliers"):
        pos.celery.send_task(contract("sale.completed").task_name(service), args=[[envelope]], queue=service)

    redis_url = platform.settings["pos"].redis_url
    for service in ("inventory", "suppliers"):  # a duplicate leaves no trace but its message taken and acknowledged
        eventually(
            lambda service=service: event_taken(redis_url, service, envelope["event_id"]),
            message=f"{service} took the duplicate",
        )
    assert on_hand(platform, shop) == 7
    assert balance(platform, shop) == expectedbalance


def test_a_reconciliation_fetches_the_real_pos_and_inventory_records_and_finds_the_books_agree(platform, shop):
    checkout(platform, shop, qty=1)
    checkout(platform, shop, qty=2)
    eventually(lambda: on_hand(platform, shop) == 7, message="both sales reached inventory")
    eventually(lambda: balance(platform, shop) == 3 * PRICE - 3 * PRICE // 5, message="both sales reached the ledger")
    today = business_time.today().isoformat()
    queued = ok(
        platform.http.post(
            f"{platform.api('suppliers')}/reconciliations", headers=shop["manager"], json={"from": today, "to": today}
        ),
        202,
    )
    url = f"{platform.api('suppliers')}/reconciliations/{queued['id']}"
    done = eventually(
        lambda: (r := ok(platform.http.get(url, headers=shop["manager"])))["status"] in ("done", "failed") and r,
        timeout=60,
        message="the worker ran the reconciliation",
    )
    assert done["status"] == "done", done
    report = done["report"]
    assert report["ok"] is True, report
    assert (report["missing"], report["duplicated"], report["mismatched"]) == ([], [], [])
    assert report["counts"]["pos_sales"] == 2
    assert report["invariants"]["ok"] and report["invariants"]["total_debit"] == report["invariants"]["total_credit"]
