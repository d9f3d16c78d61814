"""The money side of the console in headless Chromium against the real services behind the gateway: a payout run
reviewed, refused to its creator, approved by a second manager, exported in a bank's layout and paid (or failed)
line by line, then seen by the supplier on a phone; the reconciliation with its drill-down; the reports with their
charts and downloads. Every page is checked with axe-core and photographed (desktop and 360 px)."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from openpyxl import load_workbook

from services.suppliers import bank_files
from shared import business_time
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import DESKTOP, PHONE, SUPPLIERS, both_screenshots, log_in, screenshot, selling_centre
from tests.support import eventually

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def row_of(page, supplier: str):
    return page.locator("tbody tr", has_text=supplier)


def test_a_payout_run_is_approved_by_a_second_manager_exported_for_bca_paid_and_seen_by_the_supplier(centre, page):
    seeded = selling_centre(centre)
    centre.add_user("manajer2", "Rina Manajer", "manager", "manajer2-pass-1")
    url = centre.url
    page.set_viewport_size(DESKTOP)
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(f"{url}/manager/payouts")
    both_screenshots(page, "console-payouts")
    page.fill("#f-cutoff_date", business_time.today().isoformat())
    page.click("#payout-form button[type=submit]")
    page.locator("[data-testid=flash-success]", has_text="Daftar pembayaran dibuat.").wait_for()
    assert "Draf" in page.inner_text("h1") and page.locator("tbody tr").count() == 3
    assert "Anda yang membuat daftar ini" in page.inner_text("[data-testid=four-eyes]")
    assert page.inner_text("[data-testid=created-by]").endswith(" WIB oleh Dewi Manajer")  # a name, not an id
    run_url = page.url

    # review: exclude one line, hold another and release it
    row_of(page, "Kerupuk Cikarang").locator("input[name=reason]").last.fill("retur besar minggu ini")
    with page.expect_navigation():  # the old page shows a success message too
        row_of(page, "Kerupuk Cikarang").locator("button", has_text="Keluarkan").click()
    page.locator("[data-testid=flash-success]").wait_for()
    assert "Dikeluarkan" in row_of(page, "Kerupuk Cikarang").inner_text()
    row_of(page, "Dodol Mpok Yati").locator("input[name=reason]").first.fill("cek NPWP")
    with page.expect_navigation():  # the old page shows a success message too
        row_of(page, "Dodol Mpok Yati").locator("button", has_text="Tahan").click()
    page.locator("[data-testid=flash-success]").wait_for()
    assert "Ditahan" in row_of(page, "Dodol Mpok Yati").inner_text()
    with page.expect_navigation():  # the old page shows a success message too
        row_of(page, "Dodol Mpok Yati").locator("button", has_text="Lepaskan").click()
    page.locator("[data-testid=flash-success]").wait_for()
    assert "Diusulkan" in row_of(page, "Dodol Mpok Yati").inner_text()
    both_screenshots(page, "console-payout-run-draft")

    # four-eyes: the creator is refused, in Indonesian, and the run stays a draft
    page.click("#approve-run")
    message = page.locator("[data-testid=page-message]")
    message.wait_for()
    assert message.inner_text() == (
        "Anda yang membuat daftar pembayaran ini, jadi Anda tidak boleh menyetujuinya. "
        "Manajer lain harus menyetujuinya."
    )
    assert "Draf" in page.inner_text("h1")
    assert_accessible(page)

    # another manager approves
    page.context.clear_cookies()
    log_in(page, url, "manajer2", "manajer2-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(run_url)
    assert page.locator("[data-testid=four-eyes]").count() == 0
    page.keyboard.press("Tab")
    page.focus("#approve-run")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator("[data-testid=flash-success]", has_text="Daftar pembayaran disetujui.").wait_for()
    assert "Disetujui" in page.inner_text("h1")
    assert page.inner_text("[data-testid=created-by]").endswith(" WIB oleh Dewi Manajer")
    assert page.inner_text("[data-testid=approved-by]").endswith(" WIB oleh Rina Manajer")
    assert "Dikeluarkan" in row_of(page, "Kerupuk Cikarang").inner_text()

    # the bank files: BCA carries the BCA account only (the Multi Payroll TXT, its header counting the records),
    # BRI the BRI account only (with its COUNT and TOTAL rows); Mandiri needs the debit account
    page.select_option("#f-format", "bca")
    page.fill("#f-debit_account", "0987654321")
    page.fill("#f-corporate_id", "KBB12345")
    page.fill("#f-company_code", "SNTR01")
    page.fill("#f-batch", "2")
    page.select_option("#f-value_hour", "8")
    with page.expect_download() as download:
        page.click("#download-bank-file")
    assert download.value.suggested_filename.endswith("-bca.txt")
    text = open(download.value.path(), encoding="utf-8").read()
    header, detail = (line.split("|") for line in text.splitlines())
    share = 350_000 - 350_000 * 1500 // 10_000
    assert header[:9] == ["0", "PY", "KBB12345", "SNTR01", "00000002", header[5], "08", "0987654321", "00001"]
    assert detail[4:7] == ["1234567890", "BATIK TARUMANEGARA (PEMILIK)", f"{share}.00"]
    assert bank_files.check_totals("bca", text) == []
    page.goto(run_url)
    page.select_option("#f-format", "bri")
    page.fill("#f-debit_account", "002301000999999")
    with page.expect_download() as download:
        page.click("#download-bank-file")
    bri = open(download.value.path(), encoding="utf-8").read()
    assert [row.split("|")[0] for row in bri.splitlines()] == ["No", "1", "COUNT", "TOTAL", "DATE", "TIME"]
    assert "|002301000123456|Dodol Mpok Yati (pemilik)|" in bri and bank_files.check_totals("bri", bri) == []
    page.goto(run_url)
    page.select_option("#f-format", "mandiri")
    page.click("#download-bank-file")
    beside = page.locator("[data-field-error=debit_account]")
    beside.wait_for()
    assert beside.inner_text() == "Wajib diisi."
    assert "Berkas bank tidak dapat dibuat" in page.inner_text("[data-testid=page-message]")
    assert_accessible(page)
    page.fill("#f-debit_account", "1230009876543")
    with page.expect_download() as download:
        page.click("#download-bank-file")
    mandiri = open(download.value.path(), encoding="utf-8").read()
    assert mandiri.startswith("P,") and bank_files.check_totals("mandiri", mandiri) == []
    assert len(mandiri.strip().splitlines()) == 3  # the header and the two approved lines

    # paid and failed, line by line
    page.goto(run_url)
    row_of(page, "Batik Tarumanegara").locator("input[name=reference]").fill("BCA-TRF-0001")
    row_of(page, "Batik Tarumanegara").locator("button", has_text="Tandai dibayar").click()
    page.locator("[data-testid=flash-success]").wait_for()
    row_of(page, "Dodol Mpok Yati").locator("input[name=reason]").fill("rekening tidak aktif")
    with page.expect_navigation():  # the old page shows a success message too
        row_of(page, "Dodol Mpok Yati").locator("button", has_text="Tandai gagal").click()
    page.locator("[data-testid=flash-success]").wait_for()
    batik_row, dodol_row = row_of(page, "Batik Tarumanegara").inner_text(), row_of(page, "Dodol Mpok Yati").inner_text()
    assert "Dibayar" in batik_row and "BCA-TRF-0001" in batik_row
    assert "Gagal" in dodol_row and "rekening tidak aktif" in dodol_row
    both_screenshots(page, "console-payout-run-paid")
    with page.expect_navigation():
        page.click("[data-testid=language-en]")
    assert "Paid" in row_of(page, "Batik Tarumanegara").inner_text()
    page.click("[data-testid=language-id]")

    # the supplier sees the payout with its bank reference on a phone
    batik = seeded["suppliers"]["Batik Tarumanegara"]
    centre.add_user("batik", "Batik Tarumanegara", "supplier", "batik-pass-1", batik["id"])
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    log_in(page, url, "batik", "batik-pass-1")
    page.wait_for_url(f"{url}/supplier")
    payouts = page.inner_text("#payouts")
    assert "BCA-TRF-0001" in payouts and "Dibayar" in payouts and f"Rp{share:,}".replace(",", ".") in payouts
    assert page.inner_text("#balance [data-key=paid]") == f"Rp{share:,}".replace(",", ".")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
    screenshot(page, "supplier-portal-paid-360")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "supplier-portal-paid-desktop")


def refund_line(centre, sale: dict, product_name: str, back_to_stock: bool) -> dict:
    """One unit of the sale's line of ``product_name`` refunded at the till (the cashier, a manager's grant)."""
    http, api = centre.manager, centre.api
    grant = http.post(f"{api}/auth/grants", json={"purpose": "refund"})
    assert grant.status_code == 201, grant.text
    line = next(line for line in sale["lines"] if line["name"] == product_name)
    response = http.post(
        f"{api}/pos/refunds",
        headers={**centre.token("kasir", "kasir-pass-1"), "Idempotency-Key": str(uuid.uuid4())},
        json={
            "receipt_no": sale["receipt_no"],
            "lines": [{"sale_line_id": line["id"], "qty": 1}],
            "reason": "kemasan rusak",
            "back_to_stock": back_to_stock,
            "method": "original",
            "approval": {"approval_token": grant.json()["grant"]},
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_reconciliation_lists_a_sale_the_ledger_lacks_and_drills_down_into_each_service(centre, page):
    seeded = selling_centre(centre)
    sale = seeded["sale"]
    from sqlalchemy import delete, select

    from services.suppliers.models import JournalEntry, PayableItem, Posting

    # two refunds of the sale: the dodol back to stock, the kerupuk not (thrown away)
    dodol_refund = refund_line(centre, sale, "Dodol Betawi 250 g", back_to_stock=True)
    kerupuk_refund = refund_line(centre, sale, "Kerupuk Kulit 200 g", back_to_stock=False)
    ledger = centre.apps["suppliers"].extensions["sentra"]

    def posted(source_id: str) -> bool:
        with ledger.transaction() as session:
            return session.scalar(select(JournalEntry.id).where(JournalEntry.source_id == source_id)) is not None

    eventually(lambda: posted(dodol_refund["id"]) and posted(kerupuk_refund["id"]), message="refunds posted")
    returned = f"{centre.api}/inventory/reconciliation/movements/of?reference_id={dodol_refund['id']}"
    eventually(lambda: len(centre.manager.get(returned).json()) == 1, message="the dodol back in stock")
    # a faulty correction removes the ledger's entries of the sale and of the kerupuk's refund (as lost events
    # would leave them)
    with ledger.transaction() as session:
        entry_ids = list(
            session.execute(
                select(JournalEntry.id).where(JournalEntry.source_id.in_([sale["id"], kerupuk_refund["id"]]))
            ).scalars()
        )
        session.execute(delete(PayableItem).where(PayableItem.entry_id.in_(entry_ids)))
        session.execute(delete(Posting).where(Posting.entry_id.in_(entry_ids)))
        session.execute(delete(JournalEntry).where(JournalEntry.id.in_(entry_ids)))

    url = centre.url
    page.set_viewport_size(DESKTOP)
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(f"{url}/manager/reconciliation")
    today = business_time.today().isoformat()
    page.fill("#f-from", today)
    page.fill("#f-to", today)
    page.click("#reconciliation-form button[type=submit]")
    page.locator("[data-testid=flash-success]", has_text="Rekonsiliasi dimulai.").wait_for()
    summary = page.locator("[data-testid=reconciliation-summary]")
    summary.wait_for(timeout=30_000)  # htmx polls the page until the worker has run it
    assert "1 penjualan" in summary.inner_text()
    finding = page.locator(f"tbody tr[data-record-id='{sale['id']}']")
    assert "Tidak tercatat di buku besar" in finding.inner_text() and "Rp390.000" in finding.inner_text()
    refund_finding = page.locator(f"tbody tr[data-record-id='{kerupuk_refund['id']}']")
    assert sale["receipt_no"] in refund_finding.inner_text() and "Retur" in refund_finding.inner_text()
    assert "Tidak tercatat di buku besar" in refund_finding.inner_text() and "Rp15.000" in refund_finding.inner_text()
    assert page.locator("tbody tr").count() == 2  # the dodol's refund matches everywhere
    reconciliation_url = page.url
    both_screenshots(page, "console-reconciliation")

    finding.locator("a").click()
    page.locator("#pos-side").wait_for()
    assert sale["receipt_no"] in page.inner_text("h1")
    assert "Batik Tulis Tarumanegara" in page.inner_text("#pos-side") and "Tunai" in page.inner_text("#pos-side")
    stock = page.inner_text("#inventory-side")
    assert stock.count("Penjualan") == 3 and "Dodol Betawi 250 g" in stock
    assert page.inner_text("[data-testid=ledger-missing]") == "Buku besar tidak mencatat penjualan ini."
    refunds = page.locator("#refunds-side tbody tr")
    assert refunds.count() == 2
    assert "Dodol Betawi 250 g × 1" in refunds.nth(0).inner_text() and "Ya" in refunds.nth(0).inner_text()
    assert "Kerupuk Kulit 200 g × 1" in refunds.nth(1).inner_text() and "Tidak" in refunds.nth(1).inner_text()
    both_screenshots(page, "console-reconciliation-sale")

    # the dodol's refund, from the sale: the till's refund, the stock it put back, the ledger's reversal
    with page.expect_navigation():  # the sale's page has #pos-side too
        refunds.nth(0).get_by_role("link").click()
    page.locator("#pos-side").wait_for()
    assert page.inner_text("h1") == f"Retur penjualan {sale['receipt_no']}"
    till = page.inner_text("#pos-side")
    assert "Dodol Betawi 250 g" in till and "Dodol Mpok Yati" in till and "Tunai Rp25.000" in till
    assert "kemasan rusak" in till and "Kembali ke stok" in till
    stock = page.inner_text("#inventory-side")
    assert "Retur penjualan kembali ke stok" in stock and "Dodol Betawi 250 g" in stock
    assert page.locator("[data-testid=ledger-missing]").count() == 0
    assert "Rp25.000" in page.inner_text("#ledger-side")
    both_screenshots(page, "console-reconciliation-refund")

    # the kerupuk's refund, from the findings: the ledger lacks it, and no stock moved (not back to stock)
    page.goto(reconciliation_url)
    refund_finding.get_by_role("link").click()
    page.locator("#pos-side").wait_for()
    assert "Kerupuk Kulit 200 g" in page.inner_text("#pos-side") and "Tidak kembali ke stok" in page.inner_text(
        "#pos-side"
    )
    assert "Barangnya tidak kembali ke stok" in page.inner_text("#inventory-side")
    assert page.inner_text("[data-testid=ledger-missing]") == "Buku besar tidak mencatat retur ini."
    assert any("buku besar" in sentence for sentence in page.locator("[data-testid=findings] li").all_inner_texts())
    both_screenshots(page, "console-reconciliation-refund-missing")

    page.goto(f"{url}/manager/reconciliation")
    assert page.locator("tbody tr").count() == 1 and "Selesai" in page.inner_text("tbody")
    both_screenshots(page, "console-reconciliations")
    with page.expect_navigation():
        page.click("[data-testid=language-en]")
    assert "Finished" in page.inner_text("tbody")
    page.click("[data-testid=language-id]")


def test_the_reports_show_sales_and_supplier_stock_with_charts_and_export_every_table(centre, page):
    selling_centre(centre)
    url = centre.url
    page.set_viewport_size(DESKTOP)
    log_in(page, url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{url}/manager")
    page.goto(f"{url}/manager/reports")
    assert page.inner_text("#report-totals [data-key=net]") == "Rp390.000"
    assert page.locator("svg#chart-by_period rect").count() >= 1
    assert page.locator("svg#chart-by_hour > title").text_content() == "Per jam (WIB)"
    assert "Tunai" in page.inner_text("#by_payment_method") and "Rudi Kasir" in page.inner_text("#by_cashier")
    assert "Makanan" in page.inner_text("#by_category")
    assert "Batik Tulis Tarumanegara" in page.inner_text("#top_products")
    batik = page.locator("#supplier_stock tbody tr", has_text="Batik Tarumanegara").inner_text()
    assert "10 %" in batik  # 1 sold of 10
    both_screenshots(page, "console-reports")

    tables = page.locator("section.report-table").count()
    assert tables == 8
    for key in ("by_period", "by_payment_method", "by_cashier", "by_hour", "by_category", "by_supplier"):
        csv_link = page.get_attribute(f"#{key} a[data-export=csv]", "href")
        response = page.context.request.get(url + csv_link)
        assert response.status == 200 and response.headers["content-type"].startswith("text/csv"), key
        assert len(list(csv.reader(io.StringIO(response.text())))) >= 2, key
    top = page.context.request.get(url + page.get_attribute("#top_products a[data-export=csv]", "href"))
    assert list(csv.reader(io.StringIO(top.text())))[0] == ["Produk", "Unit", "Total"]
    workbook = page.context.request.get(url + page.get_attribute("#supplier_stock a[data-export=xlsx]", "href"))
    assert workbook.status == 200
    sheet = load_workbook(io.BytesIO(workbook.body())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Pemasok" and {row[0] for row in values[1:]} == {name for name, *_ in SUPPLIERS}
    batik_row = next(row for row in values if row[0] == "Batik Tarumanegara")
    assert batik_row[1:6] == [0, 10, 1, 9, 1000]

    page.select_option("#f-granularity", "month")
    page.fill("#f-from", "2026-01-01")
    page.fill("#f-to", "2027-06-30")
    page.click("#report-form button[type=submit]")
    beside = page.locator("[data-field-error=to]")
    beside.wait_for()
    assert beside.inner_text() == "Periode lebih dari 366 hari."
    assert_accessible(page)
    with page.expect_navigation():
        page.click("[data-testid=language-en]")
    page.fill("#f-from", business_time.today().replace(day=1).isoformat())
    page.fill("#f-to", business_time.today().isoformat())
    page.click("#report-form button[type=submit]")
    page.locator("#by_period").wait_for()
    assert "Sales by month" in page.inner_text("#by_period h2") and "Rp390,000" in page.inner_text("#report-totals")
    page.click("[data-testid=language-id]")
