"""Reconciliation against POS and inventory data served over real HTTP by a small werkzeug server."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from services.suppliers import create_app, ledger
from services.suppliers.tasks import RECONCILIATION_TASK
from shared.auth import verify_token
from tests import suppliers_events as ev
from tests.support import TEST_JWT_SECRET

MARCH = datetime(2026, 3, 10, 4, 0, tzinfo=timezone.utc)


class FakeUpstream:
    """POS and inventory reconciliation endpoints over HTTP, answering from data the test seeded; only a
    ``service`` token is accepted."""

    def __init__(self):
        self.sales: list[dict] = []
        self.refunds: list[dict] = []
        self.movements: list[dict] = []
        self.requests: list[tuple[str, dict]] = []
        self.failing = False
        self.server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    @Request.application
    def _app(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        try:
            principal = verify_token(TEST_JWT_SECRET, header.removeprefix("Bearer "))
        except Exception:
            return Response("unauthorised", status=401)
        if principal.role != "service":
            return Response("forbidden", status=403)
        self.requests.append((request.path, dict(request.args)))
        if self.failing:
            return Response("boom", status=500)
        body = {"/pos/reconciliation/sales": self.sales, "/pos/reconciliation/refunds": self.refunds,
                "/inventory/reconciliation/movements": self.movements}.get(request.path)
        if body is None:
            return Response("not found", status=404)
        return Response(json.dumps(body), mimetype="application/json")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()


@pytest.fixture
def upstream():
    with FakeUpstream() as server:
        yield server


@pytest.fixture
def app(make_settings, upstream):
    urls = {"pos": f"{upstream.url}/pos", "inventory": f"{upstream.url}/inventory",
            "suppliers": "http://127.0.0.1:1", "gateway": "http://127.0.0.1:1"}
    app = create_app(make_settings("suppliers", service_urls=urls))
    yield app
    app.extensions["sentra"].engine.dispose()


def pos_view(sale: dict) -> dict:
    return {"sale_id": sale["sale_id"], "receipt_no": sale["receipt_no"], "completed_at": sale["completed_at"],
            "total": sale["total"],
            "lines": [{k: line[k] for k in ("line_id", "product_id", "supplier_id", "qty", "line_total")}
                      for line in sale["lines"]]}


def inventory_view(sale: dict) -> list[dict]:
    return [{"movement_id": ev.new_uuid(), "kind": "sale", "reference_id": sale["sale_id"],
             "product_id": line["product_id"], "supplier_id": line["supplier_id"], "qty": -line["qty"],
             "occurred_at": sale["completed_at"]} for line in sale["lines"]]


def refund_view(refund: dict) -> dict:
    return {"refund_id": refund["refund_id"], "sale_id": refund["sale_id"], "refunded_at": refund["refunded_at"],
            "total": refund["total"], "lines": refund["lines"]}


def run_reconciliation(app, client, token) -> dict:
    queued = client.post("/reconciliations", json={"from": "2026-03-01", "to": "2026-03-31"}, headers=token("manager"))
    assert queued.status_code == 202 and queued.json["status"] == "queued"
    task = app.extensions["sentra"].celery.tasks[RECONCILIATION_TASK]
    try:
        task(queued.json["id"])
    except Exception:
        pass  # a failed run is stored on the record too
    return client.get(f"/reconciliations/{queued.json['id']}", headers=token("manager")).json


def seed_consistent_history(app, client, token, upstream) -> list[dict]:
    supplier_id = client.post("/suppliers", json={"business_name": "Kopi Sukamakmur", "owner_name": "Asep",
                                                  "phone": "081311120003"}, headers=token("manager")).json["id"]
    product_id = ev.new_uuid()
    sales = [ev.sale([(supplier_id, product_id, n, 45_000)], completed_at=MARCH.replace(day=n)) for n in (1, 2, 3)]
    for sale in sales:
        ev.deliver(app, "sale.completed", sale)
        upstream.sales.append(pos_view(sale))
        upstream.movements.extend(inventory_view(sale))
    refund = ev.refund(sales[2], [(0, 1, 45_000)], refunded_at=MARCH.replace(day=4))
    ev.deliver(app, "sale.refunded", refund)
    upstream.refunds.append(refund_view(refund))
    return sales


def test_a_clean_period_reconciles_with_nothing_missing_duplicated_or_mismatched(app, token, upstream):
    client = app.test_client()
    seed_consistent_history(app, client, token, upstream)
    result = run_reconciliation(app, client, token)
    assert result["status"] == "done", result
    report = result["report"]
    assert (report["missing"], report["duplicated"], report["mismatched"]) == ([], [], [])
    assert report["invariants"]["ok"] and report["ok"]
    assert report["counts"] == {"pos_sales": 3, "pos_refunds": 1, "inventory_movements": 3}
    assert {path for path, _ in upstream.requests} == {"/pos/reconciliation/sales", "/pos/reconciliation/refunds",
                                                       "/inventory/reconciliation/movements"}
    assert all(args == {"from": "2026-03-01", "to": "2026-03-31"} for _, args in upstream.requests)


def test_a_missing_and_a_duplicated_event_are_both_found_with_their_amounts(app, token, upstream):
    client = app.test_client()
    sales = seed_consistent_history(app, client, token, upstream)
    # the POS recorded a sale whose event never reached the ledger ...
    lost = ev.sale([(sales[0]["lines"][0]["supplier_id"], ev.new_uuid(), 1, 30_000)], completed_at=MARCH)
    upstream.sales.append(pos_view(lost))
    upstream.movements.extend(inventory_view(lost))
    # ... inventory applied one movement twice, and the ledger posted one sale a second time (a faulty import)
    upstream.movements.append(dict(upstream.movements[0]))
    doubled = sales[1]
    with app.extensions["sentra"].transaction() as session:
        line = doubled["lines"][0]
        ledger.post_entry(session, source_type="sale", source_id=doubled["sale_id"], description="duplicate",
                          occurred_at=MARCH.replace(day=2),
                          legs=[ledger.Leg(ledger.SALES_CLEARING, line["line_total"]),
                                ledger.Leg(ledger.payable_account(line["supplier_id"]), -line["line_total"])])

    report = run_reconciliation(app, client, token)["report"]
    assert report["ok"] is False
    assert report["missing"] == [{"kind": "sale", "id": lost["sale_id"], "missing_in": "ledger", "amount": 30_000}]
    duplicated = {(d["source"], d["id"]): d for d in report["duplicated"]}
    assert duplicated[("ledger", doubled["sale_id"])]["times"] == 2
    assert duplicated[("ledger", doubled["sale_id"])]["amount"] == 90_000
    assert duplicated[("inventory", upstream.movements[0]["movement_id"])]["times"] == 2
    assert len(duplicated) == 2
    # the faulty entry also shows in the ledger's own invariants: the payable no longer equals its detail
    assert report["invariants"]["detail_mismatches"][0]["supplier_id"] == doubled["lines"][0]["supplier_id"]


def test_amounts_that_differ_between_pos_and_ledger_are_mismatched(app, token, upstream):
    client = app.test_client()
    seed_consistent_history(app, client, token, upstream)
    upstream.sales[0]["lines"][0]["line_total"] += 1_000
    upstream.movements[1]["qty"] -= 1
    report = run_reconciliation(app, client, token)["report"]
    fields = {(m["id"], m["field"]): m for m in report["mismatched"]}
    assert fields[(upstream.sales[0]["sale_id"], "amount")]["difference"] == -1_000
    assert fields[(upstream.sales[1]["sale_id"], "qty")]["difference"] == 1
    assert report["missing"] == [] and report["duplicated"] == []


def test_an_upstream_failure_is_stored_as_a_failed_reconciliation(app, token, upstream):
    client = app.test_client()
    upstream.failing = True
    result = run_reconciliation(app, client, token)
    assert result["status"] == "failed" and "500" in result["error"]
    assert result["report"] is None
