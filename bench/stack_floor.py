"""The ceiling of the fixed stack on this machine, with no business work at all: how many "checkout cycles" a
bare Flask app under gunicorn can answer, and how many empty Celery tasks a worker can take off Redis.

Usage::

    .venv/bin/python -m bench.stack_floor [--seconds 15] [--clients 8] [--gunicorn-workers 2 --threads 4]
                                          [--tasks 6000] [--worker-threads 2]
                                          [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

HTTP: gunicorn (gthread, the POS benchmark's 2 workers x 4 threads) serves :data:`app`, a Flask app whose two
routes do nothing but answer JSON; ``--clients`` processes with a keep-alive
:class:`bench.http_client.JsonClient` each run the POS
benchmark's cycle against it — four ``GET`` (the barcode lookups of a 3–5 line basket) and one ``POST`` with a
basket-sized JSON body (the checkout). Stored checkout: the same app's ``POST /sales/stored`` does what a checkout
must at the least — one transaction on a fresh PostgreSQL database that inserts the sale, its lines, its payment
and one outbox row with SQLAlchemy Core (no ORM, no validation, no idempotency record) — and the clients post
one basket per cycle, as the browser counter does; ``bench/pos_checkout.py --pos-only`` is compared with it
(issue 13: the POS checkout alone should reach at least half of this).

Celery: :func:`shared.celery_factory.make_celery` (our broker settings:
acks late, prefetch 1) with one task that does nothing; ``--tasks`` messages are published, then one worker
(threads pool) drains them. A completed sale costs the consumers at most three deliveries (``sale.completed`` to
inventory and to suppliers, one ``stock.moved`` carrying all its lines to suppliers), so the empty-task rate / 3
is the most sales per second the consumers could follow with zero work per event (batches deliver several).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import requests
from flask import Flask, jsonify, request
from sqlalchemy import BigInteger, Column, Engine, Integer, MetaData, String, Table, Text, create_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_client import JsonClient  # noqa: E402
from bench.pos_checkout import cpu_seconds, machine_busy_seconds  # noqa: E402
from shared.celery_factory import make_celery  # noqa: E402
from tests.support import PostgresDatabases, RedisServer, eventually, free_port  # noqa: E402

#: The HTTP floor: the least a Flask route can do.
app = Flask(__name__)

#: The Celery floor (the broker URL is set from the environment by the worker command line below).
celery_app = make_celery("floor", "redis://127.0.0.1:6379/0")

BASKET = {
    "register_id": "00000000-0000-0000-0000-000000000001",
    "lines": [{"barcode": f"899000000{n:04d}", "qty": 2} for n in range(4)],
    "payments": [{"method": "cash", "amount": 100_000, "tendered": 100_000}],
}


@app.get("/catalogue/barcode/<code>")
def lookup(code: str):
    return jsonify(barcode=code, price=25_000, name="Produk")


@app.post("/sales")
def sale():
    return jsonify(id="sale", lines=request.get_json()["lines"]), 201


#: The stored checkout's tables: the least a sale needs written.
floor_tables = MetaData()
sales = Table(
    "sales",
    floor_tables,
    Column("id", String(36), primary_key=True),
    Column("register_id", String(36), nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("completed_at", String(40), nullable=False),
)
sale_lines = Table(
    "sale_lines",
    floor_tables,
    Column("id", String(36), primary_key=True),
    Column("sale_id", String(36), nullable=False),
    Column("barcode", String(14), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("price", BigInteger, nullable=False),
)
payments = Table(
    "payments",
    floor_tables,
    Column("id", String(36), primary_key=True),
    Column("sale_id", String(36), nullable=False),
    Column("method", String(16), nullable=False),
    Column("amount", BigInteger, nullable=False),
)
outbox = Table(
    "outbox",
    floor_tables,
    Column("id", String(36), primary_key=True),
    Column("event_type", String(64), nullable=False),
    Column("envelope", Text, nullable=False),
    Column("status", String(16), nullable=False),
)
_engine: Engine | None = None


def floor_engine() -> Engine:
    """The stored checkout's database (``SENTRA_FLOOR_DATABASE_URL``), one pool per gunicorn worker."""
    global _engine
    if _engine is None:
        _engine = create_engine(os.environ["SENTRA_FLOOR_DATABASE_URL"], pool_size=8)
    return _engine


@app.post("/sales/stored")
def stored_sale():
    """The sale, its lines, its payment and its outbox row in one transaction, Core inserts only."""
    basket = request.get_json()
    sale_id, now = str(uuid.uuid4()), datetime.now(UTC).isoformat()
    lines = [
        {"id": str(uuid.uuid4()), "sale_id": sale_id, "barcode": line["barcode"], "qty": line["qty"], "price": 25_000}
        for line in basket["lines"]
    ]
    total = sum(line["qty"] * line["price"] for line in lines)
    with floor_engine().begin() as conn:
        conn.execute(
            sales.insert(), {"id": sale_id, "register_id": basket["register_id"], "total": total, "completed_at": now}
        )
        conn.execute(sale_lines.insert(), lines)
        conn.execute(
            payments.insert(),
            [
                {"id": str(uuid.uuid4()), "sale_id": sale_id, "method": p["method"], "amount": p["amount"]}
                for p in basket["payments"]
            ],
        )
        envelope = json.dumps({"type": "sale.completed", "payload": {"sale_id": sale_id, "lines": lines}})
        conn.execute(
            outbox.insert(),
            {"id": str(uuid.uuid4()), "event_type": "sale.completed", "envelope": envelope, "status": "pending"},
        )
    return jsonify(id=sale_id, total=total, lines=lines), 201


