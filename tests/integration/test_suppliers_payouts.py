"""Payout runs: proposal by cut-off and minimum, hold/exclude, approval, bank file, paid, failed, overdue dues."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from services.suppliers import bank_files, ledger
from services.suppliers.models import AuditLog
from tests import suppliers_support as ev


def register(
    suppliers_client,
    token,
    name: str,
    minimum_payout: int = 0,
    holdback_days: int = 7,
    bank: bool = True,
    account: tuple[str, str] = ("BCA", "1234567890"),
) -> str:
    body = {
        "business_name": name,
        "owner_name": "Pemilik",
        "phone": "081311120009",
        "agreement": {"minimum_payout": minimum_payout, "holdback_days": holdback_days, "payout_schedule": "weekly"},
    }
    if bank:
        body.update(bank_name=account[0], bank_account_number=account[1], bank_account_holder=f"{name} (pemilik)")
    response = suppliers_client.post("/suppliers", json=body, headers=token("manager"))
    assert response.status_code == 201, response.json
    return response.json["id"]


def sell(suppliers_app, supplier_id: str, amount: int, days_ago: float) -> None:
    ev.deliver(
        suppliers_app,
        "sale.completed",
        ev.sale([(supplier_id, ev.new_uuid(), 1, amount)], completed_at=ev.at(days_ago)),
    )


def balance(suppliers_client, token, supplier_id) -> dict:
    return suppliers_client.get(f"/suppliers/{supplier_id}/balance", headers=token("manager")).json


def test_a_run_proposes_one_line_per_supplier_whose_available_balance_reaches_the_minimum(
    suppliers_app, suppliers_client, token
):
    big = register(suppliers_client, token, "Batik Tarumanegara", minimum_payout=100_000)
    small = register(suppliers_client, token, "Kue Bu Ratna", minimum_payout=100_000)
    recent = register(suppliers_client, token, "Kopi Sukamakmur")
    sell(suppliers_app, big, 500_000, days_ago=10)  # share 400 000, available
    sell(suppliers_app, small, 100_000, days_ago=10)  # share 80 000 < minimum
    sell(suppliers_app, recent, 100_000, days_ago=1)  # still inside the 7-day holdback
    response = suppliers_client.post(
        "/payout-runs", json={"cutoff_date": ev.at(0).date().isoformat()}, headers=token("manager")
    )
    assert response.status_code == 201, response.json
    run = response.json
    assert run["status"] == "draft" and run["total"] == 400_000
    [line] = run["lines"]
    assert (line["supplier_id"], line["amount"], line["status"]) == (big, 400_000, "proposed")
    assert (line["bank_name"], line["bank_account_number"]) == ("BCA", "1234567890")
    # proposed money is reserved: not available to another run
    assert balance(suppliers_client, token, big)["available"] == 0
    again = suppliers_client.post(
        "/payout-runs", json={"cutoff_date": ev.at(0).date().isoformat()}, headers=token("manager")
    )
    assert again.json["lines"] == []


def test_a_cutoff_in_the_past_only_counts_money_available_by_then(suppliers_app, suppliers_client, token):
    supplier = register(suppliers_client, token, "Dodol Mpok Yati")
    sell(suppliers_app, supplier, 100_000, days_ago=30)  # available since 23 days ago
    sell(suppliers_app, supplier, 50_000, days_ago=12)  # available since 5 days ago
    cutoff = ev.at(10).date().isoformat()
    [line] = suppliers_client.post("/payout-runs", json={"cutoff_date": cutoff}, headers=token("manager")).json["lines"]
    assert line["amount"] == 80_000


def test_approve_export_and_pay_posts_the_payout_and_emits_payout_paid(suppliers_app, suppliers_client, token, caplog):
    supplier = register(suppliers_client, token, "Batik Tarumanegara")
    sell(suppliers_app, supplier, 250_000, days_ago=10)
    manager = token("manager", user_id="dewi")
    run = suppliers_client.post("/payout-runs", json={"cutoff_date": ev.at(0).date().isoformat()}, headers=manager).json
    line_id = run["lines"][0]["id"]

    paying_a_draft = suppliers_client.post(
        f"/payout-runs/{run['id']}/lines/{line_id}/paid", json={"reference": "TRF-1"}, headers=manager
    )
    assert paying_a_draft.status_code == 409
    assert suppliers_client.get(f"/payout-runs/{run['id']}/bank-file.csv", headers=manager).status_code == 409

    own = suppliers_client.post(f"/payout-runs/{run['id']}/approve", headers=manager)
    assert own.status_code == 403 and own.json["code"] == "approver_is_creator"
    assert suppliers_client.get(f"/payout-runs/{run['id']}", headers=manager).json["status"] == "draft"
    approved = suppliers_client.post(f"/payout-runs/{run['id']}/approve", headers=token("manager", user_id="rina"))
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    assert approved.json["lines"][0]["status"] == "approved" and approved.json["approved_by"] == "manager:rina"

    bank_file = suppliers_client.get(f"/payout-runs/{run['id']}/bank-file.csv", headers=manager)
    assert bank_file.status_code == 200 and bank_file.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(bank_file.get_data(as_text=True))))
    assert [(r["bank_name"], r["account_number"], r["account_holder"], r["amount"]) for r in rows] == [
        ("BCA", "1234567890", "Batik Tarumanegara (pemilik)", "200000")
    ]
    assert rows[0]["reference"].startswith("SENTRA-")

    paid = suppliers_client.post(
        f"/payout-runs/{run['id']}/lines/{line_id}/paid", json={"reference": "TRF-1"}, headers=manager
    )
    assert paid.status_code == 200 and paid.json["status"] == "paid" and paid.json["reference"] == "TRF-1"
    again = suppliers_client.post(
        f"/payout-runs/{run['id']}/lines/{line_id}/paid", json={"reference": "TRF-1"}, headers=manager
    )
    assert again.status_code == 200
    other = suppliers_client.post(
        f"/payout-runs/{run['id']}/lines/{line_id}/paid", json={"reference": "TRF-2"}, headers=manager
    )
    assert other.status_code == 409
    assert balance(suppliers_client, token, supplier) == {
        "supplier_id": supplier,
        "pending": 0,
        "pending_releases": [],
        "available": 0,
        "paid": 200_000,
        "lifetime_sales": 250_000,
        "reserved": 0,
        "payable": 0,
    }
    runtime = suppliers_app.extensions["sentra"]
    with runtime.transaction() as session:
        managers = AuditLog.actor.in_(["manager:dewi", "manager:rina"])
        actions = set(session.execute(select(AuditLog.action).where(managers)).scalars())
        assert ledger.check_invariants(session)["ok"]
    # payout.paid is recorded once (it has no subscribing service yet, so no outbox row is written)
    assert sum("recorded payout.paid event" in message for message in caplog.messages) == 1
    assert {"payout_run.approved", "payout_line.paid"} <= actions
    payouts = suppliers_client.get("/me/payouts", headers=token("supplier", supplier_id=supplier)).json
    assert [(p["amount"], p["status"], p["reference"]) for p in payouts] == [(200_000, "paid", "TRF-1")]


def test_a_failed_transfer_returns_the_amount_to_available(suppliers_app, suppliers_client, token):
    supplier = register(suppliers_client, token, "Kerupuk Kulit Cikarang")
    sell(suppliers_app, supplier, 100_000, days_ago=10)
    manager = token("manager")
    run = suppliers_client.post("/payout-runs", json={"cutoff_date": ev.at(0).date().isoformat()}, headers=manager).json
    line_id = run["lines"][0]["id"]
    suppliers_client.post(f"/payout-runs/{run['id']}/approve", headers=token("manager", user_id="rina"))
    suppliers_client.post(
        f"/payout-runs/{run['id']}/lines/{line_id}/paid", json={"reference": "TRF-9"}, headers=manager
    )
    assert balance(suppliers_client, token, supplier)["available"] == 0
    failed = suppliers_client.post(
        f"/payout-runs/{run['id']}/lines/{line_id}/failed", json={"reason": "rekening ditutup"}, headers=manager
    )
    assert failed.status_code == 200 and failed.json["status"] == "failed"
    result = balance(suppliers_client, token, supplier)
    assert (result["available"], result["paid"]) == (80_000, 0)
    with suppliers_app.extensions["sentra"].transaction() as session:
        assert ledger.check_invariants(session)["ok"]


def test_held_and_excluded_lines_are_not_paid_and_keep_their_reason(suppliers_app, suppliers_client, token):
    first = register(suppliers_client, token, "Batik A")
    second = register(suppliers_client, token, "Batik B")
    sell(suppliers_app, first, 100_000, days_ago=10)
    sell(suppliers_app, second, 100_000, days_ago=10)
    manager = token("manager")
    run = suppliers_client.post("/payout-runs", json={"cutoff_date": ev.at(0).date().isoformat()}, headers=manager).json
    lines = {line["supplier_id"]: line["id"] for line in run["lines"]}
    held = suppliers_client.post(
        f"/payout-runs/{run['id']}/lines/{lines[first]}/hold", json={"reason": "cek NPWP"}, headers=manager
    )
    assert held.json["status"] == "held" and held.json["reason"] == "cek NPWP"
    excluded = suppliers_client.post(
        f"/payout-runs/{run['id']}/lines/{lines[second]}/exclude", json={"reason": "retur besar"}, headers=manager
    )
    assert excluded.json["status"] == "excluded"
    assert balance(suppliers_client, token, first)["available"] == 80_000  # a held line reserves nothing
    released = suppliers_client.post(f"/payout-runs/{run['id']}/lines/{lines[first]}/release", headers=manager)
    assert released.json["status"] == "proposed"
    lower = suppliers_client.patch(
        f"/payout-runs/{run['id']}/lines/{lines[first]}", json={"amount": 50_000}, headers=manager
    )
    assert lower.status_code == 200 and lower.json["amount"] == 50_000
    approved = suppliers_client.post(f"/payout-runs/{run['id']}/approve", headers=token("manager", user_id="rina")).json
    statuses = {line["supplier_id"]: line["status"] for line in approved["lines"]}
    assert statuses == {first: "approved", second: "excluded"}
    assert approved["total"] == 50_000
    paying_excluded = suppliers_client.post(
        f"/payout-runs/{run['id']}/lines/{lines[second]}/paid", json={"reference": "X"}, headers=manager
    )
    assert paying_excluded.status_code == 409
    assert balance(suppliers_client, token, first)["available"] == 30_000


def test_dues_older_than_15_days_are_flagged_on_the_managers_list(suppliers_app, suppliers_client, token):
    old = register(suppliers_client, token, "Lama")
    fresh = register(suppliers_client, token, "Baru")
    sell(suppliers_app, old, 100_000, days_ago=30)  # available 23 days ago
    sell(suppliers_app, fresh, 100_000, days_ago=10)  # available 3 days ago
    dues = suppliers_client.get("/payout-runs/dues", headers=token("manager")).json
    by_supplier = {d["supplier_id"]: d for d in dues}
    assert by_supplier[old]["overdue"] is True and by_supplier[old]["overdue_amount"] == 80_000
    assert by_supplier[fresh]["overdue"] is False and by_supplier[fresh]["available"] == 80_000
    assert dues[0]["supplier_id"] == old  # overdue first
    assert by_supplier[old]["payout_schedule"] == "weekly" and by_supplier[old]["due_date"] is not None
    run = suppliers_client.post(
        "/payout-runs", json={"cutoff_date": ev.at(0).date().isoformat()}, headers=token("manager")
    ).json
    flags = {line["supplier_id"]: line["overdue"] for line in run["lines"]}
    assert flags == {old: True, fresh: False}


def test_the_manager_who_created_a_run_cannot_approve_it_and_nothing_changes(suppliers_app, suppliers_client, token):
    supplier = register(suppliers_client, token, "Batik Tarumanegara")
    sell(suppliers_app, supplier, 250_000, days_ago=10)
    creator, admin_same_account = token("manager", user_id="dewi"), token("admin", user_id="dewi")
    run = suppliers_client.post("/payout-runs", json={"cutoff_date": ev.at(0).date().isoformat()}, headers=creator).json
    before = suppliers_client.get(f"/payout-runs/{run['id']}", headers=creator).json
    for headers in (creator, admin_same_account):
        refused = suppliers_client.post(f"/payout-runs/{run['id']}/approve", headers=headers)
        assert refused.status_code == 403 and refused.json["code"] == "approver_is_creator"
    assert suppliers_client.get(f"/payout-runs/{run['id']}", headers=creator).json == before
    with suppliers_app.extensions["sentra"].transaction() as session:
        assert "payout_run.approved" not in set(session.execute(select(AuditLog.action)).scalars())
    approved = suppliers_client.post(f"/payout-runs/{run['id']}/approve", headers=token("manager", user_id="rina"))
    assert approved.status_code == 200 and approved.json["created_by"] == "manager:dewi"
    assert approved.json["approved_by"] == "manager:rina"


def test_an_approved_run_downloads_in_the_bca_bri_and_mandiri_layouts_checked_before_it_leaves(
    suppliers_app, suppliers_client, token
):
    bca = register(suppliers_client, token, "Batik Tarumanegara")
    bri = register(suppliers_client, token, "Dodol Mpok Yati", account=("BRI", "002301000123456"))
    sell(suppliers_app, bca, 250_000, days_ago=10)
    sell(suppliers_app, bri, 100_000, days_ago=10)
    manager = token("manager", user_id="dewi")
    run = suppliers_client.post("/payout-runs", json={"cutoff_date": ev.at(0).date().isoformat()}, headers=manager).json
    url = f"/payout-runs/{run['id']}/bank-file"
    assert suppliers_client.get(f"{url}?format=bca", headers=manager).status_code == 409  # a draft has no file
    suppliers_client.post(f"/payout-runs/{run['id']}/approve", headers=token("manager", user_id="rina"))

    bca_options = "debit_account=0987654321&corporate_id=kbb12345&company_code=SNTR01&batch=3&value_hour=8"
    bca_file = suppliers_client.get(f"{url}?format=bca&{bca_options}", headers=manager)
    assert bca_file.status_code == 200 and bca_file.mimetype == "text/plain"
    assert bca_file.headers["Content-Disposition"].endswith(f'payout-{run["id"]}-bca.txt"')
    header, detail = bca_file.get_data(as_text=True).splitlines()
    assert header.startswith("0|PY|KBB12345|SNTR01|00000003|") and header.endswith("|08|0987654321|00001|||")
    assert detail.split("|")[2:7] == ["BCA", "", "1234567890", "BATIK TARUMANEGARA (PEMILIK)", "200000.00"]
    assert bank_files.check_totals("bca", bca_file.get_data(as_text=True)) == []
    no_corporate_id = suppliers_client.get(f"{url}?format=bca&debit_account=0987654321", headers=manager)
    assert no_corporate_id.status_code == 422 and no_corporate_id.json["code"] == "invalid_bank_file"
    assert set(no_corporate_id.json["errors"]) == {"corporate_id", "company_code"}

    bri_file = suppliers_client.get(f"{url}?format=bri&debit_account=002301000999999", headers=manager)
    assert bri_file.status_code == 200 and bri_file.mimetype == "text/csv"
    rows = [line.split("|") for line in bri_file.get_data(as_text=True).splitlines()]
    assert rows[1][:7] == ["1", "002301000999999", "002301000123456", "Dodol Mpok Yati (pemilik)", "", "80000", "IDR"]
    assert rows[2][:2] == ["COUNT", "1"] and rows[3][:2] == ["TOTAL", "80000"]
    assert bank_files.check_totals("bri", bri_file.get_data(as_text=True)) == []
    wrong_debit = suppliers_client.get(f"{url}?format=bri&debit_account=0987654321", headers=manager)
    assert wrong_debit.status_code == 422
    assert wrong_debit.json["errors"] == {"debit_account": ["An account at this bank has 15 digits."]}

    no_debit_account = suppliers_client.get(f"{url}?format=mandiri", headers=manager)
    assert no_debit_account.status_code == 422 and no_debit_account.json["code"] == "invalid_bank_file"
    assert no_debit_account.json["errors"] == {"debit_account": ["Missing data for required field."]}
    mandiri = suppliers_client.get(f"{url}?format=mandiri&debit_account=1230009876543", headers=manager)
    assert mandiri.status_code == 200
    assert (
        mandiri.get_data(as_text=True).startswith("P,")
        and bank_files.check_totals("mandiri", mandiri.get_data(as_text=True)) == []
    )
    for bad in (
        "format=bni",
        "value_date=2001-01-01",
        "batch=0",
        "debit_account=" + "1" * 41,
        "value_hour=24",
        "corporate_id=" + "A" * 21,
    ):
        assert suppliers_client.get(f"{url}?{bad}", headers=manager).status_code == 422, bad
