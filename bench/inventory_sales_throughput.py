"""How fast inventory applies ``sale.completed`` (FEFO over several lots) when several registers sell the
same products at once, and whether the ledger invariant still holds afterwards.

    .venv/bin/python -m bench.inventory_sales_throughput [--postgres-server URL] [--threads 4] [--sales 400]

By default it uses a fresh SQLite file in a temporary directory; with ``--postgres-server`` (e.g.
``postgresql://postgres@127.0.0.1:5432/test``) it creates a scratch database there and drops it at the end.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from services.inventory import catalogue
from services.inventory.models import messaging
from services.inventory.stock import intakes, queries, sales
from shared import business_time
from shared.config import load_settings
from shared.db import make_engine, make_session_factory, transaction
from shared.events import contract
from shared.migrations import upgrade


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-server", help="admin URL of a PostgreSQL server to make a scratch database on")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--sales", type=int, default=400, help="sales in total, spread over the threads")
    parser.add_argument("--products", type=int, default=3)
    args = parser.parse_args()

    scratch = tempfile.TemporaryDirectory()
    scratch_database = f"sentra_bench_{uuid.uuid4().hex[:10]}"
    if args.postgres_server:
        _admin(args.postgres_server, f'CREATE DATABASE "{scratch_database}"')
        url = args.postgres_server.rsplit("/", 1)[0] + "/" + scratch_database
    else:
        url = f"sqlite:///{scratch.name}/inventory-bench.db"
    upgrade("inventory", url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    outlet = load_settings("inventory").outlet_id
    supplier_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        catalogue.upsert_supplier_replica(
            session, {"supplier_id": supplier_id, "name": "Bench", "status": "active"}, now
        )
        products = [
            catalogue.create_product(
                session,
                {
                    "name": f"Bench {i}",
                    "category": "makanan",
                    "unit": "pcs",
                    "price": 10_000,
                    "supplier_id": supplier_id,
                    "reorder_point": 0,
                },
                "bench",
                outlet,
            )
            for i in range(args.products)
        ]
        today = business_time.today()
        intakes.record_intake(
            session,
            {
                "supplier_id": supplier_id,
                "lines": [
                    {"product_id": p.id, "qty": args.sales, "expiry_date": today + timedelta(days=10 * (lot + 1))}
                    for p in products
                    for lot in range(4)
                ],
            },
            "bench",
            outlet,
            "bench",
        )
    schema = contract("sale.completed").schema()

    def sale(index: int) -> dict:
        lines = [
            {
                "line_id": str(uuid.uuid4()),
                "product_id": p.id,
                "supplier_id": supplier_id,
                "qty": 1 + index % 3,
                "unit_price": 10_000,
                "line_total": 10_000 * (1 + index % 3),
            }
            for p in products
        ]
        return schema.load(
            {
                "sale_id": str(uuid.uuid4()),
                "receipt_no": f"B-{index}",
                "outlet_id": outlet,
                "register_id": str(uuid.uuid4()),
                "completed_at": now.isoformat(),
                "total": sum(line["line_total"] for line in lines),
                "lines": lines,
            }
        )

    per_thread = args.sales // args.threads
    payloads = [[sale(t * per_thread + i) for i in range(per_thread)] for t in range(args.threads)]
    barrier = threading.Barrier(args.threads)

    def register(batch):
        barrier.wait()
        for payload in batch:
            with transaction(sessions) as session:
                sales.apply_sale(session, payload)

    threads = [threading.Thread(target=register, args=(batch,)) for batch in payloads]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with sessions() as session:
        invariant = queries.check_invariant(session)
        outbox_rows = session.execute(messaging.outbox.select()).all()
    applied = per_thread * args.threads
    print(
        json.dumps(
            {
                "backend": engine.dialect.name,
                "threads": args.threads,
                "sales": applied,
                "lines_per_sale": args.products,
                "seconds": round(elapsed, 3),
                "sales_per_second": round(applied / elapsed, 1),
                "invariant_ok": invariant["ok"],
                "outbox_rows": len(outbox_rows),
            }
        )
    )
    engine.dispose()
    scratch.cleanup()
    if args.postgres_server:
        _admin(args.postgres_server, f'DROP DATABASE IF EXISTS "{scratch_database}" WITH (FORCE)')


def _admin(server_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(statement)


if __name__ == "__main__":
    main()
