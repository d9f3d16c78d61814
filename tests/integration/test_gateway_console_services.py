"""Console pages read through the gateway's test client from the real inventory, POS and suppliers services,
each served over real HTTP on its own database (no workers: events are delivered by their real consumer tasks in
this process): the deliveries history, and the drill-down of a refund only stock and the ledger know."""

from __future__ import annotations

import re

import pytest

from services.gateway import accounts
from services.gateway import create_app as gateway_app
from services.pos import create_app as pos_app
from services.suppliers import create_app as suppliers_app
from shared import business_time
from tests import suppliers_support as ev
from tests.inventory_support import Inventory, days_from_today, refund_payload
from tests.support import ServedApp, free_port, login_form_csrf

UPSTREAM = ("inventory", "pos", "suppliers")


@pytest.fixture
def centre(make_settings, token):
    """The three services over HTTP and the gateway app pointing at them, with the manager ``manajer``."""
    ports = {service: free_port() for service in UPSTREAM}
    urls = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
    urls["gateway"] = "http://127.0.0.1:1"
    inventory = Inventory(make_settings("inventory", service_urls=urls), token)
    apps = {
        "inventory": inventory.app,
        "pos": pos_app(make_settings("pos", service_urls=urls)),
        "suppliers": ev.with_consumers(suppliers_app(make_settings("suppliers", service_urls=urls))),
    }
    served = [ServedApp(apps[service], ports[service]) for service in UPSTREAM]
    gateway = gateway_app(make_settings("gateway", service_urls=urls))
    with gateway.extensions["sentra"].transaction() as session:
        accounts.upsert_user(session, "manajer", "Dewi", "manager", "manajer-pass-1")
    browser = gateway.test_client()
    answer = browser.post(
        "/login",
        data={"username": "manajer", "password": "manajer-pass-1", "csrf_token": login_form_csrf(browser)},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    yield {"browser": browser, "inventory": inventory, "suppliers": apps["suppliers"], "token": token}
    for server in served:
        server.stop()
    for app in (gateway, *apps.values()):
        app.extensions["sentra"].engine.dispose()


def page_text(response) -> str:
    """The visible words of a page (tags dropped, spaces collapsed)."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_deliveries_history_shows_received_and_cancelled_ones_in_words(centre):
    inventory, browser = centre["inventory"], centre["browser"]
    supplier_id = inventory.supplier("Dodol Ibu Sari")
    dodol = inventory.product(supplier_id, name="Dodol Betawi")
    sari = inventory.token("supplier", supplier_id=supplier_id, user_id="sari")
    line = {"product_id": dodol["id"], "qty": 10, "expiry_date": days_from_today(60)}
    received, cancelled, announced = (inventory.post("/deliveries", {"lines": [line]}, headers=sari) for _ in range(3))
    inventory.post(f"/deliveries/{received['id']}/receive", {"lines": [{"line_no": 1, "qty": 10}]}, 200)
    inventory.post(f"/deliveries/{cancelled['id']}/cancel", {"reason": "Gudang penuh"}, 200)
    intake_number = inventory.get(f"/deliveries/{received['id']}")["intake_number"]

    html = browser.get("/manager/intakes").get_data(as_text=True)
    assert 'href="/manager/deliveries"' in html
    assert received["number"] not in html and announced["number"] in html  # the list: only announced ones

    every = page_text(browser.get("/manager/deliveries"))
    positions = [every.index(d["number"]) for d in (announced, cancelled, received)]
    assert positions == sorted(positions)  # newest first
    for words in ("Diumumkan", "Dibatalkan", "Diterima", "Gudang penuh", "Dodol Ibu Sari", intake_number):
        assert words in every
    assert supplier_id not in every and received["id"] not in every
    assert "received" not in every and "cancelled" not in every

    only_cancelled = page_text(browser.get("/manager/deliveries?status=cancelled"))
    assert cancelled["number"] in only_cancelled and "Gudang penuh" in only_cancelled
    assert received["number"] not in only_cancelled and announced["number"] not in only_cancelled
    only_announced = page_text(browser.get("/manager/deliveries?status=announced"))
    assert announced["number"] in only_announced and cancelled["number"] not in only_announced
    unknown = page_text(browser.get("/manager/deliveries?status=lost"))  # an unknown status: every delivery
    assert all(d["number"] in unknown for d in (announced, cancelled, received))

    switch = {"csrf_token": csrf_of(browser), "next": "/manager/deliveries"}
    english = page_text(browser.post("/language/en", data=switch, follow_redirects=True))
    assert "Cancelled" in english and "Received" in english


def csrf_of(browser) -> str:
    """The session's CSRF token, as the gateway's pages carry it in their forms."""
    html = browser.get("/manager").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_drill_down_of_a_refund_the_till_does_not_know_shows_what_stock_and_the_ledger_hold(centre):
    inventory, browser, suppliers = centre["inventory"], centre["browser"], centre["suppliers"]
    manager = centre["token"]("manager")
    registered = suppliers.test_client().post(
        "/suppliers",
        json={"business_name": "Dodol Ibu Sari", "owner_name": "Sari", "phone": "081311120009"},
        headers=manager,
    )
    assert registered.status_code == 201, registered.json
    supplier_id = registered.json["id"]
    inventory.publish(
        "supplier.registered",
        {
            "supplier_id": supplier_id,
            "name": "Dodol Ibu Sari",
            "status": "active",
            "consignment_days": 60,
            "shrinkage_borne_by": "supplier",
        },
    )
    dodol = inventory.product(supplier_id, name="Dodol Betawi")
    inventory.intake(supplier_id, [{"product_id": dodol["id"], "qty": 5, "expiry_date": days_from_today(60)}])
    # the till's records of this sale and its refund are lost (e.g. a restored backup): stock and the ledger
    # got their events, the till has neither
    sale = inventory.sale([(dodol, 2)])["payload"]
    refund = refund_payload(sale, [(0, 1)], back_to_stock=True)
    inventory.publish("sale.refunded", refund)
    ev.deliver(suppliers, "sale.completed", sale)
    ev.deliver(suppliers, "sale.refunded", refund)

    today = business_time.today().isoformat()
    queued = suppliers.test_client().post("/reconciliations", json={"from": today, "to": today}, headers=manager)
    assert queued.status_code == 202, queued.json
    ev.run_requested_reconciliations(suppliers)
    report = suppliers.test_client().get(f"/reconciliations/{queued.json['id']}", headers=manager).json["report"]
    assert {"kind": "refund", "id": refund["refund_id"], "missing_in": "pos", "amount": 25_000} in report["missing"]

    findings = page_text(browser.get(f"/manager/reconciliation/{queued.json['id']}"))
    assert "Tidak tercatat di kasir" in findings
    response = browser.get(f"/manager/reconciliation/{queued.json['id']}/refunds/{refund['refund_id']}")
    text = page_text(response)
    html = response.get_data(as_text=True)
    assert "Retur yang tidak dikenal kasir" in text  # no receipt number: the till does not know it
    assert 'data-testid="pos-missing"' in html and "Kasir tidak mencatat retur ini." in text
    assert "Penjualannya" not in text  # no link to a sale the till does not know either
    stock = text[text.index("Di stok") : text.index("Di buku besar")]
    assert "Dodol Betawi" in stock and "Retur penjualan kembali ke stok" in stock
    ledger = text[text.index("Di buku besar") :]
    assert 'data-testid="ledger-missing"' not in html and "Rp25.000" in ledger and "Dodol Ibu Sari" in ledger
    for where in ("Stok", "Buku besar"):  # what the findings say of it
        assert f"Tidak tercatat di kasir, tetapi ada di {where}." in text
    assert refund["refund_id"] not in text and supplier_id not in text
