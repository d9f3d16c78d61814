"""Reconciliation against POS and inventory data served over real HTTP by a small werkzeug server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.suppliers import create_app, ledger
from tests import suppliers_support as ev
from tests.suppliers_support import FakeUpstream, inventory_view, pos_view, refund_view

MARCH = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)


@pytest.fixture
def upstream():
    with FakeUpstream() as server:
        yield server


@pytest.fixture
def app(make_settings, upstream):
    urls = {
        "pos": f"{upstream.url}/pos",
        "inventory": f"{upstream.url}/inventory",
        "suppliers": "http://127.0.0.1:1",
        "gateway": "http://127.0.0.1:1",
    }
    app = ev.with_consumers(create_app(make_settings("suppliers", service_urls=urls)))
    yield app
    app.extensions["sentra"].engine.dispose()


def run_reconciliation(app, client, token) -> dict:
    queued = client.post("/reconciliations", json={"from": "2026-03-01", "to": "2026-03-31"}, headers=token("manager"))
    assert queued.status_code == 202 and queued.json["status"] == "queued"
    ev.run_requested_reconciliations(app)
    return client.get(f"/reconciliations/{queued.json['id']}", headers=token("manager")).json


def seed_consistent_history(app, client, token, upstream) -> list[dict]:
    supplier_id = client.post(
        "/suppliers",
        json={"business_name": "Kopi Sukamakmur", "owner_name": "Asep", "phone": "081311120003"},
        headers=token("manager"),
    ).json["id"]
    product_id = ev.new_uuid()
    sales = [ev.sale([(supplier_id, product_id, n, 45_000)], completed_at=MARCH.replace(day=n)) for n in (1, 2, 3)]
    for sale in sales:
        ev.deliver(app, "sale.completed", sale)
        upstream.sales.append(pos_view(sale))
        upstream.movements.extend(inventory_view(sale))
    refund = ev.refund(sales[2], [(0, 1, 45_000)], refunded_at=MARCH.replace(day=4))
    ev.deliver(app, "sale.refunded", refund)
    upstream.refunds.append(refund_view(refund, sales[2]))
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
    assert {path for path, _ in upstream.requests} == {
        "/pos/reconciliation/sales",
        "/pos/reconciliation/refunds",
        "/inventory/reconciliation/movements",
    }
    assert all(args == {"from": "2026-03-01", "to": "2026-03-31"} for _, args in upstream.requests)


def test_a_missing_event_a_duplicated_movement_and_a_faulty_entry_are_found(app, token, upstream):
    client = app.test_client()
    sales = seed_consistent_history(app, client, token, upstream)
    # the POS recorded a sale whose event never reached the ledger ...
    lost = ev.sale([(sales[0]["lines"][0]["supplier_id"], ev.new_uuid(), 1, 30_000)], completed_at=MARCH)
    upstream.sales.append(pos_view(lost))
    upstream.movements.extend(inventory_view(lost))
    # ... inventory applied one movement twice; the journal refuses to post a sale a second time, so a faulty
    # import moves a supplier's payable under a source of its own, without the detail a sale line leaves
    upstream.movements.append(dict(upstream.movements[0]))
    doubled = sales[1]
    line = doubled["lines"][0]
    legs = [
        ledger.Leg(ledger.SALES_CLEARING, line["line_total"]),
        ledger.Leg(ledger.payable_account(line["supplier_id"]), -line["line_total"]),
    ]
    with app.extensions["sentra"].transaction() as session:
        again = dict(source_id=doubled["sale_id"], description="duplicate", occurred_at=MARCH.replace(day=2), legs=legs)
        assert ledger.post_entry(session, source_type="sale", **again) is None
        assert ledger.post_entry(session, source_type="import", **{**again, "description": "faulty import"})

    report = run_reconciliation(app, client, token)["report"]
    assert report["ok"] is False
    assert report["missing"] == [{"kind": "sale", "id": lost["sale_id"], "missing_in": "ledger", "amount": 30_000}]
    duplicated = {(d["source"], d["id"]): d for d in report["duplicated"]}
    assert duplicated[("inventory", upstream.movements[0]["movement_id"])]["times"] == 2
    assert len(duplicated) == 1  # nothing doubled in the ledger
    # the faulty entry shows in the ledger's own invariants: the payable no longer equals its detail
    assert report["invariants"]["detail_mismatches"][0]["supplier_id"] == line["supplier_id"]


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


def test_a_report_names_the_receipts_of_its_findings_and_the_ledger_shows_what_it_holds_of_one_sale(
    app, token, upstream
):
    client = app.test_client()
    sales = seed_consistent_history(app, client, token, upstream)
    upstream.sales[0]["lines"][0]["line_total"] += 1_000
    result = run_reconciliation(app, client, token)
    assert result["report"]["receipts"] == {sales[0]["sale_id"]: sales[0]["receipt_no"]}
    latest = client.get("/reconciliations", headers=token("manager"))
    assert latest.status_code == 200 and [r["id"] for r in latest.json] == [result["id"]]

    entries = client.get(f"/reconciliations/ledger-entries?source_id={sales[0]['sale_id']}", headers=token("manager"))
    assert entries.status_code == 200
    [entry] = entries.json
    assert entry["source_type"] == "sale" and entry["source_id"] == sales[0]["sale_id"]
    assert sum(p["debit"] for p in entry["postings"]) == sum(p["credit"] for p in entry["postings"]) == 45_000
    supplier_id = sales[0]["lines"][0]["supplier_id"]
    assert {p["account"] for p in entry["postings"]} >= {"sales_clearing", f"supplier_payable:{supplier_id}"}
    nothing = client.get(f"/reconciliations/ledger-entries?source_id={ev.new_uuid()}", headers=token("manager"))
    assert nothing.json == []
    assert client.get("/reconciliations/ledger-entries?source_id=x", headers=token("manager")).status_code == 422
    assert client.get("/reconciliations", headers=token("supplier", supplier_id=supplier_id)).status_code == 403
