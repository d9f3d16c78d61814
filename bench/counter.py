"""The counter in headless Chromium with a 5,000-product catalogue (issue 10): scan-to-cart and name search in the
browser, the app shell opening from the service worker's cache, and 100 sales made offline then synced.

Usage::

    .venv/bin/python bench/counter.py [--products 5000] [--scans 300] [--searches 200] [--offline-sales 100]
                                      [--reloads 5]

Starts the gateway and the POS service in this process over real HTTP (SQLite files in a temporary folder, a
private Redis), feeds the POS catalogue through the real ``product.upserted`` handler, logs in as a cashier in
Debian's chromium and opens a shift, then measures:

- **scan-to-cart**: from the scan form's submit (a scanner's Enter) to the next painted frame with the line in
  the cart (the local IndexedDB/in-memory catalogue; the cart emptied every 10 scans, as sales end);
- **name search**: ``catalogue.search`` over the local copy (what runs when the cashier stops typing), and end to
  end from the ``input`` event to the painted result list (this includes the field's deliberate 120 ms pause);
- **app shell from cache**: a reload with the browser offline (the service worker answers) until the counter
  with its open shift shows;
- **offline sync**: ``--offline-sales`` cash sales rung up through the page while offline, then the time from going
  online until the queue is empty, and whether the POS recorded each exactly once.

Nothing is asserted on time: the figures are printed (see ``bench/README.md``).
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.auth import Principal, issue_access_token  # noqa: E402
from shared.db import make_engine, make_session_factory, transaction  # noqa: E402
from shared.events import build_envelope, load_event  # noqa: E402
from shared.migrations import upgrade  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS, chromium_binary  # noqa: E402
from tests.support import TEST_JWT_SECRET, RedisServer, ServedApp, free_port, settings_for  # noqa: E402

WORDS = ["Dodol", "Kerupuk", "Batik", "Sambal", "Kopi", "Keripik", "Tas", "Gantungan", "Madu", "Teh", "Emping", "Bolu"]
KINDS = ["Betawi", "Cikarang", "Bekasi", "Pedas", "Manis", "Anyaman", "Tulis", "Original", "Durian", "Pandan"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary(values: list[float]) -> str:
    return (
        f"p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 0.95):.1f} ms, "
        f"p99 {percentile(values, 0.99):.1f} ms, max {max(values):.1f} ms (n={len(values)})"
    )


def seed(database_url: str, count: int) -> list[str]:
    """``count`` products in the POS catalogue through the real handler; their barcodes."""
    from services.pos import catalogue

    engine = make_engine(database_url)
    barcodes = []
    with transaction(make_session_factory(engine)) as session:
        for index in range(count):
            barcode = f"899{index:010d}"
            payload = {
                "product_id": str(uuid.uuid4()),
                "sku": f"SKU-{index:05d}",
                "barcode": barcode,
                "name": f"{WORDS[index % len(WORDS)]} {KINDS[index // len(WORDS) % len(KINDS)]} {index}",
                "price": random.choice([5_000, 8_000, 12_500, 25_000, 65_000, 350_000]),
                "supplier_id": str(uuid.UUID(int=index % 40 + 1)),
                "category": "makanan",
                "active": True,
                "revision": 1,
            }
            meta, loaded = load_event(build_envelope("product.upserted", "bench", payload))
            catalogue.apply_product_upserted(session, loaded, meta)
            barcodes.append(barcode)
    engine.dispose()
    return barcodes


SCAN_TO_CART = """async ({codes, mainUrl}) => {
  const { counter } = await import(mainUrl);
  const { emptyCart } = await import(new URL("cart.js", mainUrl).href);
  const input = document.getElementById("scan"), form = document.getElementById("scan-form");
  const total = document.getElementById("total");
  const times = [];
  for (let i = 0; i < codes.length; i += 1) {
    if (i % 10 === 0) counter.setCart(emptyCart());
    const changed = new Promise(resolve => {
      const observer = new MutationObserver(() => { observer.disconnect(); resolve(); });
      observer.observe(total, { childList: true, characterData: true, subtree: true });
    });
    const started = performance.now();
    input.value = codes[i];
    form.requestSubmit();
    await changed;
    await new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)));
    times.push(performance.now() - started);
  }
  counter.setCart(emptyCart());
  return times;
}"""

SEARCH = """async ({queries, mainUrl}) => {
  const { catalogue } = await import(new URL("catalogue.js", mainUrl).href);
  const input = document.getElementById("scan"), list = document.getElementById("search-results");
  const local = [], endToEnd = [];
  for (const text of queries) {
    const started = performance.now();
    const found = await catalogue.search(text);
    local.push(performance.now() - started);
    if (!found.length) throw new Error("nothing found for " + text);
    const shown = new Promise(resolve => {
      const observer = new MutationObserver(() => { observer.disconnect(); resolve(); });
      observer.observe(list, { childList: true });
    });
    const typed = performance.now();
    input.value = text;
    input.dispatchEvent(new Event("input"));
    await shown;
    await new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)));
    endToEnd.push(performance.now() - typed);
    input.value = "";
    input.dispatchEvent(new Event("input"));
  }
  return { local, endToEnd };
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--scans", type=int, default=300)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--offline-sales", type=int, default=100)
    parser.add_argument("--reloads", type=int, default=5)
    args = parser.parse_args()
    binary = chromium_binary()
    if binary is None:
        print("no chromium binary (/usr/bin/chromium): `make browser-deps` installs Debian's chromium")
        return 2
    logging.disable(logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="sentra-counter-bench-"))
    redis_server = RedisServer(folder)
    served: list[ServedApp] = []
    try:
        redis_server.start()
        from services.gateway import accounts
        from services.gateway import create_app as gateway_app
        from services.pos import create_app as pos_app

        urls = {name: f"sqlite:///{folder / name}.db" for name in ("gateway", "pos")}
        for name, url in urls.items():
            upgrade(name, url)
        started = time.perf_counter()
        barcodes = seed(urls["pos"], args.products)
        print(
            f"catalogue: {args.products} products fed through product.upserted in {time.perf_counter() - started:.1f} s"
        )

        ports = {name: free_port() for name in ("gateway", "pos", "inventory", "suppliers")}
        service_urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        pos = pos_app(replace(settings_for("pos", urls["pos"], redis_server.url), service_urls=service_urls))
        gateway = gateway_app(
            replace(settings_for("gateway", urls["gateway"], redis_server.url), service_urls=service_urls)
        )
        served += [ServedApp(pos, ports["pos"]), ServedApp(gateway, ports["gateway"])]
        with gateway.extensions["sentra"].transaction() as session:
            accounts.upsert_user(session, "kasir", "Rudi Kasir", "cashier", "kasir-pass-1", None)
        token = issue_access_token(TEST_JWT_SECRET, Principal("m", "Manajer", "manager"), timedelta(hours=1))
        manager = {"Authorization": f"Bearer {token}"}
        register = pos.test_client().post("/registers", json={"code": "R01", "name": "Kasir 1"}, headers=manager)
        assert register.status_code == 201, register.json
        base = service_urls["gateway"]

        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=binary, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
            page = context.new_page()
            page.set_default_timeout(120_000)
            page.goto(f"{base}/login")
            page.fill("#username", "kasir")
            page.fill("#password", "kasir-pass-1")
            page.click("#login-button")
            page.wait_for_url(f"{base}/cashier")
            page.fill("#opening-float", "200000")
            page.press("#opening-float", "Enter")
            page.locator("#counter").wait_for()
            page.wait_for_function("() => !!navigator.serviceWorker.controller || location.reload()")
            page.locator("#counter").wait_for()
            page.wait_for_function(f"() => Number(document.body.dataset.catalogueSize) >= {args.products}")
            page.evaluate(
                "() => new Promise(resolve => { const r = indexedDB.deleteDatabase('sentra-counter');"
                " r.onsuccess = r.onerror = r.onblocked = resolve; })"
            )
            started = time.perf_counter()
            page.reload()  # an empty local copy: the whole catalogue through the delta feed, page by page
            page.wait_for_function(f"() => Number(document.body.dataset.catalogueSize) >= {args.products}")
            print(
                f"first load of the local catalogue (delta feed into IndexedDB): {time.perf_counter() - started:.1f} s"
            )
            main_url = page.evaluate("() => document.querySelector('script[type=module]').src")

            codes = [random.choice(barcodes) for _ in range(args.scans)]
            page.evaluate(SCAN_TO_CART, {"codes": codes[:20], "mainUrl": main_url})  # warm up
            scans = page.evaluate(SCAN_TO_CART, {"codes": codes, "mainUrl": main_url})
            print(f"scan-to-cart (submit → painted cart): {summary(scans)}")

            queries = [
                random.choice(WORDS + KINDS).lower()[:4] + random.choice(["", " "]) for _ in range(args.searches)
            ]
            queries = [q.strip() for q in queries]
            page.evaluate(SEARCH, {"queries": queries[:10], "mainUrl": main_url})  # warm up
            searched = page.evaluate(SEARCH, {"queries": queries, "mainUrl": main_url})
            print(f"name search over the local catalogue (catalogue.search): {summary(searched['local'])}")
            print(
                f"name search end to end (input → painted list, incl. the 120 ms typing pause): "
                f"{summary(searched['endToEnd'])}"
            )

            context.set_offline(True)
            shells = []
            for _ in range(args.reloads):
                started = time.perf_counter()
                page.reload()
                page.locator("#counter").wait_for()
                shells.append((time.perf_counter() - started) * 1000)
            print(f"app shell from the service worker's cache (offline reload → counter shown): {summary(shells)}")

            started = time.perf_counter()
            for index in range(args.offline_sales):
                page.evaluate(
                    "code => { const i = document.getElementById('scan'); i.value = code;"
                    " document.getElementById('scan-form').requestSubmit(); }",
                    random.choice(barcodes),
                )
                page.locator("#cart tr").first.wait_for()
                page.keyboard.press("F9")
                page.locator("#pay-dialog[open]").wait_for()
                page.keyboard.press("Enter")
                page.wait_for_function(
                    f"() => JSON.parse(localStorage.getItem('sentra.counter.queue') || '[]').length"
                    f" === {index + 1} && !document.querySelector('#cart tr')"
                )
            print(f"{args.offline_sales} cash sales rung up offline in {time.perf_counter() - started:.1f} s")
            shift_id = page.evaluate(
                "() => JSON.parse(localStorage.getItem(Object.keys(localStorage).find(k => k.endsWith('.shift')))).id"
            )
            started = time.perf_counter()
            context.set_offline(False)
            page.wait_for_function(
                "() => JSON.parse(localStorage.getItem('sentra.counter.queue') || '[]').length === 0"
            )
            synced_in = time.perf_counter() - started
            synced = page.evaluate("() => JSON.parse(localStorage.getItem('sentra.counter.synced') || '[]')")
            browser.close()

        sales = pos.test_client().get(f"/sales?shift_id={shift_id}", headers=manager).json
        failed = [entry for entry in synced if entry.get("failed")]
        receipts = {sale["receipt_no"] for sale in sales}
        once = len(sales) == len(receipts) == args.offline_sales
        print(
            f"offline sync: {len(synced)} sales sent in {synced_in:.1f} s from going online "
            f"({len(synced) / synced_in:.1f} sales/s); the POS holds {len(sales)} sales of the shift, "
            f"{len(receipts)} distinct receipt numbers, {len({s['id'] for s in sales})} distinct ids, "
            f"{len(failed)} refused — {'nothing doubled' if once else 'MISMATCH'}"
        )
        return 0
    finally:
        for server in served:
            server.stop()
        redis_server.stop()


if __name__ == "__main__":
    sys.exit(main())
