"""The register's ESC/POS network printer: a manager sets it through the API, the receipt and the Z report print
on it over TCP, a cash sale kicks the drawer, and an unreachable printer is a 503 problem with a code. The
"printer" is a real TCP listener on a free port; what arrived is decoded command by command."""

from __future__ import annotations

import socket
import time

import pytest

from tests.integration.escpos_listener import DRAWER_KICK_PIN_2, ESC, FULL_CUT, FakePrinter


@pytest.fixture
def printer():
    fake = FakePrinter()
    yield fake
    fake.close()


def set_printer(pos, register_id, **body):
    return pos.client.put(f"/registers/{register_id}/printer", json=body, headers=pos.manager)


def test_a_manager_sets_the_registers_printer_and_a_cashier_reads_it(pos):
    register_id = pos.register()
    assert pos.client.get(f"/registers/{register_id}/printer", headers=pos.cashier).json == {
        "register_id": register_id,
        "enabled": False,
        "host": None,
        "port": None,
        "paper_width": None,
        "open_drawer": True,
    }
    assert set_printer(pos, register_id, host="192.168.1.50").json == {
        "register_id": register_id,
        "enabled": True,
        "host": "192.168.1.50",
        "port": 9100,
        "paper_width": 80,
        "open_drawer": True,
    }
    changed = set_printer(pos, register_id, host="printer-kasa1.local", port=9101, paper_width=58, enabled=False)
    assert changed.status_code == 200 and changed.json["paper_width"] == 58 and changed.json["enabled"] is False
    assert pos.client.get(f"/registers/{register_id}/printer", headers=pos.cashier).json == changed.json
    refused = pos.client.put(f"/registers/{register_id}/printer", json={"host": "10.0.0.9"}, headers=pos.cashier)
    assert refused.status_code == 403
    bad = set_printer(pos, register_id, host="a b", port=0, paper_width=72, open_drawer="yes")
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"host", "port", "paper_width", "open_drawer"}
    unknown = "00000000-0000-4000-8000-000000000000"
    assert set_printer(pos, unknown, host="10.0.0.9").status_code == 404


def test_a_cash_receipt_prints_with_total_cut_and_drawer_kick_on_a_58_mm_printer(pos, printer):
    register_id = pos.ready()
    set_printer(pos, register_id, host="127.0.0.1", port=printer.port, paper_width=58)
    sale = pos.sell(
        register_id,
        [{"barcode": "8991234500011", "qty": 2, "discount": 5_000}],
        [{"method": "cash", "amount": 45_000, "tendered": 50_000}],
    ).json

    printed = pos.client.post(f"/receipts/{sale['receipt_no']}/print", json={}, headers=pos.cashier)

    assert printed.status_code == 200 and printed.json == {
        "printer": f"127.0.0.1:{printer.port}",
        "drawer_opened": True,
    }
    lines, commands = printer.job()
    assert commands[0] == (ESC, ord("@"))
    assert all(len(line) <= 32 for line in lines)
    assert "Sentra Oleh-Oleh Kabupaten" in lines[0]
    assert any(line.startswith("No") and line.endswith(sale["receipt_no"]) for line in lines)
    assert any(line.startswith("TOTAL") and line.endswith("Rp45.000") for line in lines)
    assert any(line.startswith("Tunai") and line.endswith("Rp50.000") for line in lines)
    assert any(line.startswith("Kembali") and line.endswith("Rp5.000") for line in lines)
    assert "Dodol Betawi Ibu Sari 250 g" in lines
    assert not any("PPN" in line or "NPWP" in line for line in lines)
    assert commands.index(FULL_CUT) < len(commands) - 1
    assert commands[-1] == (*DRAWER_KICK_PIN_2, 50, 50)

    reprint = pos.client.post(f"/receipts/{sale['receipt_no']}/print", json={"reprint": True}, headers=pos.cashier)
    assert reprint.status_code == 200 and reprint.json["drawer_opened"] is False
    _, commands = printer.job()
    assert commands[-1] == FULL_CUT and not any(c[:3] == DRAWER_KICK_PIN_2 for c in commands)

    # a register whose drawer does not hang off the printer: the cash receipt prints without the kick
    set_printer(pos, register_id, host="127.0.0.1", port=printer.port, paper_width=58, open_drawer=False)
    again = pos.cash_sale(register_id)
    printed = pos.client.post(f"/receipts/{again['receipt_no']}/print", json={}, headers=pos.cashier)
    assert printed.status_code == 200 and printed.json["drawer_opened"] is False
    _, commands = printer.job()
    assert commands[-1] == FULL_CUT and not any(c[:3] == DRAWER_KICK_PIN_2 for c in commands)


