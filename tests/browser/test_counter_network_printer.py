"""The counter with the register's ESC/POS network printer (a real TCP listener in the test): a cash sale prints
there with the drawer kick instead of opening the browser's print view; the register settings say where receipts
print; an unreachable printer is an Indonesian message and the browser's print view takes over."""

from __future__ import annotations

import socket

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_counter, scan
from tests.integration.escpos_listener import DRAWER_KICK_PIN_2, FakePrinter

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
DODOL = "8991234500010"


def set_printer(shop, port: int) -> None:
    http, api = shop.centre.manager, shop.centre.api
    register = next(r for r in http.get(f"{api}/pos/registers").json() if r["code"] == "R01")
    body = {"host": "127.0.0.1", "port": port, "paper_width": 58}
    assert http.put(f"{api}/pos/registers/{register['id']}/printer", json=body).status_code == 200


def test_a_cash_sale_prints_on_the_network_printer_and_a_dead_printer_falls_back_to_the_browser(shop, page):
    printer = FakePrinter()
    set_printer(shop, printer.port)
    popups = []
    page.context.on("page", lambda popup: popups.append(popup))
    open_counter(page, shop)

    page.click("#settings-button")
    expect(page.locator("#settings-printer")).to_have_text(
        f"Struk dan laporan Z dicetak di printer jaringan 127.0.0.1:{printer.port} (58 mm)."
    )
    page.keyboard.press("Escape")
    expect(page.locator("#scan")).to_be_focused()  # the dialog's close event hands the focus back to scanning

    scan(page, DODOL)
    page.keyboard.press("F9")
    page.locator("#pay-dialog[open]").wait_for()
    page.keyboard.type("50000")
    page.keyboard.press("Enter")
    page.locator("#last-sale").wait_for()
    expect(page.locator("#notice")).to_have_text("Terkirim ke printer.")
    receipt_no = page.inner_text("#receipt-no")
    lines, commands = printer.job()
    assert any(line.startswith("No") and line.endswith(receipt_no) for line in lines)
    assert commands[-1][:3] == DRAWER_KICK_PIN_2
    assert popups == []  # no browser print view
    printer.close()

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        set_printer(shop, unused.getsockname()[1])
    with page.context.expect_page() as fallback:
        page.click("#print-last")
    expect(page.locator("#message")).to_have_text(
        "Printer tidak dapat dihubungi. Periksa apakah printer menyala dan terhubung ke jaringan."
    )
    assert f"/api/pos/receipts/{receipt_no}?width=58" in fallback.value.url
