"""The counter's money and cart rules (pure ES modules, integer rupiah) unit-tested where they run: in Chromium,
without Node. The modules are served as the gateway serves them (``/assets/counter/``) and imported by the page;
the assertions are made here on what they answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from tests.support import ServedApp

pytestmark = pytest.mark.browser
STATIC = Path(__file__).resolve().parents[2] / "services" / "gateway" / "static"


@pytest.fixture(scope="module")
def assets():
    """The gateway's static files over HTTP, and an empty page to import them from."""
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/assets")
    app.add_url_rule("/", "blank", lambda: "<!doctype html><html lang=id><title>rules</title></html>")
    served = ServedApp(app)
    yield served.url
    served.stop()


@pytest.fixture
def run(page, assets):
    """``run(body, **args)``: evaluate ``body`` (a JS function body) with ``money``, ``cart`` and ``customer`` (the
    modules) and ``args`` in scope; its return value, as JSON."""
    page.goto(assets + "/")

    def evaluate(body: str, **args):
        script = (
            "async (args) => { const money = await import('/assets/counter/money.js');"
            " const cart = await import('/assets/counter/cart.js');"
            " const customer = await import('/assets/counter/customer.js');"
            f" {body} }}"
        )
        return page.evaluate(script, args)

    return evaluate


DODOL = {"product_id": "p-dodol", "barcode": "8991234500010", "sku": "DOD", "name": "Dodol", "price": 25_000}
SAMBAL = {"product_id": "p-sambal", "barcode": "8991234500034", "sku": "SAM", "name": "Sambal", "price": 12_500}


def test_rupiah_is_written_and_read_the_indonesian_way(run):
    assert run(
        "return [money.rupiah(1250000), money.rupiah(1250000, 'en'), money.rupiah(-5000), money.rupiah(0),"
        " money.rupiah(null), money.rupiah('x')]"
    ) == ["Rp1.250.000", "Rp1,250,000", "-Rp5.000", "Rp0", "–", "–"]
    assert run("return ['50.000', 'Rp50000', ' 1.250.000 ', '', null, 'abc'].map(money.parseRupiah)") == [
        50_000,
        50_000,
        1_250_000,
        None,
        None,
        None,
    ]


def test_quick_cash_amounts_change_and_the_drawer_count(run):
    assert run("return money.quickAmounts(23500)") == [23_500, 25_000, 30_000, 50_000, 100_000]
    assert run("return money.quickAmounts(100000)") == [100_000]
    assert run("return money.quickAmounts(0)") == []
    assert run("return [money.change(50000, 37500), money.change(20000, 37500), money.change(null, 1)]") == [
        12_500,
        0,
        0,
    ]
    assert run("return money.countDenominations({100000: 2, 5000: '3', 500: '', 200: 'x'})") == 215_000


def test_a_second_scan_adds_quantity_and_the_argument_is_never_changed(run):
    result = run(
        "const empty = cart.emptyCart();"
        "const one = cart.addProduct(empty, args.dodol);"
        "const two = cart.addProduct(one, args.dodol);"
        "const three = cart.addProduct(two, args.sambal, 3);"
        "return {empty, one, lines: three.lines.map(l => [l.product_id, l.qty, l.price]), totals: cart.totals(three)};",
        dodol=DODOL,
        sambal=SAMBAL,
    )
    assert result["empty"] == {"lines": [], "discount": 0}
    assert [line["qty"] for line in result["one"]["lines"]] == [1]
    assert result["lines"] == [["p-dodol", 2, 25_000], ["p-sambal", 3, 12_500]]
    assert result["totals"] == {
        "items": 5,
        "subtotal": 87_500,
        "lineDiscounts": 0,
        "saleDiscount": 0,
        "discountTotal": 0,
        "total": 87_500,
    }


def test_discounts_stay_within_what_they_discount(run):
    result = run(
        "let c = cart.addProduct(cart.addProduct(cart.emptyCart(), args.dodol, 2), args.sambal);"
        "const over = cart.setLineDiscount(c, 0, 99999999);"  # at most the line's amount
        "c = cart.setLineDiscount(c, 0, '5000');"
        "c = cart.setSaleDiscount(c, 10000);"
        "const fewer = cart.setQty(cart.setLineDiscount(c, 1, 12500), 1, 0);"  # qty at least 1
        "const removed = cart.removeLine(cart.setSaleDiscount(c, 60000), 0);"  # the sale discount shrinks with it
        "return {over: over.lines[0].discount, totals: cart.totals(c), fewer: fewer.lines[1],"
        " removed: cart.totals(removed), negative: cart.setSaleDiscount(c, -5).discount, lines: cart.saleLines(c)};",
        dodol=DODOL,
        sambal=SAMBAL,
    )
    assert result["over"] == 50_000
    assert result["totals"] == {
        "items": 3,
        "subtotal": 62_500,
        "lineDiscounts": 5_000,
        "saleDiscount": 10_000,
        "discountTotal": 15_000,
        "total": 47_500,
    }
    assert (result["fewer"]["qty"], result["fewer"]["discount"]) == (1, 12_500)
    assert (result["removed"]["saleDiscount"], result["removed"]["total"]) == (12_500, 0)
    assert result["negative"] == 0
    assert result["lines"] == [
        {"product_id": "p-dodol", "qty": 2, "discount": 5_000, "unit_price": 25_000},
        {"product_id": "p-sambal", "qty": 1, "discount": 0, "unit_price": 12_500},
    ]


def test_payments_split_until_the_total_is_covered_and_cash_above_it_is_change(run):
    result = run(
        "const cash = cart.makePayment('cash', 47500, 20000);"
        "const rest = cart.paymentState(47500, [cash]);"
        "const over = cart.makePayment('cash', rest.remaining, 50000);"
        "const card = cart.makePayment('card', 27500, 99999, {approval_code: 'A1'});"
        "return {cash, rest, over, split: cart.paymentState(47500, [cash, over]), card,"
        " exact: cart.makePayment('qris', 47500, null)};"
    )
    assert result["cash"] == {"method": "cash", "amount": 20_000, "tendered": 20_000}
    assert result["rest"] == {"paid": 20_000, "remaining": 27_500, "change": 0}
    assert result["over"] == {"method": "cash", "amount": 27_500, "tendered": 50_000}
    assert result["split"] == {"paid": 47_500, "remaining": 0, "change": 22_500}
    assert result["card"] == {"method": "card", "amount": 27_500, "approval_code": "A1"}
    assert result["exact"] == {"method": "qris", "amount": 47_500}


def test_what_the_customer_display_is_sent_for_a_cart(run):
    result = run(
        "const c = cart.setLineDiscount(cart.addProduct(cart.emptyCart(), args.dodol, 2), 0, 5000);"
        "return [customer.cartState(cart.emptyCart()), customer.cartState(c)];",
        dodol=DODOL,
    )
    assert result == [
        {"kind": "idle"},
        {"kind": "cart", "lines": [{"name": "Dodol", "qty": 2, "amount": 45_000}], "total": 45_000},
    ]
