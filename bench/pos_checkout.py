"""Checkout load on the real POS stack on PostgreSQL, with pgbench on the same server for comparison.

Usage::

    .venv/bin/python bench/pos_checkout.py [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
                                           [--registers 8] [--seconds 20] [--gunicorn-workers 2] [--threads 4]

What it does: makes a fresh PostgreSQL database, applies the POS migrations, seeds a 200-product catalogue
(through the real ``product.upserted`` handler), starts a private ``redis-server``, the POS web app under
gunicorn and the POS Celery worker with beat (the outbox sweep). It opens one register and shift per simulated
counter and lets each counter ring up 3–5 line baskets for ``--seconds`` (a barcode lookup per line, then the
checkout; payments mixed: cash 50 %, card 25 %, QRIS 25 % confirmed by the cashier). Then it runs ``pgbench``
(TPC-B-like, 8 clients) on a scratch database of the same server and prints:

- checkouts per second, checkout latency p50/p95/p99, barcode lookup p99, QRIS confirm p99;
- outbox lag p99 (sale committed → its events handed to Redis by the relay) and rows still pending;
- pgbench TPS and the ratio checkouts/s ÷ pgbench TPS.

The propagation lag to inventory's stock and suppliers' ledger needs those services' consumers and is measured
by the integrator's full-stack benchmark; this script stops at the POS boundary (the events in Redis).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.auth import Principal, issue_token  # noqa: E402
from shared.db import make_engine, make_session_factory, transaction  # noqa: E402
from shared.events import build_envelope, load_event  # noqa: E402
from shared.migrations import upgrade  # noqa: E402
from tests.support import PostgresDatabases, RedisServer, eventually, free_port  # noqa: E402

SECRET = "bench-secret-for-sentra-pos-0123456789"
PRODUCTS = 200


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def bearer(role: str, user_id: str, name: str) -> dict:
    return {"Authorization": "Bearer " + issue_token(SECRET, Principal(user_id, name, role))}


def seed_catalogue(database_url: str) -> list[tuple[str, int]]:
    from services.pos import catalogue

    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    products = []
    with transaction(factory) as session:
        for index in range(PRODUCTS):
            barcode = f"899{index:010d}"
            price = random.choice([8_000, 12_500, 15_000, 18_000, 25_000, 35_000, 65_000, 150_000])
            meta, payload = load_event(build_envelope("product.upserted", "bench", {
                "product_id": str(uuid.uuid4()), "sku": f"SKU-{index:04d}", "barcode": barcode,
                "name": f"Produk UMKM {index}", "price": price, "supplier_id": str(uuid.UUID(int=index % 25 + 1)),
                "category": random.choice(["Makanan", "Minuman", "Kerajinan"]), "active": True, "revision": 1}))
            catalogue.apply_product_upserted(session, payload, meta)
            products.append((barcode, price))
    engine.dispose()
    return products


def service_environment(database_url: str, redis_url: str) -> dict:
    env = dict(os.environ)
    env.update({"SENTRA_POS_DATABASE_URL": database_url, "SENTRA_REDIS_URL": redis_url, "SENTRA_JWT_SECRET": SECRET,
                "SENTRA_QRIS_CALLBACK_SECRET": SECRET, "PYTHONPATH": str(ROOT)})
    return env


class Counter:
    """One register: barcode lookups and checkouts in a loop until the deadline (run in its own process, so
    the load generator is not one Python interpreter's GIL)."""

    def __init__(self, base_url: str, register_id: str, headers: dict, products, deadline: float):
        self.base_url, self.register_id, self.headers = base_url, register_id, headers
        self.products, self.deadline = products, deadline
        self.checkout_ms: list[float] = []
        self.lookup_ms: list[float] = []
        self.confirm_ms: list[float] = []
        self.errors: list[str] = []

    def run(self) -> None:
        http = requests.Session()
        while time.monotonic() < self.deadline:
            basket = random.sample(self.products, random.randint(3, 5))
            lines = []
            for barcode, _ in basket:
                started = time.perf_counter()
                found = http.get(f"{self.base_url}/catalogue/barcode/{barcode}", headers=self.headers)
                self.lookup_ms.append((time.perf_counter() - started) * 1000)
                lines.append({"barcode": barcode, "qty": random.randint(1, 3), "price": found.json()["price"]})
            total = sum(line["price"] * line["qty"] for line in lines)
            method = random.choices(["cash", "card", "qris"], weights=[2, 1, 1])[0]
            payment = {"method": method, "amount": total}
            if method == "cash":
                payment["tendered"] = -(-total // 50_000) * 50_000
            elif method == "card":
                payment["approval_code"] = f"{random.randint(0, 999999):06d}"
            body = {"register_id": self.register_id, "lines": [{"barcode": l["barcode"], "qty": l["qty"]} for l in lines],
                    "payments": [payment]}
            started = time.perf_counter()
            response = http.post(f"{self.base_url}/sales", json=body,
                                 headers={**self.headers, "Idempotency-Key": str(uuid.uuid4())})
            self.checkout_ms.append((time.perf_counter() - started) * 1000)
            if response.status_code != 201:
                self.errors.append(f"{response.status_code} {response.text[:200]}")
                continue
            if method == "qris":
                sale = response.json()
                started = time.perf_counter()
                confirmed = http.post(f"{self.base_url}/sales/{sale['id']}/payments/{sale['payments'][0]['id']}/confirm",
                                      json={}, headers=self.headers)
                self.confirm_ms.append((time.perf_counter() - started) * 1000)
                if confirmed.status_code != 200:
                    self.errors.append(f"confirm {confirmed.status_code} {confirmed.text[:200]}")


def _run_counter(counter: Counter, results) -> None:
    counter.run()
    results.put((counter.checkout_ms, counter.lookup_ms, counter.confirm_ms, counter.errors))


def run_pgbench(databases: PostgresDatabases, seconds: int) -> float:
    url = databases.create()
    subprocess.run(["pgbench", "-i", "-q", "-s", "8", url], check=True, capture_output=True)
    result = subprocess.run(["pgbench", "-c", "8", "-j", "2", "-T", str(seconds), url], check=True,
                            capture_output=True, text=True)
    match = re.search(r"tps = ([0-9.]+)", result.stdout)
    return float(match.group(1)) if match else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin-url", default=os.environ.get("SENTRA_TEST_POSTGRES_URL",
                                                              "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--registers", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    databases = PostgresDatabases(args.admin_url)
    scratch = Path(tempfile.mkdtemp(prefix="sentra-bench-"))
    redis_server = RedisServer(scratch / "redis")
    processes: list[subprocess.Popen] = []
    try:
        database_url = databases.create()
        upgrade("pos", database_url)
        products = seed_catalogue(database_url)
        redis_server.start()
        env = service_environment(database_url, redis_server.url)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(args.gunicorn_workers),
             "--threads", str(args.threads), "--worker-class", "gthread", "services.pos:create_app()"],
            env=env, cwd=ROOT, stdout=open(scratch / "gunicorn.log", "wb"),
            stderr=subprocess.STDOUT))
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "services.pos.worker", "worker", "-Q", "pos", "--pool", "threads",
             "--concurrency", "2", "--beat", "--schedule", str(scratch / "beat"), "--without-gossip", "--without-mingle",
             "--loglevel", "WARNING"], env=env, cwd=ROOT, stdout=open(scratch / "worker.log", "wb"),
            stderr=subprocess.STDOUT))
        eventually(lambda: requests.get(f"{base_url}/readyz", timeout=1).status_code == 200, timeout=60,
                   message="POS ready")
        manager = bearer("manager", "bench-manager", "Manajer")
        counters = []
        for index in range(args.registers):
            cashier = bearer("cashier", f"bench-cashier-{index}", f"Kasir {index}")
            register = requests.post(f"{base_url}/registers", json={"code": f"R{index + 1:02d}", "name": f"Kasa {index}"},
                                     headers=manager).json()
            requests.post(f"{base_url}/shifts", json={"register_id": register["id"], "opening_float": 500_000},
                          headers=cashier).raise_for_status()
            counters.append((register["id"], cashier))
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        deadline = time.monotonic() + args.seconds
        started = time.monotonic()
        runners = [context.Process(target=_run_counter, args=(Counter(base_url, register_id, cashier, products, deadline),
                                                                results)) for register_id, cashier in counters]
        for runner in runners:
            runner.start()
        outcomes = [results.get() for _ in runners]
        for runner in runners:
            runner.join()
        elapsed = time.monotonic() - started
        checkout_ms = [v for outcome in outcomes for v in outcome[0]]
        lookup_ms = [v for outcome in outcomes for v in outcome[1]]
        confirm_ms = [v for outcome in outcomes for v in outcome[2]]
        errors = [e for outcome in outcomes for e in outcome[3]]

        from sqlalchemy import text

        engine = make_engine(database_url)

        def outbox_drained():
            with engine.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM outbox WHERE status = 'pending'")).scalar_one() == 0

        eventually(outbox_drained, timeout=60, interval=0.5, message="outbox drained")
        with engine.connect() as conn:
            lags = [row[0] * 1000 for row in conn.execute(text(
                "SELECT EXTRACT(EPOCH FROM (sent_at - created_at)) FROM outbox WHERE status = 'sent'"))]
            completed = conn.execute(text("SELECT count(*) FROM sales WHERE status = 'completed'")).scalar_one()
            serial_check = conn.execute(text(
                "SELECT count(*) FROM (SELECT register_id, business_day, max(CAST(split_part(receipt_no, '-', 3) AS int))"
                " - count(*) AS gap FROM sales WHERE status = 'completed' GROUP BY 1, 2) t WHERE gap <> 0")).scalar_one()
        engine.dispose()
        in_redis = sum(redis_server.client().llen(q) for q in ("inventory", "suppliers"))
        pgbench_tps = run_pgbench(databases, min(args.seconds, 15))

        rate = len(checkout_ms) / elapsed
        print(f"registers                 {args.registers}  (gunicorn {args.gunicorn_workers}x{args.threads} threads, "
              f"{os.cpu_count()} CPUs, {elapsed:.1f}s)")
        print(f"checkouts                 {len(checkout_ms)}  completed in DB {completed}  errors {len(errors)}")
        print(f"checkouts/s               {rate:.1f}")
        print(f"checkout latency ms       p50 {percentile(checkout_ms, 50):.1f}  p95 {percentile(checkout_ms, 95):.1f}"
              f"  p99 {percentile(checkout_ms, 99):.1f}")
        print(f"barcode lookup ms         p50 {percentile(lookup_ms, 50):.1f}  p99 {percentile(lookup_ms, 99):.1f}")
        print(f"QRIS confirm ms           p99 {percentile(confirm_ms, 99):.1f}")
        print(f"outbox → Redis lag ms     p50 {percentile(lags, 50):.1f}  p99 {percentile(lags, 99):.1f}"
              f"  (messages in Redis: {in_redis} for {2 * completed} outbox rows;"
              " a row the relay and the sweep both sent arrives twice, consumers de-duplicate)")
        print(f"receipt serial gaps       {serial_check} register-days with a gap")
        print(f"pgbench TPS (8 clients)   {pgbench_tps:.1f}")
        print(f"ratio checkouts/pgbench   {rate / pgbench_tps:.3f}")
        for error in errors[:5]:
            print("error:", error)
        return 0 if not errors and serial_check == 0 else 1
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