def test_a_ppn_registered_card_receipt_prints_the_tax_lines_and_keeps_the_drawer_shut(pos, printer):
    pos.client.put(
        f"/outlets/{pos.settings.outlet_id}/settings",
        json={"ppn_registered": True, "npwp": "0123456789012345"},
        headers=pos.manager,
    )
    register_id = pos.ready()
    set_printer(pos, register_id, host="127.0.0.1", port=printer.port)
    sale = pos.sell(
        register_id,
        [{"barcode": "8991234500011", "qty": 4}],
        [{"method": "card", "amount": 100_000, "approval_code": "EDC123"}],
    ).json

    printed = pos.client.post(f"/receipts/{sale['receipt_no']}/print", json={}, headers=pos.cashier)

    assert printed.status_code == 200 and printed.json["drawer_opened"] is False
    lines, commands = printer.job()
    assert all(len(line) <= 48 for line in lines)
    assert "NPWP: 0123456789012345" in [line.strip() for line in lines]
    assert any(line.startswith("DPP") and line.endswith("Rp82.583") for line in lines)
    assert any(line.startswith("PPN 12%") and line.endswith("Rp9.910") for line in lines)
    assert any(line.startswith("Kartu (EDC123)") and line.endswith("Rp100.000") for line in lines)
    assert commands[-1] == FULL_CUT


def test_the_z_report_prints_on_the_registers_printer(pos, printer):
    register_id = pos.ready()
    set_printer(pos, register_id, host="127.0.0.1", port=printer.port)
    pos.cash_sale(register_id)
    shift_id = pos.client.get(f"/shifts/current?register_id={register_id}", headers=pos.cashier).json["id"]
    closed = pos.client.post(f"/shifts/{shift_id}/close", json={"counted_cash": 524_000}, headers=pos.cashier)
    assert closed.status_code == 200

    printed = pos.client.post(f"/shifts/{shift_id}/z-report/print", headers=pos.cashier)

    assert printed.status_code == 200 and printed.json["drawer_opened"] is False
    lines, commands = printer.job()
    assert "LAPORAN Z - Kasa R01" in [line.strip() for line in lines]
    assert any(line.startswith("Penjualan bersih") and line.endswith("Rp25.000") for line in lines)
    assert any(line.startswith("Selisih") and line.endswith("-Rp1.000") for line in lines)
    assert commands[-1] == FULL_CUT


def test_without_an_enabled_printer_or_with_one_unreachable_printing_is_a_problem_with_a_code(pos, printer):
    """No printer (or a disabled one) is 409 ``no_printer``; a refused connection is 503 ``printer_unreachable``."""
    register_id = pos.ready()
    sale = pos.cash_sale(register_id)
    url = f"/receipts/{sale['receipt_no']}/print"

    none = pos.client.post(url, json={}, headers=pos.cashier)
    assert none.status_code == 409 and none.json["code"] == "no_printer"
    set_printer(pos, register_id, host="127.0.0.1", port=printer.port, enabled=False)
    assert pos.client.post(url, json={}, headers=pos.cashier).json["code"] == "no_printer"

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        nobody_listens = unused.getsockname()[1]
    set_printer(pos, register_id, host="127.0.0.1", port=nobody_listens)
    refused = pos.client.post(url, json={}, headers=pos.cashier)
    assert refused.status_code == 503 and refused.json["code"] == "printer_unreachable"
    assert pos.client.post("/receipts/R09-20260101-0001/print", json={}, headers=pos.cashier).status_code == 404


def test_a_printer_that_does_not_answer_times_out_within_three_seconds(pos):
    """A listener whose accept queue is full (backlog 0, one connection waiting) drops further connection
    attempts unanswered, as a printer that is switched off behind its switch does."""
    register_id = pos.ready()
    sale = pos.cash_sale(register_id)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(0)
        filler = socket.create_connection(silent.getsockname(), timeout=1)
        set_printer(pos, register_id, host="127.0.0.1", port=silent.getsockname()[1])
        started = time.monotonic()
        answer = pos.client.post(f"/receipts/{sale['receipt_no']}/print", json={}, headers=pos.cashier)
        elapsed = time.monotonic() - started
        filler.close()
    assert answer.status_code == 503 and answer.json["code"] == "printer_timeout"
    assert elapsed < 4
