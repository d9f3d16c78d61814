"""After the sale at the counter: a refund with a manager's approval and its receipt; the shift's cash in and
out, the X report, a reprint, and closing with cash counted by denomination, the variance and the Z report."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import MANAGER_PIN, open_counter, scan, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
DODOL, KERUPUK = "8991234500010", "8991234500027"


def cash_sale(page, *codes) -> str:
    for code in codes:
        scan(page, code)
    expect(page.locator("#cart tr")).not_to_have_count(0)
    page.keyboard.press("F9")
    page.locator("#pay-dialog[open]").wait_for()
    with page.context.expect_page() as receipt:
        page.keyboard.press("Enter")
        page.locator("#last-sale").wait_for()
    receipt.value.close()
    return page.inner_text("#receipt-no")


def test_a_refund_with_a_managers_approval_prints_a_refund_receipt(shop, page):
    open_counter(page, shop)
    receipt_no = cash_sale(page, DODOL, DODOL, KERUPUK)
    page.keyboard.press("Alt+r")
    page.locator("#refund-dialog[open]").wait_for()
    page.keyboard.type("R01-00000000-9999")
    page.keyboard.press("Enter")
    expect(page.locator("#refund-error")).to_have_text("Tidak ada penjualan dengan nomor struk R01-00000000-9999.")
    page.fill("#refund-receipt", receipt_no)
    page.press("#refund-receipt", "Enter")
    page.locator("#refund-form").wait_for()
    expect(page.locator("#refund-lines input").first).to_be_focused()
    page.keyboard.type("1")  # one of the two dodol
    page.fill("#refund-reason", "Kemasan rusak")
    page.uncheck("#refund-stock")
    page.select_option("#refund-method", "cash")
    page.fill("#refund-username", shop.approver)
    page.fill("#refund-pin", MANAGER_PIN)
    assert_accessible(page)
    screenshot(page, "counter-refund")
    page.press("#refund-pin", "Enter")
    page.locator("#notice").wait_for()
    assert page.inner_text("#notice") == f"Dana Rp25.000 dari struk {receipt_no} dikembalikan."
    receipt = page.inner_text("#print-area")
    assert "Struk retur" in receipt and receipt_no in receipt and "Rp25.000" in receipt
    assert "Barang tidak dikembalikan ke stok." in receipt

    [sale] = shop.centre.manager.get(f"{shop.centre.api}/pos/sales?receipt_no={receipt_no}").json()
    assert [line["refunded_qty"] for line in sale["lines"]] == [1, 0]


def test_cash_in_and_out_x_report_reprint_and_close_with_the_z_report(shop, page):
    open_counter(page, shop, opening_float="100000")
    receipt_no = cash_sale(page, DODOL)

    page.click("#cash-in-button")
    page.locator("#cash-dialog[open]").wait_for()
    page.keyboard.type("50000")
    page.keyboard.press("Tab")
    page.keyboard.type("Tambahan uang kecil")
    page.keyboard.press("Enter")
    expect(page.locator("#notice")).to_have_text("Tersimpan: Rp50.000.")
    page.click("#cash-out-button")
    page.fill("#cash-amount", "20000")
    page.fill("#cash-reason", "Beli plastik")
    page.press("#cash-reason", "Enter")
    expect(page.locator("#notice")).to_have_text("Tersimpan: Rp20.000.")

    page.keyboard.press("Alt+x")
    page.locator("#report-dialog[open]").wait_for()
    report = page.inner_text("#report-body")
    assert "Laporan X" in page.inner_text("#report-heading")
    assert "Rp155.000" in report  # 100.000 float + 25.000 sale + 50.000 in − 20.000 out
    assert_accessible(page)
    page.keyboard.press("Escape")

    page.click("#reprint-button")
    page.locator("#reprint-dialog[open]").wait_for()
    with page.context.expect_page() as reprint:
        page.keyboard.press("Enter")
    reprint.value.wait_for_load_state()
    assert reprint.value.url.endswith(f"/api/pos/receipts/{receipt_no}?width=58")
    reprint.value.close()
    page.keyboard.press("Escape")

    page.click("#close-button")
    page.locator("#close-dialog[open]").wait_for()
    page.click("#denominations summary")
    page.fill("[data-denomination='100000']", "1")
    page.fill("[data-denomination='50000']", "1")
    page.fill("[data-denomination='2000']", "2")
    expect(page.locator("#counted-cash")).to_have_value("154000")
    page.click("#close-submit")
    page.locator("#close-confirm").wait_for()
    assert page.inner_text("#close-variance") == "-Rp1.000"
    assert_accessible(page)
    screenshot(page, "counter-close")
    page.click("#close-submit")
    page.locator("#report-dialog[open]").wait_for()
    assert "Laporan Z" in page.inner_text("#report-heading")
    assert "-Rp1.000" in page.inner_text("#report-body")
    with page.context.expect_page() as z_print:
        page.click("#report-print")
    z_print.value.wait_for_load_state()
    assert "/z-report/print" in z_print.value.url and "154.000" in z_print.value.content()
    page.bring_to_front()
    page.keyboard.press("Escape")
    page.locator("#open-shift").wait_for()
