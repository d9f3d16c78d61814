"""Bad input gets a 4xx problem+json with field details and writes nothing at all."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.suppliers.models import Base
from tests import suppliers_support as ev

UNKNOWN = "0b1e3c4d-0000-4000-8000-00000000dead"


def row_counts(suppliers_app) -> dict[str, int]:
    with suppliers_app.extensions["sentra"].engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in Base.metadata.tables.items()
        }


VALID = {"business_name": "Sambal Bawang Khas Bekasi", "owner_name": "Ibu Ani", "phone": "081311120007"}


@pytest.mark.parametrize(
    "body, bad_fields",
    [
        ({**VALID, "agreement": {"commission_bps": -1}}, {"agreement"}),
        ({**VALID, "agreement": {"commission_bps": 10_001}}, {"agreement"}),
        ({**VALID, "agreement": {"commission_bps": 20.5}}, {"agreement"}),
        ({**VALID, "agreement": {"commission_bps": "2000"}}, {"agreement"}),
        ({**VALID, "agreement": {"minimum_payout": -5}}, {"agreement"}),
        ({**VALID, "agreement": {"minimum_payout": 1000.0}}, {"agreement"}),
        ({**VALID, "agreement": {"type": "fixed_price"}}, {"agreement"}),
        (
            {
                **VALID,
                "agreement": {"type": "fixed_price", "fixed_prices": [{"product_id": UNKNOWN, "supplier_price": -1}]},
            },
            {"agreement"},
        ),
        ({**VALID, "agreement": {"type": "barter"}}, {"agreement"}),
        ({**VALID, "agreement": {"holdback_days": -1}}, {"agreement"}),
        ({**VALID, "agreement": {"effective_from": "2026-13-01"}}, {"agreement"}),
        ({**VALID, "agreement": {"effective_from": "2026-01-01T00:00:00"}}, {"agreement"}),
        ({**VALID, "agreement": {"commission_bps": 2000, "vip": True}}, {"agreement"}),
        ({**VALID, "nib": "12345"}, {"nib"}),
        ({**VALID, "npwp": "12345678901234"}, {"npwp"}),
        ({**VALID, "email": "not-an-email"}, {"email"}),
        ({**VALID, "status": "ended"}, {"status"}),
        ({"owner_name": "x", "phone": "08123"}, {"business_name", "phone"}),
    ],
)
def test_registering_with_bad_fields_is_a_422_problem_and_writes_nothing(suppliers_app, token, body, bad_fields):
    client = suppliers_app.test_client()
    before = row_counts(suppliers_app)
    response = client.post("/suppliers", json=body, headers=token("manager"))
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert set(response.json["errors"]) == bad_fields
    assert row_counts(suppliers_app) == before


def test_bad_terms_changes_and_unknown_suppliers_are_refused_and_write_nothing(suppliers_app, token):
    client = suppliers_app.test_client()
    manager = token("manager")
    supplier_id = client.post("/suppliers", json=VALID, headers=manager).json["id"]
    before = row_counts(suppliers_app)
    refusals = [
        (client.post(f"/suppliers/{supplier_id}/agreements", json={"commission_bps": -100}, headers=manager), 422),
        (client.post(f"/suppliers/{supplier_id}/agreements", json={"commission_bps": 10_500}, headers=manager), 422),
        (client.post(f"/suppliers/{UNKNOWN}/agreements", json={"commission_bps": 1500}, headers=manager), 404),
        (client.patch(f"/suppliers/{UNKNOWN}", json={"status": "suspended"}, headers=manager), 404),
        (client.patch(f"/suppliers/{supplier_id}", json={"status": "gone"}, headers=manager), 422),
        (client.patch(f"/suppliers/{supplier_id}", json={"id": UNKNOWN}, headers=manager), 422),
        (client.get(f"/suppliers/{UNKNOWN}", headers=manager), 404),
        (client.get(f"/suppliers/{UNKNOWN}/balance", headers=manager), 404),
        (client.get(f"/suppliers/{UNKNOWN}/statements?from=2026-01-01&to=2026-01-31", headers=manager), 404),
        (client.get(f"/suppliers/{supplier_id}/statements?from=2026-02-01&to=2026-01-01", headers=manager), 422),
        (
            client.get(
                f"/suppliers/{supplier_id}/statements?from=2026-01-01&to=2026-01-31&format=xls", headers=manager
            ),
            422,
        ),
        (client.get("/suppliers/not-a-uuid/balance", headers=manager), 404),
        (client.post("/payout-runs", json={"cutoff_date": "kemarin"}, headers=manager), 422),
        (client.post("/payout-runs", json={}, headers=manager), 422),
        (client.post("/reconciliations", json={"from": "2026-02-01", "to": "2026-01-01"}, headers=manager), 422),
        (client.get(f"/reconciliations/{UNKNOWN}", headers=manager), 404),
        (client.get(f"/payout-runs/{UNKNOWN}", headers=manager), 404),
        (client.post(f"/payout-runs/{UNKNOWN}/approve", headers=manager), 404),
    ]
    for response, status in refusals:
        assert response.status_code == status, (response.request.path, response.json)
        assert response.content_type == "application/problem+json"
    assert row_counts(suppliers_app) == before


def test_a_payout_for_more_than_available_and_paying_an_unapproved_run_are_refused_and_write_nothing(
    suppliers_app, token
):
    client = suppliers_app.test_client()
    manager = token("manager")
    supplier_id = client.post("/suppliers", json=VALID, headers=manager).json["id"]
    ev.deliver(
        suppliers_app, "sale.completed", ev.sale([(supplier_id, ev.new_uuid(), 1, 100_000)], completed_at=ev.at(10))
    )
    run = client.post("/payout-runs", json={"cutoff_date": ev.at(0).date().isoformat()}, headers=manager).json
    line_url = f"/payout-runs/{run['id']}/lines/{run['lines'][0]['id']}"
    before = row_counts(suppliers_app)

    too_much = client.patch(line_url, json={"amount": 80_001}, headers=manager)
    assert too_much.status_code == 422 and too_much.content_type == "application/problem+json"
    assert "amount" in too_much.json["errors"]
    assert client.patch(line_url, json={"amount": 0}, headers=manager).status_code == 422
    assert client.patch(line_url, json={"amount": 5000.5}, headers=manager).status_code == 422
    unapproved = client.post(f"{line_url}/paid", json={"reference": "TRF-1"}, headers=manager)
    assert unapproved.status_code == 409 and unapproved.content_type == "application/problem+json"
    assert client.post(f"{line_url}/failed", json={"reason": "x"}, headers=manager).status_code == 409
    assert client.post(f"{line_url}/paid", json={}, headers=manager).status_code == 422
    assert (
        client.post(
            f"/payout-runs/{run['id']}/lines/{UNKNOWN}/paid", json={"reference": "T"}, headers=manager
        ).status_code
        == 404
    )
    assert row_counts(suppliers_app) == before
    assert client.get(f"/suppliers/{supplier_id}/balance", headers=manager).json["reserved"] == 80_000


def test_paying_more_than_is_available_after_a_refund_is_refused(suppliers_app, token):
    client = suppliers_app.test_client()
    manager = token("manager")
    supplier_id = client.post("/suppliers", json=VALID, headers=manager).json["id"]
    sold = ev.sale([(supplier_id, ev.new_uuid(), 1, 100_000)], completed_at=ev.at(10))
    ev.deliver(suppliers_app, "sale.completed", sold)
    run = client.post("/payout-runs", json={"cutoff_date": ev.at(0).date().isoformat()}, headers=manager).json
    client.post(f"/payout-runs/{run['id']}/approve", headers=token("manager", user_id="another-manager"))
    ev.deliver(suppliers_app, "sale.refunded", ev.refund(sold, [(0, 1, 100_000)]))  # the money is no longer owed
    before = row_counts(suppliers_app)
    response = client.post(
        f"/payout-runs/{run['id']}/lines/{run['lines'][0]['id']}/paid", json={"reference": "TRF-1"}, headers=manager
    )
    assert response.status_code == 422 and response.json["code"] == "more_than_available"
    assert row_counts(suppliers_app) == before
