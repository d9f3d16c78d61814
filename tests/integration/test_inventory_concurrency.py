"""Concurrent sales of the same product from several registers end with the exact on-hand (no lost
updates), on SQLite and PostgreSQL, with real threads each running the consumer in its own transaction."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import select

from services.inventory.models import Lot, ProductStock
from tests.inventory_support import days_from_today, sale_payload

REGISTERS = 6
SALES_PER_REGISTER = 8


def _run_concurrently(target, count):
    start = threading.Barrier(count)
    errors = []

    def run(index):
        try:
            start.wait()
            target(index)
        except Exception as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)


def test_concurrent_sales_of_one_product_end_with_the_exact_on_hand(inventory):
    supplier_id = inventory.supplier()
    dodol = inventory.product(supplier_id, name="Dodol Betawi")
    kerupuk = inventory.product(supplier_id, name="Kerupuk Kulit", price=15_000)
    inventory.intake(
        supplier_id,
        [
            {"product_id": dodol["id"], "qty": 40, "lot_code": "A", "expiry_date": days_from_today(20)},
            {"product_id": dodol["id"], "qty": 50, "lot_code": "B", "expiry_date": days_from_today(50)},
            {"product_id": kerupuk["id"], "qty": 100, "lot_code": "K", "expiry_date": days_from_today(50)},
        ],
    )

    def register(index):
        for n in range(SALES_PER_REGISTER):
            # both products in every sale, listed in opposite orders by alternate registers
            lines = [(dodol, 1 + (n % 2)), (kerupuk, 1)]
            inventory.sale(lines if index % 2 else list(reversed(lines)))

    _run_concurrently(register, REGISTERS)

    sold_dodol = REGISTERS * sum(1 + (n % 2) for n in range(SALES_PER_REGISTER))  # 72: all of A, part of B
    sold_kerupuk = REGISTERS * SALES_PER_REGISTER
    assert inventory.stock(dodol)["on_hand"] == 90 - sold_dodol
    assert inventory.stock(kerupuk)["on_hand"] == 100 - sold_kerupuk
    lots = {lot["lot_code"]: lot["on_hand"] for lot in inventory.stock(dodol)["lots"]}
    assert lots == {"A": 0, "B": 90 - sold_dodol}
    inventory.assert_invariant()


def test_concurrent_sales_beyond_stock_all_apply_and_leave_the_exact_negative_on_hand(inventory):
    supplier_id = inventory.supplier()
    sambal = inventory.product(supplier_id, name="Sambal Roa")
    inventory.intake(supplier_id, [{"product_id": sambal["id"], "qty": 10, "expiry_date": days_from_today(30)}])

    _run_concurrently(lambda index: [inventory.sale([(sambal, 1)]) for _ in range(4)], REGISTERS)

    stock = inventory.stock(sambal)
    assert stock["on_hand"] == 10 - REGISTERS * 4 and stock["flagged_for_count"] is True
    assert [lot["on_hand"] for lot in stock["lots"]] == [0]
    assert len(inventory.get("/alerts?kind=negative_on_hand")) == 1
    inventory.assert_invariant()


def test_the_same_sale_delivered_concurrently_by_several_workers_counts_once(inventory):
    supplier_id = inventory.supplier()
    kopi = inventory.product(supplier_id, name="Kopi Bekasi", category="minuman")
    inventory.intake(supplier_id, [{"product_id": kopi["id"], "qty": 20, "expiry_date": days_from_today(90)}])
    from shared.events import build_envelope

    envelope = build_envelope("sale.completed", "pos", sale_payload([(kopi, 3)], sale_id=str(uuid.uuid4())))

    _run_concurrently(lambda index: inventory.deliver(envelope), 5)

    assert inventory.stock(kopi)["on_hand"] == 17
    with inventory.runtime.session_factory() as session:
        assert session.scalar(select(ProductStock.unallocated).where(ProductStock.product_id == kopi["id"])) == 0
        assert session.scalar(select(Lot.on_hand).where(Lot.product_id == kopi["id"])) == 17
    inventory.assert_invariant()


def test_the_same_sale_under_several_event_ids_delivered_concurrently_counts_once(inventory):
    """Each copy claims its own event id; the sale's movements, read once the stock rows are locked, are what
    stops the copies after the first."""
    from shared.events import build_envelope

    supplier_id = inventory.supplier()
    kopi = inventory.product(supplier_id, name="Kopi Bekasi", category="minuman")
    inventory.intake(supplier_id, [{"product_id": kopi["id"], "qty": 20, "expiry_date": days_from_today(90)}])
    sale = sale_payload([(kopi, 3)], sale_id=str(uuid.uuid4()))
    copies = [build_envelope("sale.completed", "pos", sale) for _ in range(5)]

    _run_concurrently(lambda index: inventory.deliver(copies[index]), len(copies))

    assert inventory.stock(kopi)["on_hand"] == 17
    inventory.assert_invariant()


def _sell_in_a_process(database_url: str, payloads: list[dict]) -> None:
    """One register as its own OS process: its own engine and transactions on the same database."""
    from services.inventory.stock import sales
    from shared.db import make_engine, make_session_factory, transaction
    from shared.events import contract

    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    schema = contract("sale.completed").schema()
    for payload in payloads:
        with transaction(sessions) as session:
            sales.apply_sale(session, schema.load(payload))
    engine.dispose()


def test_sales_from_several_processes_end_with_the_exact_on_hand(inventory):
    import multiprocessing

    supplier_id = inventory.supplier()
    keripik = inventory.product(supplier_id, name="Keripik Singkong")
    inventory.intake(
        supplier_id,
        [
            {"product_id": keripik["id"], "qty": 10, "lot_code": "A", "expiry_date": days_from_today(15)},
            {"product_id": keripik["id"], "qty": 50, "lot_code": "B", "expiry_date": days_from_today(45)},
        ],
    )
    processes_count, sales_each = 4, 6
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(
            target=_sell_in_a_process,
            args=(inventory.runtime.settings.database_url, [sale_payload([(keripik, 2)]) for _ in range(sales_each)]),
        )
        for _ in range(processes_count)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [process.exitcode for process in processes] == [0] * processes_count

    stock = inventory.stock(keripik)
    assert stock["on_hand"] == 60 - processes_count * sales_each * 2
    assert {lot["lot_code"]: lot["on_hand"] for lot in stock["lots"]} == {"A": 0, "B": 12}
    inventory.assert_invariant()
