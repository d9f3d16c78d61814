"""A sale made at the counter while offline is sent later: it is recorded at the price the customer paid, even when
the price changed in between, but the counter cannot set a price the product never had."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

DODOL = "8991234577771"  # not in the standard catalogue: its price history is this test's


def test_a_sale_made_before_a_price_change_is_recorded_at_the_price_paid(pos):
    register_id = pos.ready()
    made_at = datetime.now(UTC) - timedelta(minutes=30)
    dodol = pos.product(DODOL, 25_000, "Dodol Durian 250 g", occurred_at=made_at - timedelta(days=1))
    pos.product(DODOL, 27_500, "Dodol Durian 250 g", revision=2, occurred_at=made_at + timedelta(minutes=10))

    response = pos.sell(
        register_id,
        [{"product_id": dodol, "qty": 2, "unit_price": 25_000}],
        [{"method": "cash", "amount": 50_000, "tendered": 50_000}],
        priced_at=made_at.isoformat(),
    )
    assert response.status_code == 201, response.json
    sale = response.json
    assert (sale["total"], sale["change"]) == (50_000, 0)
    assert [(line["unit_price"], line["qty"], line["line_total"]) for line in sale["lines"]] == [(25_000, 2, 50_000)]
    receipt = pos.client.get(f"/receipts/{sale['receipt_no']}?width=80", headers=pos.cashier).get_data(as_text=True)
    assert "Rp50.000" in receipt and "Rp55.000" not in receipt

    # the same sale made now, at the old price, is refused: the counter cannot keep a price that has gone
    before = pos.row_counts()
    stale = pos.sell(
        register_id,
        [{"product_id": dodol, "qty": 1, "unit_price": 25_000}],
        [{"method": "cash", "amount": 25_000}],
        priced_at=datetime.now(UTC).isoformat(),
    )
    assert stale.status_code == 422 and stale.json["code"] == "price_not_current"
    assert stale.json["errors"]["lines"]["0"]["unit_price"]
    assert pos.row_counts() == before


def test_a_price_the_product_never_had_is_refused_and_writes_nothing(pos):
    register_id = pos.ready()
    dodol = pos.product(DODOL, 25_000, "Dodol Durian 250 g")
    before = pos.row_counts()
    response = pos.sell(
        register_id,
        [{"product_id": dodol, "qty": 1, "unit_price": 1_000}],
        [{"method": "cash", "amount": 1_000}],
        priced_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat(),
    )
    assert response.status_code == 422 and response.json["code"] == "price_not_current"
    assert pos.row_counts() == before
    # the current price given as the one charged is simply the catalogue's
    current = pos.sell(
        register_id, [{"product_id": dodol, "qty": 1, "unit_price": 25_000}], [{"method": "cash", "amount": 25_000}]
    )
    assert current.status_code == 201 and current.json["lines"][0]["unit_price"] == 25_000
