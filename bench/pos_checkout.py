"""Checkout load on the real POS stack on PostgreSQL, with pgbench on the same server for comparison.

Usage::

    .venv/bin/python bench/pos_checkout.py [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
                                           [--registers 8] [--seconds 20] [--gunicorn-workers 2] [--threads 4]
                                           [--rate CHECKOUTS_PER_SECOND] [--consumer-threads 2] [--pos-only]
                                           [--lookup-per-line] [--delta-every 15] [--lookup-rate 5]
                                           [--payments counter|cash] [--floor]

What it does: makes fresh PostgreSQL databases for pos, inventory and suppliers and applies their migrations;
seeds 25 suppliers (``registry.register_supplier`` in suppliers), 200 products and an intake of 100,000 units of
each (``catalogue.create_product`` / ``intakes.record_intake`` in inventory), and delivers the resulting
``supplier.registered`` and ``product.upserted`` events through the real consumers' handlers (POS catalogue,
inventory's supplier replica, suppliers' product replica). It starts a private ``redis-server``, the POS web app
under gunicorn, the POS Celery worker with beat (the outbox sweep) and the inventory and suppliers workers
(``celery -A services.<name>.worker worker -Q <name>``). It opens one register and shift per simulated counter and
lets each counter ring up 3–5 line baskets for ``--seconds`` the way the browser counter does (catalogue kept
locally, loaded through the delta feed and refreshed every ``--delta-every`` s; one ``POST /sales`` per sale;
``--lookup-per-line`` is the earlier shape with a barcode lookup per line), while an integration client looks
barcodes up at ``--lookup-rate`` per second. Payments are mixed: cash 50 %, card 25 %, QRIS 25 % confirmed by
the cashier (``--payments cash``: one cash payment a sale, the shape of the stored floor's checkout, for
``--pos-only --floor``, which runs ``bench/stack_floor.py``'s stored floor before and after the load and prints
the POS's share of their mean: the floor moves by a fifth from one run to the next). After the load it waits
until every completed sale reached inventory and suppliers, then runs ``pgbench`` (TPC-B-like, 8 clients) on a
scratch database of the same server and prints:

- checkouts per second, checkout latency p50/p95/p99 (and the p99 of each tenth of the run), barcode lookup p99,
  catalogue delta p99, QRIS confirm p99;
- outbox lag p99 (sale committed → its events handed to Redis by the relay);
- propagation lag p50/p99 from each sale's ``completed_at`` to its inventory ``sale`` movements
  (``recorded_at``) and to its suppliers journal entry (``posted_at``), read from their databases, with the p50
  of each tenth of the sales (whether the lag grows through the run), and whether every sale reached both
  exactly once (stock taken = units sold; one journal entry per sale);
- pgbench TPS and the ratio checkouts/s ÷ pgbench TPS;
- the database work of one sale over the three databases (transactions and rows written, from
  ``pg_stat_database``, from the start of the load until everything propagated) next to pgbench's.

``--rate`` paces the counters (that many checkouts per second over all registers, each counter's cycles evenly
spaced) instead of ringing up flat out, to read latencies and lag at a load the machine sustains.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import requests
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_client import JsonClient  # noqa: E402
from shared.auth import Principal, issue_access_token  # noqa: E402
from shared.config import DEFAULT_OUTLET_ID  # noqa: E402
from shared.db import make_engine, make_session_factory, transaction  # noqa: E402
from shared.events import load_event  # noqa: E402
from shared.migrations import upgrade  # noqa: E402
from tests.support import PostgresDatabases, RedisServer, eventually, free_port  # noqa: E402

SECRET = "bench-secret-for-sentra-pos-0123456789"
#: The bench stands in for the gateway: its access tokens last the whole run.
RUN = timedelta(hours=1)
PRODUCTS = 200
SUPPLIERS = 25
STOCK_PER_PRODUCT = 100_000
#: ``--payments``: the weights of cash, card and QRIS. ``counter`` is the counter's mix (a QRIS is confirmed by the
#: cashier: a second request); ``cash`` is the stored floor's shape (``bench/stack_floor.py``): one cash payment.
PAYMENT_MIXES = {"counter": (2, 1, 1), "cash": (1, 0, 0)}
SERVICES = ("pos", "inventory", "suppliers")


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def by_tenth(values: list[float], pct: float) -> str:
    """The ``pct`` percentile of each tenth of ``values`` (in their order), ``/``-separated: whether a figure grows
    through the run."""
    size = len(values) / 10
    return "/".join(f"{percentile(values[round(i * size) : round((i + 1) * size)], pct):.0f}" for i in range(10))


def bearer(role: str, user_id: str, name: str) -> dict:
    return {"Authorization": "Bearer " + issue_access_token(SECRET, Principal(user_id, name, role), RUN)}


def ean13(serial: int) -> str:
    from services.inventory.rules import gs1_check_digit

    body = f"899{serial:09d}"
    return body + str(gs1_check_digit(body))


def deliver(session, handler, envelope: dict) -> None:
    """Hand one recorded event to a consumer's handler, the way ``register_consumers`` does (loaded tolerantly)."""
    meta, payload = load_event(json.loads(json.dumps(envelope)))
    handler(session, [(payload, meta)])


