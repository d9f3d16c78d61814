"""Properties of the ledger over generated histories (hypothesis), on the real database through the real
consumer tasks and HTTP API."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from services.suppliers import ledger
from services.suppliers.models import PayableItem, Posting
from shared.celery_factory import RetryLater
from tests import suppliers_support as ev

PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

sale_op = st.tuples(
    st.just("sale"),
    st.integers(0, 1),
    st.lists(st.tuples(st.integers(0, 2), st.integers(1, 5), st.integers(0, 150_000)), min_size=1, max_size=3),
    st.integers(0, 40),
)
refund_op = st.tuples(st.just("refund"), st.integers(0, 1_000), st.integers(0, 1_000), st.integers(1, 100))
write_off_op = st.tuples(
    st.just("write_off"),
    st.integers(0, 1),
    st.integers(0, 2),
    st.integers(1, 4),
    st.integers(0, 90_000),
    st.sampled_from(["centre", "supplier"]),
)
terms_op = st.tuples(
    st.just("terms"),
    st.integers(0, 1),
    st.sampled_from(["commission", "fixed_price"]),
    st.integers(0, 10_000),
    st.integers(0, 150_000),
    st.integers(0, 40),
    st.integers(0, 10),
)
payout_op = st.tuples(st.just("payout"), st.booleans(), st.booleans())
operations = st.lists(st.one_of(sale_op, refund_op, write_off_op, terms_op, payout_op), min_size=1, max_size=14)


def _register(client, token, holdback_days: int = 7) -> str:
    response = client.post(
        "/suppliers",
        headers=token("manager"),
        json={
            "business_name": "Keripik Singkong Cikarang",
            "owner_name": "Hendra",
            "phone": "081311120002",
            "bank_name": "BRI",
            "bank_account_number": "0123456789",
            "bank_account_holder": "Hendra",
            "agreement": {"holdback_days": holdback_days},
        },
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


@PROPERTY_SETTINGS
@given(history=operations)
def test_any_history_keeps_the_books_balanced_and_every_balance_equal_to_its_postings(suppliers_app, token, history):
    client = suppliers_app.test_client()
    manager = token("manager")
    approver = token("manager", user_id="another-manager")
    suppliers = [_register(client, token, holdback_days=3), _register(client, token, holdback_days=0)]
    products = [ev.new_uuid() for _ in range(3)]
    sales: list[dict] = []
    refunded: dict[str, int] = {}
    for op in history:
        kind = op[0]
        if kind == "sale":
            _, slot, lines, days_ago = op
            sold = ev.sale(
                [(suppliers[slot], products[p], qty, price) for p, qty, price in lines], completed_at=ev.at(days_ago)
            )
            ev.deliver(suppliers_app, "sale.completed", sold)
            sales.append(sold)
        elif kind == "refund" and sales:
            _, sale_pick, line_pick, percent = op
            sold = sales[sale_pick % len(sales)]
            index = line_pick % len(sold["lines"])
            line = sold["lines"][index]
            left = line["line_total"] - refunded.get(line["line_id"], 0)
            amount = left * percent // 100
            if left == 0 or amount == 0:
                continue
            refunded[line["line_id"]] = refunded.get(line["line_id"], 0) + amount
            ev.deliver(suppliers_app, "sale.refunded", ev.refund(sold, [(index, 1, amount)]))
        elif kind == "write_off":
            _, slot, p, qty, price, borne_by = op
            ev.deliver(
                suppliers_app,
                "stock.moved",
                ev.moved(
                    ev.movement(
                        suppliers[slot],
                        products[p],
                        "write_off",
                        -qty,
                        unit_price=price,
                        borne_by=borne_by,
                        reason="rusak",
                    )
                ),
            )
        elif kind == "terms":
            _, slot, agreement_type, bps, fixed_price, days_ago, holdback = op
            body = {
                "type": agreement_type,
                "commission_bps": bps,
                "holdback_days": holdback,
                "effective_from": ev.at(days_ago).isoformat(),
            }
            if agreement_type == "fixed_price":
                body["fixed_prices"] = [{"product_id": products[0], "supplier_price": fixed_price}]
            response = client.post(f"/suppliers/{suppliers[slot]}/agreements", json=body, headers=manager)
            assert response.status_code == 201, response.json
        elif kind == "payout":
            _, fail_first, fail_after_paid = op
            run = client.post("/payout-runs", json={"cutoff_date": ev.at(0).date().isoformat()}, headers=manager)
            assert run.status_code == 201, run.json
            run_id = run.json["id"]
            assert client.post(f"/payout-runs/{run_id}/approve", headers=approver).status_code == 200
            for number, line in enumerate(run.json["lines"]):
                base = f"/payout-runs/{run_id}/lines/{line['id']}"
                if fail_first and number == 0:
                    assert (
                        client.post(f"{base}/failed", json={"reason": "rekening salah"}, headers=manager).status_code
                        == 200
                    )
                    continue
                paid = client.post(f"{base}/paid", json={"reference": f"TRF-{number}"}, headers=manager)
                assert paid.status_code == 200, paid.json
                if fail_after_paid:
                    assert (
                        client.post(f"{base}/failed", json={"reason": "ditolak bank"}, headers=manager).status_code
                        == 200
                    )

    with suppliers_app.extensions["sentra"].transaction() as session:
        report = ledger.check_invariants(session)
        assert report["ok"], report
        debit, credit = session.execute(select(func.sum(Posting.debit), func.sum(Posting.credit))).one()
        assert (debit or 0) == (credit or 0)
        for item in session.execute(select(PayableItem).where(PayableItem.kind.in_(("sale", "refund")))).scalars():
            assert item.amount + item.commission == item.gross
        for supplier_id in suppliers:
            from_postings = session.execute(
                select(func.coalesce(func.sum(Posting.credit) - func.sum(Posting.debit), 0)).where(
                    Posting.account_code == ledger.payable_account(supplier_id)
                )
            ).scalar_one()
            summary = ledger.balance_summary(session, supplier_id)
            assert summary["payable"] == from_postings
            assert summary["pending"] + summary["available"] + summary["reserved"] == from_postings


# -- the same facts, delivered in any order and more than once ---------------------------------------------
fact_templates = st.lists(
    st.one_of(
        st.tuples(st.just("sale"), st.integers(0, 1), st.integers(1, 4), st.integers(1, 99_999), st.integers(0, 20)),
        st.tuples(st.just("refund"), st.integers(0, 50), st.integers(1, 100)),
        st.tuples(st.just("write_off"), st.integers(0, 1), st.integers(1, 3), st.integers(1, 50_000)),
    ),
    min_size=1,
    max_size=10,
)


def _instantiate(templates, suppliers: list[str], product_id: str) -> list[tuple[str, dict]]:
    """Concrete events (fresh ids) for ``templates``; refunds are of earlier sales and never exceed them."""
    events: list[tuple[str, dict]] = []
    sales: list[dict] = []
    refunded: dict[int, int] = {}
    for template in templates:
        if template[0] == "sale":
            _, slot, qty, price, days_ago = template
            sold = ev.sale([(suppliers[slot], product_id, qty, price)], completed_at=ev.at(days_ago))
            sales.append(sold)
            events.append(("sale.completed", sold))
        elif template[0] == "refund" and sales:
            _, pick, percent = template
            index = pick % len(sales)
            sold = sales[index]
            left = sold["lines"][0]["line_total"] - refunded.get(index, 0)
            amount = left * percent // 100
            if amount:
                refunded[index] = refunded.get(index, 0) + amount
                events.append(("sale.refunded", ev.refund(sold, [(0, 1, amount)])))
        elif template[0] == "write_off":
            _, slot, qty, price = template
            events.append(
                (
                    "stock.moved",
                    ev.moved(
                        ev.movement(suppliers[slot], product_id, "write_off", -qty, unit_price=price, borne_by="centre")
                    ),
                )
            )
    return events


def _deliver_all(suppliers_app, envelopes: list[tuple[str, dict]]) -> None:
    """Deliver every envelope, putting back at the end of the queue what asks to be retried later."""
    queue = list(envelopes)
    rounds = 0
    while queue:
        rounds += 1
        assert rounds < 10_000
        event_type, envelope = queue.pop(0)
        try:
            ev.deliver(suppliers_app, event_type, envelope_=envelope)
        except RetryLater:
            queue.append((event_type, envelope))


def _balances(suppliers_app, supplier_ids: list[str]) -> list[dict]:
    with suppliers_app.extensions["sentra"].transaction() as session:
        return [
            {k: v for k, v in ledger.balance_summary(session, s).items() if k != "supplier_id"} for s in supplier_ids
        ]


@PROPERTY_SETTINGS
@given(templates=fact_templates, seed=st.integers(0, 10_000))
def test_the_same_events_delivered_twice_or_out_of_order_give_the_same_balances(suppliers_app, token, templates, seed):
    client = suppliers_app.test_client()
    in_order = [_register(client, token), _register(client, token)]
    shuffled = [_register(client, token), _register(client, token)]
    product_id = ev.new_uuid()

    first = [(t, ev.envelope(t, p)) for t, p in _instantiate(templates, in_order, product_id)]
    _deliver_all(suppliers_app, first)

    second = [(t, ev.envelope(t, p)) for t, p in _instantiate(templates, shuffled, product_id)]
    rng = random.Random(seed)
    disordered = second + [rng.choice(second) for _ in range(len(second))]  # every event, some twice
    rng.shuffle(disordered)
    _deliver_all(suppliers_app, disordered)

    assert _balances(suppliers_app, in_order) == _balances(suppliers_app, shuffled)
    with suppliers_app.extensions["sentra"].transaction() as session:
        assert ledger.check_invariants(session)["ok"]
