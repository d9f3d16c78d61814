"""The outlet's settings in the POS service (real database): receipt header and footer on the receipt, the static
QRIS payload checked by its EMVCo CRC, the PPN rule, and a refused change writing nothing."""

from __future__ import annotations

from services.pos import qris


def _settings_url(pos) -> str:
    return f"/outlets/{pos.settings.outlet_id}/settings"


def test_the_receipt_header_and_footer_are_printed_on_the_receipt(pos):
    saved = pos.client.put(
        _settings_url(pos),
        json={
            "receipt_header": "Buka setiap hari 08.00–21.00 · WA 0812-1111-2222",
            "receipt_footer": "Sampai jumpa lagi!",
        },
        headers=pos.manager,
    )
    assert saved.status_code == 200, saved.json
    assert (
        saved.json["receipt_header"].startswith("Buka setiap hari")
        and saved.json["receipt_footer"] == "Sampai jumpa lagi!"
    )
    sale = pos.cash_sale(pos.ready())
    html = pos.client.get(f"/receipts/{sale['receipt_no']}", headers=pos.cashier).get_data(as_text=True)
    assert "Buka setiap hari 08.00–21.00 · WA 0812-1111-2222" in html and "Sampai jumpa lagi!" in html
    assert "Terima kasih telah berbelanja" not in html


def test_without_a_footer_the_receipt_thanks_the_customer(pos):
    sale = pos.cash_sale(pos.ready())
    html = pos.client.get(f"/receipts/{sale['receipt_no']}", headers=pos.cashier).get_data(as_text=True)
    assert "Terima kasih telah berbelanja produk UMKM Kabupaten Bekasi" in html


def test_a_static_qris_payload_is_accepted_only_with_its_emvco_crc(pos):
    good = qris.static_payload("TOKO OLEH OLEH", "CIKARANG")
    before = pos.client.get(_settings_url(pos), headers=pos.manager).json
    wrong_crc = good[:-4] + ("0000" if good[-4:] != "0000" else "1111")
    refused = pos.client.put(_settings_url(pos), json={"static_qris_payload": wrong_crc}, headers=pos.manager)
    assert refused.status_code == 422 and "static_qris_payload" in refused.json["errors"]
    assert pos.client.get(_settings_url(pos), headers=pos.manager).json == before
    accepted = pos.client.put(_settings_url(pos), json={"static_qris_payload": good}, headers=pos.manager)
    assert accepted.status_code == 200 and accepted.json["static_qris_payload"] == good


def test_a_too_long_receipt_line_and_a_cashier_are_refused(pos):
    too_long = pos.client.put(_settings_url(pos), json={"receipt_footer": "x" * 401}, headers=pos.manager)
    assert too_long.status_code == 422 and "receipt_footer" in too_long.json["errors"]
    cashier = pos.client.put(_settings_url(pos), json={"receipt_footer": "Hai"}, headers=pos.cashier)
    assert cashier.status_code == 403