@celery_app.task(name="floor.nothing", shared=False)
def nothing(envelope: dict) -> None:
    """An event consumer that does no work."""


def _client(base_url: str, deadline: float, results, stored: bool) -> None:
    http, cycles = JsonClient(base_url), 0
    while time.monotonic() < deadline:
        if stored:
            http.post("/sales/stored", BASKET).json()
        else:
            for _ in range(4):
                http.get("/catalogue/barcode/8990000000001").json()
            http.post("/sales", BASKET).json()
        cycles += 1
    results.put(cycles)


def http_floor(args, database_url: str | None = None) -> float:
    """Empty checkout cycles per second, or with ``database_url`` stored checkouts per second (printed and
    returned)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.gunicorn_workers),
            "--threads",
            str(args.threads),
            "--worker-class",
            "gthread",
            "bench.stack_floor:app",
        ],
        cwd=ROOT,
        env={**os.environ, "SENTRA_FLOOR_DATABASE_URL": database_url or ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        eventually(
            lambda: requests.get(f"{base_url}/catalogue/barcode/1", timeout=1).ok, timeout=30, message="gunicorn up"
        )
        results = multiprocessing.Queue()
        server_cpu, busy = cpu_seconds(server.pid), machine_busy_seconds()
        deadline = time.monotonic() + args.seconds
        clients = [
            multiprocessing.Process(target=_client, args=(base_url, deadline, results, database_url is not None))
            for _ in range(args.clients)
        ]
        for client in clients:
            client.start()
        cycles = sum(results.get() for _ in clients)
        for client in clients:
            client.join()
        server_cpu, busy = cpu_seconds(server.pid) - server_cpu, machine_busy_seconds() - busy
    finally:
        server.terminate()
        server.wait(10)
    if database_url:
        print(
            f"Stored floor {cycles / args.seconds:7.1f} checkouts/s (one POST each: sale, lines, payment and outbox "
            f"row in one transaction, Core inserts); gunicorn {server_cpu / args.seconds:.2f} cores, "
            f"whole machine {busy / args.seconds:.2f} cores"
        )
    else:
        print(
            f"HTTP floor   {cycles / args.seconds:7.1f} empty checkout cycles/s (4 GET + 1 POST each, "
            f"{5 * cycles / args.seconds:.0f} requests/s); gunicorn {server_cpu / args.seconds:.2f} cores, "
            f"whole machine {busy / args.seconds:.2f} cores"
        )
    return cycles / args.seconds


def stored_floor(args) -> float:
    """:func:`http_floor` with the stored checkout, on a fresh PostgreSQL database dropped afterwards."""
    databases = PostgresDatabases(args.admin_url)
    try:
        url = databases.create(for_run=True).replace("postgresql://", "postgresql+psycopg://")
        engine = create_engine(url)
        floor_tables.create_all(engine)
        engine.dispose()
        return http_floor(args, url)
    finally:
        databases.drop_all()


def celery_floor(args) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="sentra-floor-"))
    redis_server = RedisServer(scratch / "redis")
    redis_server.start()
    try:
        publisher = make_celery("floor", redis_server.url)
        started = time.perf_counter()
        for n in range(args.tasks):
            publisher.send_task("floor.nothing", args=[{"event_id": str(n), **BASKET}], queue="floor")
        publish_rate = args.tasks / (time.perf_counter() - started)
        client = redis_server.client()
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "bench.stack_floor:celery_app",
                "-b",
                redis_server.url,
                "worker",
                "-Q",
                "floor",
                "--pool",
                "threads",
                "--concurrency",
                str(args.worker_threads),
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            eventually(lambda: client.llen("floor") < args.tasks, timeout=60, interval=0.005, message="worker started")
            started, worker_cpu = time.perf_counter(), cpu_seconds(worker.pid)
            eventually(lambda: client.llen("floor") == 0, timeout=600, interval=0.05, message="queue drained")
            elapsed, worker_cpu = time.perf_counter() - started, cpu_seconds(worker.pid) - worker_cpu
        finally:
            worker.terminate()
            worker.wait(10)
    finally:
        redis_server.stop()
    rate = args.tasks / elapsed
    print(
        f"Celery floor {rate:7.1f} empty tasks/s consumed by one worker ({args.worker_threads} threads, "
        f"{worker_cpu / elapsed:.2f} cores; ≈ {rate / 3:.0f} sales/s at 3 deliveries a sale); "
        f"publishing {publish_rate:.0f} tasks/s from one thread"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--tasks", type=int, default=6000)
    parser.add_argument("--worker-threads", type=int, default=2)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("SENTRA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    http_floor(args)
    stored_floor(args)
    celery_floor(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