def recorded_envelopes(factory, event_type: str) -> list[dict]:
    """The envelopes a seeding step wrote to its service's outbox (one per subscriber; de-duplicated by id)."""
    with factory() as session:
        rows = session.execute(
            text("SELECT envelope FROM outbox WHERE event_type = :type ORDER BY created_at"), {"type": event_type}
        ).scalars()
        envelopes = {}
        for row in rows:
            envelope = json.loads(row)
            envelopes.setdefault(envelope["event_id"], envelope)
        return list(envelopes.values())


def seed_stack(urls: dict[str, str]) -> list[tuple[str, int]]:
    """Suppliers registered in the suppliers service, products created in inventory with a stock intake, and
    the resulting ``supplier.registered`` / ``product.upserted`` events delivered to their real consumers
    (POS and inventory catalogue, suppliers' product replica), and the intakes' ``stock.moved`` to suppliers.
    Returns the (barcode, price) list for the counters. The seed's outbox rows are then marked sent (they were
    delivered here), so the only events flowing during the load are the sales' and the stock movements they
    cause."""
    from services.inventory import catalogue as inventory_catalogue
    from services.inventory.consumers import HANDLERS as INVENTORY_HANDLERS
    from services.inventory.stock import intakes
    from services.pos.consumers import HANDLERS as POS_HANDLERS
    from services.suppliers import registry
    from services.suppliers.consumers import HANDLERS as SUPPLIERS_HANDLERS

    engines = {name: make_engine(url) for name, url in urls.items()}
    factories = {name: make_session_factory(engine) for name, engine in engines.items()}
    with transaction(factories["suppliers"]) as session:
        supplier_ids = [
            registry.register_supplier(
                session,
                {
                    "business_name": f"UMKM Pemasok {index:02d}",
                    "owner_name": f"Pemilik {index:02d}",
                    "phone": f"0813{index:08d}",
                },
                actor="bench",
            ).id
            for index in range(SUPPLIERS)
        ]
    for envelope in recorded_envelopes(factories["suppliers"], "supplier.registered"):
        with transaction(factories["inventory"]) as session:
            deliver(session, INVENTORY_HANDLERS["supplier.registered"], envelope)
        with transaction(factories["pos"]) as session:
            deliver(session, POS_HANDLERS["supplier.registered"], envelope)
    products = []
    with transaction(factories["inventory"]) as session:
        by_supplier: dict[str, list[str]] = {}
        for index in range(PRODUCTS):
            price = random.choice([8_000, 12_500, 15_000, 18_000, 25_000, 35_000, 65_000, 150_000])
            supplier_id = supplier_ids[index % SUPPLIERS]
            product = inventory_catalogue.create_product(
                session,
                {
                    "name": f"Produk UMKM {index}",
                    "category": random.choice(["kerajinan", "fashion", "lainnya"]),
                    "unit": "pcs",
                    "price": price,
                    "barcode": ean13(index),
                    "supplier_id": supplier_id,
                },
                actor="bench",
                outlet_id=DEFAULT_OUTLET_ID,
            )
            by_supplier.setdefault(supplier_id, []).append(product.id)
            products.append((product.barcode, price))
        for supplier_id, product_ids in by_supplier.items():
            intakes.record_intake(
                session,
                {
                    "supplier_id": supplier_id,
                    "lines": [{"product_id": product_id, "qty": STOCK_PER_PRODUCT} for product_id in product_ids],
                },
                actor="bench",
                outlet_id=DEFAULT_OUTLET_ID,
                receiver_name="bench",
            )
    for envelope in recorded_envelopes(factories["inventory"], "product.upserted"):
        with transaction(factories["pos"]) as session:
            deliver(session, POS_HANDLERS["product.upserted"], envelope)
        with transaction(factories["suppliers"]) as session:
            deliver(session, SUPPLIERS_HANDLERS["product.upserted"], envelope)
    for envelope in recorded_envelopes(factories["inventory"], "stock.moved"):
        with transaction(factories["suppliers"]) as session:
            deliver(session, SUPPLIERS_HANDLERS["stock.moved"], envelope)
    for engine in engines.values():
        with engine.begin() as conn:  # delivered by hand above: the sweeps must not send them again
            conn.execute(
                text(
                    "UPDATE outbox SET status = 'confirmed', sent_at = created_at, confirmed_at = created_at"
                    " WHERE status = 'pending'"
                )
            )
        engine.dispose()
    return products


