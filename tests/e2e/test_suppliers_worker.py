"""The suppliers worker as a real process on the real Redis: duplicate deliveries, a refund before its sale, and a
reconciliation fetched over HTTP by the worker."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.suppliers import create_app
from services.suppliers.consumers import RECONCILIATION_CONSUMER
from shared.celery_factory import make_celery
from shared.events import contract
from tests import suppliers_support as ev
from tests.support import event_taken, eventually

pytestmark = pytest.mark.e2e


@pytest.fixture
def upstream():
    with ev.FakeUpstream() as server:
        yield server


@pytest.fixture
def suppliers(make_settings, start_worker, upstream, redis_server, monkeypatch):
    """The suppliers web app (in process) and its real worker subprocess, on one database and the test Redis."""
    monkeypatch.setenv("SENTRA_POS_URL", f"{upstream.url}/pos")
    monkeypatch.setenv("SENTRA_INVENTORY_URL", f"{upstream.url}/inventory")
    settings = make_settings("suppliers")
    redis_server.client().flushall()
    app = ev.with_consumers(create_app(settings))
    start_worker(settings)
    yield app
    app.extensions["sentra"].engine.dispose()


def publish(settings, event_type: str, envelope: dict) -> None:
    """What a producer's outbox relay does: send the consumer task on the suppliers queue."""
    celery = make_celery("test-producer", settings.redis_url)
    celery.send_task(contract(event_type).task_name("suppliers"), args=[[envelope]], queue="suppliers")


def balance_of(client, token, supplier_id) -> dict:
    return client.get(f"/suppliers/{supplier_id}/balance", headers=token("manager")).json


def test_a_sale_completed_delivered_twice_through_redis_changes_the_balance_once(suppliers, token):
    client = suppliers.test_client()
    settings = suppliers.extensions["sentra"].settings
    supplier_id = client.post(
        "/suppliers",
        json={"business_name": "Dodol Mpok Yati", "owner_name": "Yati", "phone": "081311120001"},
        headers=token("manager"),
    ).json["id"]
    envelope = ev.envelope("sale.completed", ev.sale([(supplier_id, ev.new_uuid(), 2, 25_000)], completed_at=ev.at(10)))
    publish(settings, "sale.completed", envelope)
    publish(settings, "sale.completed", envelope)
    eventually(
        lambda: balance_of(client, token, supplier_id)["available"] == 40_000,
        timeout=30,
        message="the sale posted by the worker",
    )
    eventually(
        lambda: event_taken(settings.redis_url, "suppliers", envelope["event_id"]),
        timeout=30,
        message="both copies handled",
    )
    assert balance_of(client, token, supplier_id) == {
        "supplier_id": supplier_id,
        "pending": 0,
        "pending_releases": [],
        "available": 40_000,
        "paid": 0,
        "lifetime_sales": 50_000,
        "reserved": 0,
        "payable": 40_000,
    }


def test_a_refund_arriving_before_its_sale_is_retried_by_the_worker_until_the_sale_is_in(suppliers, token):
    client = suppliers.test_client()
    settings = suppliers.extensions["sentra"].settings
    supplier_id = client.post(
        "/suppliers",
        json={"business_name": "Kopi Sukamakmur", "owner_name": "Asep", "phone": "081311120003"},
        headers=token("manager"),
    ).json["id"]
    sold = ev.sale([(supplier_id, ev.new_uuid(), 2, 50_000)], completed_at=ev.at(10))
    publish(settings, "sale.refunded", ev.envelope("sale.refunded", ev.refund(sold, [(0, 1, 50_000)])))
    publish(settings, "sale.completed", ev.envelope("sale.completed", sold))
    eventually(
        lambda: balance_of(client, token, supplier_id)["lifetime_sales"] == 50_000,
        timeout=60,
        message="sale and then its refund posted",
    )
    assert balance_of(client, token, supplier_id)["available"] == 40_000


def test_the_worker_runs_a_queued_reconciliation_fetching_pos_and_inventory_over_http(suppliers, token, upstream):
    client = suppliers.test_client()
    supplier_id = client.post(
        "/suppliers",
        json={"business_name": "Batik Tarumanegara", "owner_name": "Siti", "phone": "081311120005"},
        headers=token("manager"),
    ).json["id"]
    march = datetime(2026, 3, 5, 3, tzinfo=UTC)
    recorded = ev.sale([(supplier_id, ev.new_uuid(), 1, 350_000)], completed_at=march)
    ev.deliver(suppliers, "sale.completed", recorded)
    never_arrived = ev.sale([(supplier_id, ev.new_uuid(), 1, 35_000)], completed_at=march)
    for sale in (recorded, never_arrived):
        upstream.sales.append(ev.pos_view(sale))
        upstream.movements.extend(ev.inventory_view(sale))
    queued = client.post("/reconciliations", json={"from": "2026-03-01", "to": "2026-03-31"}, headers=token("manager"))
    assert queued.status_code == 202
    result = eventually(
        lambda: (
            (r := client.get(f"/reconciliations/{queued.json['id']}", headers=token("manager")).json)["status"]
            != "queued"
            and r
        ),
        timeout=60,
        message=f"{RECONCILIATION_CONSUMER} done by the worker",
    )
    assert result["status"] == "done", result
    assert result["report"]["missing"] == [
        {"kind": "sale", "id": never_arrived["sale_id"], "missing_in": "ledger", "amount": 35_000}
    ]
    assert result["report"]["invariants"]["ok"]


def test_a_reconciliation_asked_for_while_redis_is_down_is_run_once_redis_is_back(
    suppliers, token, upstream, redis_server
):
    client = suppliers.test_client()
    redis_server.stop()
    try:
        queued = client.post(
            "/reconciliations", json={"from": "2026-03-01", "to": "2026-03-31"}, headers=token("manager")
        )
        assert queued.status_code == 202 and queued.json["status"] == "queued"
    finally:
        redis_server.start()
    suppliers.extensions["sentra"].relay.publish_pending()  # what the sweep does with rows given back
    result = eventually(
        lambda: (
            (r := client.get(f"/reconciliations/{queued.json['id']}", headers=token("manager")).json)["status"]
            != "queued"
            and r
        ),
        timeout=60,
        message="the reconciliation run by the worker after Redis came back",
    )
    assert result["status"] == "done", result
    assert result["report"]["ok"] and result["report"]["counts"]["pos_sales"] == 0
