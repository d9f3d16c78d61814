"""Receipt numbers: gapless and unique per register and Jakarta day under concurrency; the print views."""

from __future__ import annotations

import re
import threading
from datetime import datetime

from services.pos import checkout
from shared.auth import Principal
from shared.business_time import JAKARTA
from shared.db import new_id

SALES_PER_REGISTER = 12


def test_concurrent_checkouts_on_two_registers_keep_receipt_numbers_gapless_and_unique(pos, token):
    registers = {"R01": pos.register("R01"), "R02": pos.register("R02")}
    cashiers = {
        "R01": token("cashier", user_id="kasir-a", name="Ani"),
        "R02": token("cashier", user_id="kasir-b", name="Bayu"),
    }
    for code, register_id in registers.items():
        pos.open_shift(register_id, headers=cashiers[code])
    barrier = threading.Barrier(8)
    receipts: list[str] = []
    failures: list = []

    def ring_up(code: str, count: int):
        client = pos.app.test_client()
        barrier.wait()
        for _ in range(count):
            response = client.post(
                "/sales",
                headers={**cashiers[code], "Idempotency-Key": f"{code}-{threading.get_ident()}-{_}"},
                json={
                    "register_id": registers[code],
                    "lines": [{"barcode": "8991234500028", "qty": 1}],
                    "payments": [{"method": "cash", "amount": 15_000}],
                },
            )
            if response.status_code == 201:
                receipts.append(response.json["receipt_no"])
            else:
                failures.append(response.json)

    threads = [
        threading.Thread(target=ring_up, args=(code, SALES_PER_REGISTER // 4)) for code in registers for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(receipts) == len(set(receipts)) == 2 * SALES_PER_REGISTER
    today = datetime.now(JAKARTA).strftime("%Y%m%d")
    for code in registers:
        serials = sorted(int(r.rsplit("-", 1)[1]) for r in receipts if r.startswith(f"{code}-{today}-"))
        assert serials == list(range(1, SALES_PER_REGISTER + 1))


def test_qris_confirmations_and_cash_checkouts_at_once_on_one_register_keep_its_serials_gapless(pos):
    register_id = pos.ready()
    pending = [
        pos.sell(register_id, [{"barcode": "8991234500011", "qty": 1}], [{"method": "qris", "amount": 25_000}]).json
        for _ in range(6)
    ]
    barrier = threading.Barrier(3)
    receipts: list[str] = []
    failures: list = []

    def confirm_each():
        client = pos.app.test_client()
        barrier.wait()
        for sale in pending:
            url = f"/sales/{sale['id']}/payments/{sale['payments'][0]['id']}/confirm"
            response = client.post(url, json={}, headers=pos.cashier)
            (receipts if response.status_code == 200 else failures).append(
                response.json.get("receipt_no", response.json)
            )

    def ring_up():
        client = pos.app.test_client()
        barrier.wait()
        for _ in range(6):
            response = client.post(
                "/sales",
                headers={**pos.cashier, "Idempotency-Key": new_id()},
                json={
                    "register_id": register_id,
                    "lines": [{"barcode": "8991234500028", "qty": 1}],
                    "payments": [{"method": "cash", "amount": 15_000}],
                },
            )
            (receipts if response.status_code == 201 else failures).append(
                response.json.get("receipt_no", response.json)
            )

    threads = [
        threading.Thread(target=confirm_each),
        threading.Thread(target=ring_up),
        threading.Thread(target=ring_up),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(int(receipt.rsplit("-", 1)[1]) for receipt in receipts) == list(range(1, 19))


def test_checkouts_with_no_key_lock_their_register_themselves_and_keep_its_serials_gapless(pos):
    """The use case called without an ``Idempotency-Key`` claim (no look-up took the register's lock for it)
    locks the register in a statement of its own, before its read of the last serial."""
    register_id = pos.ready()
    cashier = Principal(user_id="kasir-1", name="Siti", role="cashier")
    body = {
        "register_id": register_id,
        "lines": [{"barcode": "8991234500028", "qty": 1}],
        "payments": [{"method": "cash", "amount": 15_000}],
    }
    barrier = threading.Barrier(3)
    receipts: list[str] = []

    def ring_up():
        barrier.wait()
        for _ in range(6):
            with pos.runtime.transaction() as session:
                view, _ = checkout.checkout(session, pos.settings, cashier, body)
            receipts.append(view["receipt_no"])

    threads = [threading.Thread(target=ring_up) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(int(receipt.rsplit("-", 1)[1]) for receipt in receipts) == list(range(1, 19))


def test_a_pending_sale_takes_no_receipt_number_so_a_void_leaves_no_gap(pos):
    register_id = pos.ready()
    first = pos.cash_sale(register_id)
    pending = pos.sell(
        register_id, [{"barcode": "8991234500011", "qty": 1}], [{"method": "qris", "amount": 25_000}]
    ).json
    assert pending["receipt_no"] is None
    assert (
        pos.client.post(
            f"/sales/{pending['id']}/void", json={"reason": "pembeli batal"}, headers=pos.cashier
        ).status_code
        == 200
    )
    second = pos.cash_sale(register_id)
    assert int(second["receipt_no"][-4:]) == int(first["receipt_no"][-4:]) + 1


def test_the_receipt_print_view_shows_outlet_cashier_lines_totals_payments_and_change(pos):
    register_id = pos.ready()
    sale = pos.sell(
        register_id,
        [{"barcode": "8991234500011", "qty": 2, "discount": 5_000}],
        [{"method": "cash", "amount": 45_000, "tendered": 50_000}],
    ).json
    for width in (58, 80):
        response = pos.client.get(f"/receipts/{sale['receipt_no']}?width={width}", headers=pos.cashier)
        assert response.status_code == 200 and response.mimetype == "text/html"
        html = response.get_data(as_text=True)
        assert f"size: {width}mm" in html
        for expected in (
            "Sentra Oleh-Oleh Kabupaten Bekasi",
            sale["receipt_no"],
            "Siti",
            "R01",
            "Dodol Betawi Ibu Sari 250 g",
            "Rp45.000",
            "Rp50.000",
            "Rp5.000",
            "WIB",
        ):
            assert expected in html, expected
        assert "NPWP" not in html and "PPN" not in html
    assert pos.client.get(f"/receipts/{sale['receipt_no']}?width=72", headers=pos.cashier).status_code == 422
    assert pos.client.get("/receipts/R09-20260101-0001", headers=pos.cashier).status_code == 404


def test_a_ppn_registered_receipt_shows_npwp_tax_base_and_ppn(pos):
    pos.client.put(
        f"/outlets/{pos.settings.outlet_id}/settings",
        json={"ppn_registered": True, "npwp": "0123456789012345", "name": "Sentra Cikarang"},
        headers=pos.manager,
    )
    register_id = pos.ready()
    sale = pos.cash_sale(register_id, qty=4)
    html = pos.client.get(f"/receipts/{sale['receipt_no']}?width=58", headers=pos.cashier).get_data(as_text=True)
    assert "NPWP: 0123456789012345" in html and "Sentra Cikarang" in html
    assert re.search(r'class="tax-base">Rp82\.583<', html) and re.search(r'class="ppn">Rp9\.910<', html)


def test_the_migration_keeps_each_receipt_serial_on_its_sale_and_the_downgrade_gives_the_counters_back(
    make_database_url,
):
    import sqlalchemy as sa
    from alembic import command

    from shared.db import make_engine
    from shared.migrations import alembic_config

    url = make_database_url("pos")
    config = alembic_config("pos", url)
    command.upgrade(config, "0013")
    engine = make_engine(url)
    now = datetime.now(JAKARTA)
    register, shift = "00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000b1"
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO registers (id, outlet_id, code, name, created_at) VALUES (:id, :id, 'R-1', 'Kasir', :now)"
            ),
            {"id": register, "now": now},
        )
        connection.execute(
            sa.text(
                "INSERT INTO shifts (id, outlet_id, register_id, cashier_id, cashier_name, status, opened_at,"
                " opening_float) VALUES (:id, :register, :register, 'kasir', 'Ani', 'open', :now, 0)"
            ),
            {"id": shift, "register": register, "now": now},
        )
        for number, receipt_no in enumerate(["R-1-20261201-0001", "R-1-20261201-0002", None]):
            connection.execute(
                sa.text(
                    "INSERT INTO sales (id, outlet_id, register_id, register_code, shift_id, cashier_id, cashier_name,"
                    " status, receipt_no, business_day, subtotal, sale_discount, discount_total, total, change,"
                    " created_at) VALUES (:id, :register, :register, 'R-1', :shift, 'kasir', 'Ani', :status,"
                    " :receipt_no, :day, 1000, 0, 0, 1000, 0, :now)"
                ),
                {
                    "id": f"00000000-0000-4000-8000-00000000000{number}",
                    "register": register,
                    "shift": shift,
                    "status": "completed" if receipt_no else "pending_payment",
                    "receipt_no": receipt_no,
                    "day": now.date() if receipt_no else None,
                    "now": now,
                },
            )
        connection.execute(
            sa.text("INSERT INTO receipt_counters VALUES (:register, :day, 2)"),
            {"register": register, "day": now.date()},
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        serials = connection.execute(sa.text("SELECT receipt_no, receipt_serial FROM sales ORDER BY id")).all()
        assert not sa.inspect(connection).has_table("receipt_counters")
    assert [tuple(row) for row in serials] == [("R-1-20261201-0001", 1), ("R-1-20261201-0002", 2), (None, None)]
    command.downgrade(config, "0013")
    with engine.connect() as connection:
        counters = connection.execute(sa.text("SELECT register_id, business_day, last_serial FROM receipt_counters"))
        assert [(row[0], str(row[1]), row[2]) for row in counters] == [(register, str(now.date()), 2)]
    engine.dispose()
