"""The manager's counter settings page: the favourites grid (items without a label) and each register's network
printer; the counter then shows the grid, adds a favourite by click or Alt+digit, also offline."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import BROWSER_WAIT_MS, log_in, open_counter, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def add_favourite(page, query: str, name: str) -> None:
    page.fill("#f-q", query)
    page.press("#f-q", "Enter")
    page.get_by_role("button", name=f"Tambah: {name}").click()
    expect(page.get_by_test_id("flash-success")).to_have_text("Favorit disimpan.")


def test_a_manager_chooses_favourites_and_a_printer_and_the_counter_uses_them(shop, page, browser):
    http, api = shop.centre.manager, shop.centre.api
    log_in(page, shop.url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{shop.url}/manager")
    page.get_by_role("navigation").get_by_role("link", name="Kasir", exact=True).click()
    expect(page.get_by_role("heading", name="Pengaturan kasir")).to_be_visible()

    add_favourite(page, "batik", "Batik Tulis Bekasi")
    add_favourite(page, "sambal", "Sambal Bawang Khas Bekasi")
    page.get_by_role("button", name="Naik: Sambal Bawang Khas Bekasi").click()
    expect(page.get_by_test_id("favourite-row").first).to_contain_text("Sambal Bawang Khas Bekasi")

    form = page.locator("form.printer-form[data-register=R01]")
    form.get_by_label("Alamat printer (IP atau nama host)").fill("192.168.1.50")
    form.get_by_label("Port").fill("abc")
    form.get_by_role("button", name="Simpan printer").click()
    expect(page.locator("[data-field-error=port]")).to_have_text("Harus bilangan bulat.")
    form = page.locator("form.printer-form[data-register=R01]")
    form.get_by_label("Port").fill("9101")
    form.get_by_label("58 mm").check()
    form.get_by_label("Buka laci uang pada penjualan tunai").uncheck()
    form.get_by_role("button", name="Simpan printer").click()
    expect(page.get_by_test_id("flash-success")).to_have_text("Pengaturan printer disimpan.")
    assert_accessible(page)
    screenshot(page, "console-counter-settings")

    register = next(r for r in http.get(f"{api}/pos/registers").json() if r["code"] == "R01")
    printer = http.get(f"{api}/pos/registers/{register['id']}/printer").json()
    assert {k: printer[k] for k in ("host", "port", "paper_width", "enabled", "open_drawer")} == {
        "host": "192.168.1.50",
        "port": 9101,
        "paper_width": 58,
        "enabled": True,
        "open_drawer": False,
    }
    grid = http.get(f"{api}/pos/outlets/{register['outlet_id']}/favourites").json()
    assert [p["name"] for p in grid] == ["Sambal Bawang Khas Bekasi", "Batik Tulis Bekasi"]

    # the cashier's counter, in a browser of its own
    context = browser.new_context(viewport={"width": 412, "height": 900}, locale="id-ID")
    counter = context.new_page()
    counter.set_default_timeout(BROWSER_WAIT_MS)
    open_counter(counter, shop)
    buttons = counter.locator("#favourites-grid button")
    expect(buttons).to_have_count(2)
    expect(buttons.first).to_have_text("Sambal Bawang Khas BekasiRp12.500Alt+1")
    expect(buttons.first).to_have_attribute("aria-keyshortcuts", "Alt+1")
    counter.keyboard.press("Alt+1")
    expect(counter.locator("#total")).to_have_text("Rp12.500")
    expect(counter.locator("#scan")).to_be_focused()
    buttons.nth(1).click()
    expect(counter.locator("#total")).to_have_text("Rp362.500")
    assert_accessible(counter)
    screenshot(counter, "counter-favourites")

    counter.wait_for_function("() => Number(document.body.dataset.catalogueSize) >= 4")
    counter.context.set_offline(True)  # the grid and its prices come from this browser
    counter.keyboard.press("Alt+1")
    expect(counter.locator("#cart tr").first.locator("input.qty").first).to_have_value("2")
    expect(counter.locator("#total")).to_have_text("Rp375.000")
    counter.context.set_offline(False)
    context.close()
