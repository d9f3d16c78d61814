"""In-process cost of the POS hot paths on PostgreSQL (no HTTP server, no network): the figures that guide the
cheap speed-ups recorded in ``bench/README.md``.

Usage::

    .venv/bin/python bench/pos_profile.py [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
                                          [--lookups 2000] [--checkouts 300] [--profile lookup|checkout]
                                          [--counter-body] [--show-sql] [--relay-wake 20]

Makes a fresh migrated POS database with a 200-product catalogue (through the real ``product.upserted``
handler), one register and open shift, then times ``GET /catalogue/barcode/<code>`` and ``POST /sales``
through the Flask test client (CPU time per request and SQL statements per request). ``--profile`` prints the
top of a cProfile of that path; ``--counter-body`` checks out with the browser counter's body (its own sale id,
lines by product id with the prices it charged, ``priced_at``) instead of lines by barcode. ``--relay-wake N``
holds the outbox relay back during the requests, then publishes the checkouts' outbox rows (``sale.completed`` to
inventory and to suppliers), handed over in memory, the way the relay thread does, ``N`` rows a wake, and times the
relay's CPU per row.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import random
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import event  # noqa: E402

from shared.auth import Principal, issue_access_token  # noqa: E402
from shared.config import load_settings  # noqa: E402
from shared.db import make_engine, make_session_factory, transaction  # noqa: E402
from shared.events import build_envelope, load_event  # noqa: E402
from shared.migrations import upgrade  # noqa: E402
from tests.support import PostgresDatabases, RedisServer  # noqa: E402

SECRET = "bench-secret-for-sentra-pos-0123456789"
#: The bench stands in for the gateway: its access tokens last the whole run.
RUN = timedelta(hours=1)


def seed(database_url: str) -> list[tuple[str, int, str]]:
    from services.pos import catalogue

    engine = make_engine(database_url)
    products = []
    with transaction(make_session_factory(engine)) as session:
        for index in range(200):
            barcode, price = f"899{index:010d}", random.choice([8_000, 12_500, 25_000, 65_000])
            product_id = str(uuid.uuid4())
            meta, payload = load_event(
                build_envelope(
                    "product.upserted",
                    "bench",
                    {
                        "product_id": product_id,
                        "sku": f"SKU-{index:04d}",
                        "barcode": barcode,
                        "name": f"Produk {index}",
                        "price": price,
                        "supplier_id": str(uuid.UUID(int=index % 25 + 1)),
                        "category": "kerajinan",
                        "active": True,
                        "revision": 1,
                    },
                )
            )
            catalogue.apply_product_upserted(session, payload, meta)
            products.append((barcode, price, product_id))
    engine.dispose()
    return products


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("SENTRA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--checkouts", type=int, default=300)
    parser.add_argument("--profile", choices=["lookup", "checkout"])
    parser.add_argument("--show-sql", action="store_true", help="print the statements of one request of each kind")
    parser.add_argument(
        "--counter-body",
        action="store_true",
        help="check out with the browser counter's body (its sale id and prices, lines by product id, priced_at) "
        "instead of lines by barcode",
    )
    parser.add_argument(
        "--relay-wake",
        type=int,
        default=0,
        help="hold the outbox relay back during the requests, then time publishing their rows, this many a wake",
    )
    args = parser.parse_args()
    if args.relay_wake:
        from shared.messaging import OutboxRelay

        def hold(relay: OutboxRelay, outgoing) -> None:
            relay._handed_over.extend(outgoing)  # no thread woken: the rows wait for the timing below

        OutboxRelay.hand_over = hold  # type: ignore[method-assign]
    databases = PostgresDatabases(args.admin_url)
    redis_server = RedisServer(Path(tempfile.mkdtemp(prefix="sentra-profile-")))
    try:
        redis_server.start()
        url = databases.create()
        upgrade("pos", url)
        products = seed(url)
        from services.pos import create_app

        settings = replace(
            load_settings("pos"),
            database_url=url,
            redis_url=redis_server.url,
            jwt_secret=SECRET,
            qris_callback_secret=SECRET,
        )
        app = create_app(settings)

        from shared.runtime import runtime_of

        runtime = runtime_of(app)
        logging.getLogger().setLevel(logging.WARNING)
        statements = [0, 0, 0]  # all, in the request thread, commits in the request thread
        shown: list[str] = []
        request_thread = threading.main_thread()

        def counted(run):
            """psycopg's ``run`` (``Cursor.execute`` or ``executemany``), counting its statements: those SQLAlchemy
            runs and those the hot paths run on the driver itself (``shared.db.execute_on_driver``)."""

            def counting(cursor, statement, *args, **kwargs):
                statements[0] += 1
                statements[1] += threading.current_thread() is request_thread
                shown.append(" ".join(str(statement).split())[:150])
                return run(cursor, statement, *args, **kwargs)

            return counting

        def count_commit(conn):
            statements[2] += threading.current_thread() is request_thread

        psycopg.Cursor.execute = counted(psycopg.Cursor.execute)
        psycopg.Cursor.executemany = counted(psycopg.Cursor.executemany)
        event.listen(runtime.engine, "commit", count_commit)
        client = app.test_client()
        manager = {"Authorization": "Bearer " + issue_access_token(SECRET, Principal("m", "Manajer", "manager"), RUN)}
        cashier = {"Authorization": "Bearer " + issue_access_token(SECRET, Principal("c", "Kasir", "cashier"), RUN)}
        register = client.post("/registers", json={"code": "R01", "name": "Kasa"}, headers=manager).json
        assert (
            client.post(
                "/shifts", json={"register_id": register["id"], "opening_float": 0}, headers=cashier
            ).status_code
            == 201
        )

        priced_at = datetime.now(UTC).isoformat()  # the counter's catalogue: current since the run started

        def lookup():
            barcode, _, _ = random.choice(products)
            response = client.get(f"/catalogue/barcode/{barcode}", headers=cashier)
            assert response.status_code == 200, response.data

        def checkout():
            basket = random.sample(products, 4)
            total = sum(price for _, price, _ in basket)
            if args.counter_body:  # the browser counter's body: its own sale id and prices, by product id
                body = {
                    "sale_id": str(uuid.uuid4()),
                    "register_id": register["id"],
                    "lines": [
                        {"product_id": p, "qty": 1, "discount": 0, "unit_price": price} for _, price, p in basket
                    ],
                    "discount": 0,
                    "payments": [{"method": "cash", "amount": total, "tendered": total}],
                    "priced_at": priced_at,
                }
            else:
                body = {
                    "register_id": register["id"],
                    "lines": [{"barcode": b, "qty": 1} for b, _, _ in basket],
                    "payments": [{"method": "card", "amount": total, "approval_code": "123456"}],
                }
            response = client.post(
                "/sales",
                headers={**cashier, "Idempotency-Key": str(uuid.uuid4())},
                json=body,
            )
            assert response.status_code == 201, response.data

        for name, action, count in (("lookup", lookup, args.lookups), ("checkout", checkout, args.checkouts)):
            for _ in range(20):
                action()
            if args.show_sql:
                shown.clear()
                logging.getLogger("sqlalchemy.engine.Engine").setLevel(logging.INFO)  # shows "[cached since ...]"
                action()
                logging.getLogger("sqlalchemy.engine.Engine").setLevel(logging.WARNING)
                print(f"-- one {name}:", *shown, sep="\n   ")
            profiler = cProfile.Profile(time.thread_time) if args.profile == name else None
            statements[:] = [0, 0, 0]
            cpu, wall, own = time.process_time(), time.perf_counter(), time.thread_time()
            if profiler:
                profiler.enable()
            for _ in range(count):
                action()
            if profiler:
                profiler.disable()
            cpu, wall, own = time.process_time() - cpu, time.perf_counter() - wall, time.thread_time() - own
            print(
                f"{name:<9} {count} requests: {1000 * wall / count:.2f} ms wall, {1000 * cpu / count:.2f} ms CPU "
                f"(process; {1000 * own / count:.2f} ms in the request thread), "
                f"{statements[0] / count:.1f} SQL statements per request ({statements[1] / count:.1f} in the request "
                f"thread, the rest the outbox relay's), {statements[2] / count:.1f} commits in the request thread"
            )
            if profiler:
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(int(os.environ.get("PROFILE_ROWS", "45")))
        if args.relay_wake and runtime.relay is not None:
            runtime.relay.batch_size = args.relay_wake
            own = time.thread_time()
            published = len(runtime.relay._handed_over)
            runtime.relay._publish_handed_over()
            own = time.thread_time() - own
            print(
                f"relay     {published} outbox rows published {args.relay_wake} a wake: "
                f"{1000 * own / max(published, 1):.3f} ms CPU per row"
            )
        return 0
    finally:
        redis_server.stop()
        databases.drop_all()


if __name__ == "__main__":
    sys.exit(main())