def service_environment(urls: dict[str, str], redis_url: str) -> dict:
    env = dict(os.environ)
    env.update({f"SENTRA_{name.upper()}_DATABASE_URL": url for name, url in urls.items()})
    env.update(
        {
            "SENTRA_REDIS_URL": redis_url,
            "SENTRA_JWT_SECRET": SECRET,
            "SENTRA_QRIS_CALLBACK_SECRET": SECRET,
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


class Counter:
    """One register, run in its own process (so the load generator is not one Python interpreter's GIL).

    The counter of issue 10 keeps the catalogue in the browser: it loads it once through the delta feed
    (``GET /catalogue/changes``, page by page), rings up every sale from that local copy (one ``POST /sales``),
    and asks the feed for what changed every ``delta_every`` seconds. When the POS answers the feed with 404 (a
    tree without it) the counter takes the seed's prices and makes no delta requests. ``lookup_per_line`` is the
    earlier load shape instead: a barcode lookup per line, then the checkout.
    """

    def __init__(
        self,
        base_url: str,
        register_id: str,
        headers: dict,
        products,
        deadline: float,
        interval: float = 0.0,
        lookup_per_line: bool = False,
        delta_every: float = 15.0,
        payment_weights: tuple[int, int, int] = PAYMENT_MIXES["counter"],
    ):
        self.base_url, self.register_id, self.headers = base_url, register_id, headers
        self.products, self.deadline, self.interval = products, deadline, interval
        self.lookup_per_line, self.delta_every = lookup_per_line, delta_every
        self.payment_weights = payment_weights
        self.checkout_ms: list[float] = []
        self.checkout_at: list[float] = []
        self.lookup_ms: list[float] = []
        self.confirm_ms: list[float] = []
        self.delta_ms: list[float] = []
        self.errors: list[str] = []

    def _changes(self, http: JsonClient, cursor: str | None) -> tuple[dict[str, int], str | None, bool] | None:
        """One page of the catalogue delta feed (``None`` when the POS has no feed)."""
        query = "?limit=1000" + (f"&after={quote(str(cursor))}" if cursor else "")
        started = time.perf_counter()
        response = http.get(f"/catalogue/changes{query}")
        self.delta_ms.append((time.perf_counter() - started) * 1000)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            self.errors.append(f"changes {response.status_code} {response.text[:200]}")
            return {}, cursor, False
        page = response.json()
        return {item["barcode"]: item["price"] for item in page["items"]}, page["cursor"] or cursor, page["more"]

    def run(self) -> None:
        http = JsonClient(self.base_url, self.headers)
        prices = dict(self.products)
        cursor, feed = None, not self.lookup_per_line
        while feed:  # the first load of the local catalogue
            page = self._changes(http, cursor)
            if page is None:
                feed = False
                break
            changed, cursor, more = page
            prices.update(changed)
            if not more:
                break
        self.delta_ms.clear()  # the figure is the periodic delta request, not the first load
        next_delta = time.monotonic() + self.delta_every
        next_start = time.monotonic() + random.uniform(0, self.interval)
        while next_start < self.deadline:
            time.sleep(max(0.0, next_start - time.monotonic()))
            next_start = max(next_start + self.interval, time.monotonic()) if self.interval else time.monotonic()
            if feed and time.monotonic() >= next_delta:
                next_delta = time.monotonic() + self.delta_every
                page = self._changes(http, cursor)
                if page is not None:
                    changed, cursor, _ = page
                    prices.update(changed)
            basket = random.sample(self.products, random.randint(3, 5))
            lines = []
            for barcode, _ in basket:
                price = prices[barcode]
                if self.lookup_per_line:
                    started = time.perf_counter()
                    found = http.get(f"/catalogue/barcode/{barcode}")
                    self.lookup_ms.append((time.perf_counter() - started) * 1000)
                    price = found.json()["price"]
                lines.append({"barcode": barcode, "qty": random.randint(1, 3), "price": price})
            total = sum(line["price"] * line["qty"] for line in lines)
            method = random.choices(["cash", "card", "qris"], weights=self.payment_weights)[0]
            payment = {"method": method, "amount": total}
            if method == "cash":
                payment["tendered"] = -(-total // 50_000) * 50_000
            elif method == "card":
                payment["approval_code"] = f"{random.randint(0, 999999):06d}"
            body = {
                "register_id": self.register_id,
                "lines": [{"barcode": line["barcode"], "qty": line["qty"]} for line in lines],
                "payments": [payment],
            }
            started = time.perf_counter()
            self.checkout_at.append(time.monotonic())
            response = http.post("/sales", body, headers={"Idempotency-Key": str(uuid.uuid4())})
            self.checkout_ms.append((time.perf_counter() - started) * 1000)
            if response.status_code != 201:
                self.errors.append(f"{response.status_code} {response.text[:200]}")
                continue
            if method == "qris":
                sale = response.json()
                started = time.perf_counter()
                confirmed = http.post(f"/sales/{sale['id']}/payments/{sale['payments'][0]['id']}/confirm", {})
                self.confirm_ms.append((time.perf_counter() - started) * 1000)
                if confirmed.status_code != 200:
                    self.errors.append(f"confirm {confirmed.status_code} {confirmed.text[:200]}")


class Integration:
    """An integration (a self-service kiosk, a price checker) looking products up by barcode through the API at
    ``rate`` requests per second, for the barcode-lookup p99 now that the counters no longer call it."""

    def __init__(self, base_url: str, headers: dict, products, deadline: float, rate: float):
        self.base_url, self.headers, self.products, self.deadline = base_url, headers, products, deadline
        self.interval = 1.0 / rate
        self.lookup_ms: list[float] = []
        self.errors: list[str] = []

    def run(self) -> None:
        http = JsonClient(self.base_url, self.headers)
        next_start = time.monotonic()
        while next_start < self.deadline:
            time.sleep(max(0.0, next_start - time.monotonic()))
            next_start += self.interval
            barcode, _ = random.choice(self.products)
            started = time.perf_counter()
            response = http.get(f"/catalogue/barcode/{barcode}")
            self.lookup_ms.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                self.errors.append(f"lookup {response.status_code} {response.text[:200]}")


def _run_counter(counter: Counter, results) -> None:
    counter.run()
    results.put(
        (
            counter.checkout_ms,
            counter.lookup_ms,
            counter.confirm_ms,
            counter.errors,
            counter.delta_ms,
            counter.checkout_at,
        )
    )


def _run_integration(integration: Integration, results) -> None:
    integration.run()
    results.put(([], integration.lookup_ms, [], integration.errors, [], []))


def run_pgbench(databases: PostgresDatabases, seconds: int) -> tuple[float, tuple[int, int]]:
    """pgbench's TPS and the database work of its timed run: ``(transactions, rows written)``."""
    url = databases.create()
    subprocess.run(["pgbench", "-i", "-q", "-s", "8", url], check=True, capture_output=True)
    before = database_work(databases.admin_url, [url])
    result = subprocess.run(
        ["pgbench", "-c", "8", "-j", "2", "-T", str(seconds), url], check=True, capture_output=True, text=True
    )
    after = database_work(databases.admin_url, [url])
    match = re.search(r"tps = ([0-9.]+)", result.stdout)
    return (float(match.group(1)) if match else float("nan")), (after[0] - before[0], after[1] - before[1])


def table_writes(url: str) -> dict[str, int]:
    """Rows written (inserted + updated + deleted) so far in each table of the database at ``url``, from
    ``pg_stat_user_tables`` (reported as ``pg_stat_database`` is)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables").fetchall()
    return {name: int(count) for name, count in rows}


def database_work(admin_url: str, urls) -> tuple[int, int]:
    """Committed transactions and rows written (inserted + updated + deleted) so far in these databases,
    from ``pg_stat_database`` (a backend reports its counts when it goes idle or exits)."""
    import psycopg

    names = [url.rsplit("/", 1)[1] for url in urls]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        commits, rows = conn.execute(
            "SELECT coalesce(sum(xact_commit), 0), coalesce(sum(tup_inserted + tup_updated + tup_deleted), 0)"
            " FROM pg_stat_database WHERE datname = ANY(%s)",
            [names],
        ).fetchone()
    return int(commits), int(rows)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (gunicorn's and celery's workers)."""
    import psutil

    total = 0.0
    try:
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            times = process.cpu_times()
            total += times.user + times.system
    except psutil.NoSuchProcess:
        pass
    return total


def machine_busy_seconds() -> float:
    import psutil

    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def postgres_cpu_seconds() -> float:
    import psutil

    total = 0.0
    for process in psutil.process_iter(["name", "cpu_times"]):
        if process.info["name"] in ("postgres", "postgresql") and process.info["cpu_times"]:
            total += process.info["cpu_times"].user + process.info["cpu_times"].system
    return total


def measure_propagation(urls: dict[str, str], sales: dict[str, tuple], timeout: float = 180) -> dict[str, dict]:
    """Wait until every completed sale reached inventory and suppliers (or ``timeout``), then read their
    databases: per sale the lag from ``completed_at`` to its stock movements' ``recorded_at`` / its journal
    entry's ``posted_at`` (the latest when several rows), whether it arrived, and whether it was applied more
    than once (stock: the units taken differ from the units sold; ledger: more than one sale entry)."""
    queries = {
        "inventory": "SELECT reference_id, max(recorded_at), -sum(qty), 1 FROM movements WHERE kind = 'sale'"
        " GROUP BY reference_id",
        "suppliers": "SELECT source_id, max(posted_at), NULL, count(*) FROM journal_entries WHERE source_type = 'sale'"
        " GROUP BY source_id",
    }
    engines = {name: make_engine(urls[name]) for name in queries}

    def rows(name):
        with engines[name].connect() as conn:
            return {row[0]: row[1:] for row in conn.execute(text(queries[name]))}

    def all_arrived():
        return all(len(rows(name).keys() & sales.keys()) == len(sales) for name in queries)

    try:
        eventually(all_arrived, timeout=timeout, interval=0.5, message="every sale in inventory and suppliers")
    except AssertionError as exc:
        print("warning:", exc)
    results = {}
    for name in queries:
        found = rows(name)
        lag_ms, duplicated = [], 0
        for sale_id, (completed_at, units) in sorted(sales.items(), key=lambda item: item[1][0]):
            if sale_id not in found:
                continue
            applied_at, taken, entries = found[sale_id]
            lag_ms.append((applied_at - completed_at).total_seconds() * 1000)
            if entries != 1 or (taken is not None and taken != units):
                duplicated += 1
        results[name] = {
            "lag_ms": lag_ms,
            "reached": len(found.keys() & sales.keys()),
            "missing": len(sales.keys() - found.keys()),
            "duplicated": duplicated,
        }
    for engine in engines.values():
        engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("SENTRA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--registers", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--consumer-threads", type=int, default=2, help="celery thread pool size of the inventory and suppliers workers"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="paced load: this many checkouts per second over all registers (default: flat out)",
    )
    parser.add_argument(
        "--lookup-per-line",
        action="store_true",
        help="the earlier load shape: a barcode lookup per line before each checkout (no delta feed)",
    )
    parser.add_argument(
        "--delta-every", type=float, default=15.0, help="seconds between a counter's catalogue delta requests"
    )
    parser.add_argument(
        "--lookup-rate",
        type=float,
        default=5.0,
        help="barcode lookups per second by an integration client beside the counters (0: none)",
    )
    parser.add_argument(
        "--pos-only",
        action="store_true",
        help="no inventory/suppliers workers during the load (POS throughput alone; no lag figures)",
    )
    parser.add_argument(
        "--payments",
        choices=sorted(PAYMENT_MIXES),
        default="counter",
        help="counter: cash 50 %%, card 25 %%, QRIS 25 %% (confirmed); cash: one cash payment (the stored floor's)",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="the stored floor (bench/stack_floor.py) before and after the load, with as many clients as registers "
        "and the same gunicorn settings, and checkouts/s as a share of their mean",
    )
    args = parser.parse_args()
    if not args.floor:
        return run(args)[0]
    from bench.stack_floor import stored_floor  # it imports this module's CPU readers

    floor_args = argparse.Namespace(
        admin_url=args.admin_url,
        seconds=args.seconds,
        clients=args.registers,
        gunicorn_workers=args.gunicorn_workers,
        threads=args.threads,
    )
    floor_before = stored_floor(floor_args)
    code, rate = run(args)
    floor_after = stored_floor(floor_args)
    floor = (floor_before + floor_after) / 2
    print(
        f"checkouts/s ÷ stored floor {rate / floor:.2f}  ({rate:.1f} ÷ {floor:.1f}, the mean of the floor before "
        f"and after the load: {floor_before:.1f}, {floor_after:.1f})"
    )
    return code


def run(args: argparse.Namespace) -> tuple[int, float]:
    """The load of ``args`` on a fresh stack, its figures printed: ``(exit code, checkouts per second)``."""

    databases = PostgresDatabases(args.admin_url)
    scratch = Path(tempfile.mkdtemp(prefix="sentra-bench-"))
    redis_server = RedisServer(scratch / "redis")
    processes: list[subprocess.Popen] = []
    labels: list[str] = []
    try:
        urls = {name: databases.create() for name in SERVICES}
        for name, url in urls.items():
            upgrade(name, url)
        database_url = urls["pos"]
        products = seed_stack(urls)
        redis_server.start()
        env = service_environment(urls, redis_server.url)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        labels += ["POS web (gunicorn)", "POS worker + beat"]
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--config",
                    str(ROOT / "deploy" / "gunicorn.conf.py"),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(args.gunicorn_workers),
                    "--threads",
                    str(args.threads),
                    "--worker-class",
                    "gthread",
                    "services.pos:create_app()",
                ],
                env=env,
                cwd=ROOT,
                stdout=open(scratch / "gunicorn.log", "wb"),
                stderr=subprocess.STDOUT,
            )
        )
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "services.pos.worker",
                    "worker",
                    "-Q",
                    "pos",
                    "--pool",
                    "threads",
                    "--concurrency",
                    "2",
                    "--beat",
                    "--schedule",
                    str(scratch / "beat"),
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel",
                    "WARNING",
                ],
                env=env,
                cwd=ROOT,
                stdout=open(scratch / "worker.log", "wb"),
                stderr=subprocess.STDOUT,
            )
        )
        for name in () if args.pos_only else ("inventory", "suppliers"):
            labels.append(f"{name} worker")
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        f"services.{name}.worker",
                        "worker",
                        "-Q",
                        name,
                        "--pool",
                        "threads",
                        "--concurrency",
                        str(args.consumer_threads),
                        "--hostname",
                        f"{name}-bench@%h",
                        "--without-gossip",
                        "--without-mingle",
                        "--loglevel",
                        "WARNING",
                    ],
                    env=env,
                    cwd=ROOT,
                    stdout=open(scratch / f"{name}-worker.log", "wb"),
                    stderr=subprocess.STDOUT,
                )
            )
        eventually(
            lambda: requests.get(f"{base_url}/readyz", timeout=1).status_code == 200, timeout=60, message="POS ready"
        )
        from celery import Celery

        control = Celery(broker=redis_server.url).control
        for name in () if args.pos_only else ("inventory", "suppliers"):
            eventually(
                lambda name=name: control.ping(destination=[f"{name}-bench@{socket.gethostname()}"], timeout=1),
                timeout=60,
                message=f"{name} worker ready",
            )
        manager = bearer("manager", "bench-manager", "Manajer")
        counters = []
        for index in range(args.registers):
            cashier = bearer("cashier", f"bench-cashier-{index}", f"Kasir {index}")
            register = requests.post(
                f"{base_url}/registers", json={"code": f"R{index + 1:02d}", "name": f"Kasa {index}"}, headers=manager
            ).json()
            requests.post(
                f"{base_url}/shifts", json={"register_id": register["id"], "opening_float": 500_000}, headers=cashier
            ).raise_for_status()
            counters.append((register["id"], cashier))
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        deadline = time.monotonic() + args.seconds
        started = time.monotonic()
        runners = [
            context.Process(
                target=_run_counter,
                args=(
                    Counter(
                        base_url,
                        register_id,
                        cashier,
                        products,
                        deadline,
                        args.registers / args.rate if args.rate else 0.0,
                        args.lookup_per_line,
                        args.delta_every,
                        PAYMENT_MIXES[args.payments],
                    ),
                    results,
                ),
            )
            for register_id, cashier in counters
        ]
        if args.lookup_rate and not args.lookup_per_line:
            runners.append(
                context.Process(
                    target=_run_integration,
                    args=(Integration(base_url, manager, products, deadline, args.lookup_rate), results),
                )
            )
        time.sleep(1.5)  # let the seeding's and start-up's backends report their database counts first
        work_before_of = {name: database_work(databases.admin_url, [url]) for name, url in urls.items()}
        tables_before = {name: table_writes(url) for name, url in urls.items()}
        cpu_before = {label: cpu_seconds(process.pid) for label, process in zip(labels, processes, strict=False)}
        postgres_before = postgres_cpu_seconds()
        machine_before = machine_busy_seconds()
        for runner in runners:
            runner.start()
        outcomes = [results.get() for _ in runners]
        load_elapsed = time.monotonic() - started
        cpu_during_load = {
            label: cpu_seconds(process.pid) - cpu_before[label]
            for label, process in zip(labels, processes, strict=False)
        }
        cpu_during_load["PostgreSQL (all backends)"] = postgres_cpu_seconds() - postgres_before
        cpu_during_load["whole machine"] = machine_busy_seconds() - machine_before
        for runner in runners:
            runner.join()
        elapsed = time.monotonic() - started
        checkout_ms = [v for outcome in outcomes for v in outcome[0]]
        lookup_ms = [v for outcome in outcomes for v in outcome[1]]
        confirm_ms = [v for outcome in outcomes for v in outcome[2]]
        errors = [e for outcome in outcomes for e in outcome[3]]
        delta_ms = [v for outcome in outcomes for v in outcome[4]]
        checkout_at = [v for outcome in outcomes for v in outcome[5]]

        engine = make_engine(database_url)

        def outbox_drained():
            """No outbox row waiting for the sweep (rows are written sent and published from memory; a publish
            that failed gives its rows back as pending)."""
            with engine.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM outbox WHERE status = 'pending'")).scalar_one() == 0

        eventually(outbox_drained, timeout=60, interval=0.5, message="outbox drained")
        with engine.connect() as conn:
            completed = conn.execute(text("SELECT count(*) FROM sales WHERE status = 'completed'")).scalar_one()
            serial_check = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT register_id, business_day, "
                    "max(CAST(split_part(receipt_no, '-', 3) AS int))"
                    " - count(*) AS gap FROM sales WHERE status = 'completed' GROUP BY 1, 2) t WHERE gap <> 0"
                )
            ).scalar_one()
            sales = {
                row[0]: (row[1], row[2])
                for row in conn.execute(
                    text(
                        "SELECT s.id, s.completed_at, sum(l.qty) FROM sales s JOIN sale_lines l ON l.sale_id = s.id"
                        " WHERE s.status = 'completed' GROUP BY s.id, s.completed_at"
                    )
                )
            }
        engine.dispose()
        propagation = {} if args.pos_only else measure_propagation(urls, sales)
        pgbench_tps, (pgbench_commits, pgbench_rows) = run_pgbench(databases, min(args.seconds, 15))
        work_after_of = {name: database_work(databases.admin_url, [url]) for name, url in urls.items()}
        tables_after = {name: table_writes(url) for name, url in urls.items()}
        sale_commits, sale_rows = (
            sum(work_after_of[name][i] - work_before_of[name][i] for name in urls) for i in (0, 1)
        )

        rate = len(checkout_ms) / elapsed
        print(
            f"registers                 {args.registers}  "
            f"{f'paced at {args.rate:g} checkouts/s' if args.rate else 'flat out'}"
            f"  (gunicorn {args.gunicorn_workers}x{args.threads} threads, "
            f"{os.cpu_count()} CPUs, {elapsed:.1f}s)"
        )
        print(f"checkouts                 {len(checkout_ms)}  completed in DB {completed}  errors {len(errors)}")
        print(f"checkouts/s               {rate:.1f}")
        print(
            f"checkout latency ms       p50 {percentile(checkout_ms, 50):.1f}  p95 {percentile(checkout_ms, 95):.1f}"
            f"  p99 {percentile(checkout_ms, 99):.1f}"
        )
        by_start = [ms for _at, ms in sorted(zip(checkout_at, checkout_ms, strict=True))]
        print(f"checkout p99 by tenth     {by_tenth(by_start, 99)} (ms, the run's checkouts in the order they began)")
        print(
            f"barcode lookup ms         p50 {percentile(lookup_ms, 50):.1f}  p99 {percentile(lookup_ms, 99):.1f}"
            f"  ({len(lookup_ms)} lookups, "
            f"{'one per line' if args.lookup_per_line else f'an integration at {args.lookup_rate:g}/s'})"
        )
        print(
            f"catalogue delta ms        p50 {percentile(delta_ms, 50):.1f}  p99 {percentile(delta_ms, 99):.1f}"
            f"  ({len(delta_ms)} requests"
            f"{'' if delta_ms or args.lookup_per_line else '; the POS has no delta feed: seed prices used'})"
        )
        print(f"QRIS confirm ms           p99 {percentile(confirm_ms, 99):.1f}")
        for name, label in (("inventory", "sale → stock movement"), ("suppliers", "sale → supplier ledger")):
            if name not in propagation:
                continue
            figures = propagation[name]
            print(
                f"{label + ' lag ms':<26} p50 {percentile(figures['lag_ms'], 50):.1f}"
                f"  p99 {percentile(figures['lag_ms'], 99):.1f}  max {max(figures['lag_ms'], default=float('nan')):.1f}"
                f"  p50 by tenth of the sales {by_tenth(figures['lag_ms'], 50)}"
                f"  (reached {figures['reached']}/{len(sales)}, missing {figures['missing']},"
                f" applied more than once {figures['duplicated']})"
            )
        print(f"receipt serial gaps       {serial_check} register-days with a gap")
        print(f"pgbench TPS (8 clients)   {pgbench_tps:.1f}")
        print(f"ratio checkouts/pgbench   {rate / pgbench_tps:.3f}")
        if completed and pgbench_commits:
            print(
                f"database work per sale    {sale_commits / completed:.1f} transactions, "
                f"{sale_rows / completed:.1f} rows "
                f"written (pos + inventory + suppliers, lookups and propagation included); a pgbench transaction "
                f"writes {pgbench_rows / pgbench_commits:.1f} rows, so one sale's rows ≈ "
                f"{sale_rows / completed / (pgbench_rows / pgbench_commits):.1f} pgbench transactions"
            )
            print(
                "  by database (tx, rows per sale):  "
                + "  ".join(
                    f"{name} {(work_after_of[name][0] - work_before_of[name][0]) / completed:.2f}, "
                    f"{(work_after_of[name][1] - work_before_of[name][1]) / completed:.1f}"
                    for name in urls
                )
            )
            for name in urls:
                per_table = {
                    table: (count - tables_before[name].get(table, 0)) / completed
                    for table, count in tables_after[name].items()
                }
                print(
                    f"  {name} rows per sale by table:  "
                    + "  ".join(
                        f"{table} {rows:.2f}"
                        for table, rows in sorted(per_table.items(), key=lambda t: -t[1])
                        if rows >= 0.01
                    )
                )
        print(
            "CPU during the load (share of one core):  "
            + "  ".join(f"{label} {seconds / load_elapsed:.2f}" for label, seconds in cpu_during_load.items())
        )
        print(
            "CPU per checkout (ms):  "
            + "  ".join(
                f"{label} {1000 * seconds / max(1, len(checkout_ms)):.1f}" for label, seconds in cpu_during_load.items()
            )
        )
        for error in errors[:5]:
            print("error:", error)
        nothing_lost = all(figures["missing"] == 0 and figures["duplicated"] == 0 for figures in propagation.values())
        if propagation:
            print(f"nothing lost              {'yes' if nothing_lost else 'NO'}")
        return (0 if not errors and serial_check == 0 and nothing_lost else 1), rate
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        redis_server.stop()
        databases.drop_all()


if __name__ == "__main__":
    sys.exit(main())
