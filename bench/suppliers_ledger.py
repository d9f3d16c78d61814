"""Benchmark of the suppliers ledger on PostgreSQL (issue 5): 500 suppliers and 1,000,000 posted sale lines.

Times, with the service's own use cases on a generated ledger:
  * creating a payout run (target ≤ 5 s),
  * a reconciliation of one month, including the ledger invariants over the whole journal (target ≤ 20 s),
  * one supplier's yearly statement, CSV streamed and PDF (target ≤ 1 s),
and the plain SQL aggregate of the same postings timed with ``psql``, printing the ratio. Peak memory (max RSS)
is printed after each step, to show the work is streamed rather than loaded whole.

The ledger is generated set-based in SQL (one journal entry per sale with two lines of different suppliers,
the 20 % commission split rounded half up exactly as ``shared.money.split_commission`` does, sales clearing,
payables and commission revenue postings, the payable detail), then checked with
``ledger.check_invariants`` as part of the reconciliation. POS and inventory answers for the reconciled month
are built from the generated sales (those services are separate processes; here the sources object hands the
lists to the use case, the same boundary the HTTP fetcher feeds).

    .venv/bin/python bench/suppliers_ledger.py [--lines 1000000] [--suppliers 500] [--keep]

``SENTRA_BENCH_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``) is the server to
create a scratch database on; it is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from sqlalchemy import text

from services.suppliers import ledger, payouts, reconciliation, statements
from shared.db import make_engine, make_session_factory, transaction
from shared.migrations import upgrade

YEAR_END = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # 28 Nov 2026 00:00 WIB
YEAR_START = YEAR_END - timedelta(days=365)
MONTH = (date(2026, 10, 1), date(2026, 10, 31))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, results: dict, action):
    started = time.perf_counter()
    value = action()
    elapsed = time.perf_counter() - started
    results[label] = elapsed
    print(f"{label:<42} {elapsed:8.2f} s   peak RSS {peak_rss_mib():7.1f} MiB", flush=True)
    return value


def generate(conn, suppliers: int, lines: int) -> None:
    """Suppliers with default agreements and ``lines`` sale lines (two per sale) posted over one year."""
    sales = lines // 2
    raw_execute = conn.execute

    def execute(statement, parameters=None):
        started = time.perf_counter()
        result = raw_execute(statement, parameters or {})
        first_words = " ".join(str(statement).split()[:3])
        print(f"    {first_words:<40} {time.perf_counter() - started:7.2f} s", flush=True)
        return result

    conn = type("Timed", (), {"execute": staticmethod(execute)})()
    conn.execute(
        text("""
        INSERT INTO suppliers (id, business_name, owner_name, phone, bank_name, bank_account_number,
                               bank_account_holder, status, created_at, updated_at)
        SELECT md5('supplier' || s)::uuid::text, 'UMKM Bekasi ' || s, 'Pemilik ' || s, '0813' || lpad(s::text, 8, '0'),
               'BRI', lpad(s::text, 12, '0'), 'Pemilik ' || s, 'active', now(), now()
        FROM generate_series(0, :n - 1) s"""),
        {"n": suppliers},
    )
    conn.execute(
        text("""
        INSERT INTO agreements (id, supplier_id, type, commission_bps, payout_schedule, minimum_payout, holdback_days,
                                shrinkage_borne_by, consignment_days, effective_from, created_at, created_by)
        SELECT md5('agreement' || s)::uuid::text, md5('supplier' || s)::uuid::text, 'commission', 2000, 'monthly',
               50000, 7, 'supplier', 90, timestamptz '2000-01-01 00:00+00', now(), 'bench'
        FROM generate_series(0, :n - 1) s"""),
        {"n": suppliers},
    )
    conn.execute(
        text("""
        CREATE TEMP TABLE gen_lines AS
        SELECT s AS sale_no, k, md5('sale' || s)::uuid::text AS sale_id, md5('entry' || s)::uuid::text AS entry_id,
               md5('line' || s || '-' || k)::uuid::text AS line_id,
               md5('supplier' || ((s * 2 + k * 7) % :suppliers))::uuid::text AS supplier_id,
               md5('product' || ((s * 2 + k * 7) % :suppliers) || '-' || (s % 5))::uuid::text AS product_id,
               1 + (s + k) % 3 AS qty, 5000 + ((s * 7 + k * 13) % 50) * 1000 AS unit_price,
               :start + (s::double precision / :sales) * interval '365 days' AS occurred_at
        FROM generate_series(0, :sales - 1) s CROSS JOIN (VALUES (0), (1)) AS k(k)"""),
        {"suppliers": suppliers, "sales": sales, "start": YEAR_START},
    )
    conn.execute(
        text("""
        ALTER TABLE gen_lines ADD COLUMN line_total bigint, ADD COLUMN commission bigint;
        UPDATE gen_lines SET line_total = qty * unit_price;
        UPDATE gen_lines SET commission = (line_total * 2000 * 2 + 10000) / 20000;
        ANALYZE gen_lines""")
    )
    conn.execute(
        text("""
        INSERT INTO accounts (code, kind, supplier_id)
        SELECT 'supplier_payable:' || id, 'supplier_payable', id FROM suppliers
        UNION ALL VALUES ('sales_clearing', 'clearing', NULL), ('commission_revenue', 'revenue', NULL),
                         ('shrinkage_expense', 'expense', NULL), ('bank', 'asset', NULL)""")
    )
    conn.execute(
        text("""
        INSERT INTO journal_entries (id, source_type, source_id, description, occurred_at, posted_at)
        SELECT entry_id, 'sale', sale_id, 'Penjualan B-' || sale_no, min(occurred_at), min(occurred_at)
        FROM gen_lines GROUP BY entry_id, sale_id, sale_no""")
    )
    conn.execute(
        text("""
        INSERT INTO postings (entry_id, account_code, debit, credit)
        SELECT entry_id, 'sales_clearing', sum(line_total), 0 FROM gen_lines GROUP BY entry_id
        UNION ALL
        SELECT entry_id, 'supplier_payable:' || supplier_id, 0, sum(line_total - commission)
        FROM gen_lines GROUP BY entry_id, supplier_id
        UNION ALL
        SELECT entry_id, 'commission_revenue', 0, sum(commission) FROM gen_lines GROUP BY entry_id""")
    )
    conn.execute(
        text("""
        INSERT INTO payable_items (id, dedupe_key, supplier_id, entry_id, kind, source_id, line_id, reference,
                                   product_id, product_name, qty, unit_price, gross, commission, amount, agreement_id,
                                   occurred_at, available_at)
        SELECT md5('item' || line_id)::uuid::text, 'sale:' || line_id, supplier_id, entry_id, 'sale', sale_id, line_id,
               'B-' || sale_no, product_id, 'Produk ' || left(product_id, 8), qty, unit_price, line_total, commission,
               line_total - commission, NULL, occurred_at, occurred_at + interval '7 days'
        FROM gen_lines""")
    )
    conn.execute(text("ANALYZE"))


class GeneratedSources:
    """The month's POS sales and inventory movements as those services would answer (built beforehand)."""

    def __init__(self, sales: list[dict], movements: list[dict]):
        self._sales, self._movements = sales, movements

    def sales(self, start, end):
        return self._sales

    def refunds(self, start, end):
        return []

    def movements(self, start, end):
        return self._movements


def month_sources(engine) -> GeneratedSources:
    lower, upper = statements.rules.period_bounds(*MONTH)
    sales: dict[str, dict] = {}
    movements = []
    with engine.connect() as conn:
        rows = conn.execution_options(yield_per=20_000).execute(
            text(
                "SELECT source_id, reference, occurred_at, line_id, product_id, supplier_id, qty, gross "
                "FROM payable_items WHERE kind = 'sale' AND occurred_at >= :lower AND occurred_at < :upper"
            ),
            {"lower": lower, "upper": upper},
        )
        for sale_id, receipt_no, occurred_at, line_id, product_id, supplier_id, qty, line_total in rows:
            sale = sales.setdefault(
                sale_id,
                {
                    "sale_id": sale_id,
                    "receipt_no": receipt_no,
                    "completed_at": occurred_at.isoformat(),
                    "total": 0,
                    "lines": [],
                },
            )
            sale["total"] += line_total
            sale["lines"].append(
                {
                    "line_id": line_id,
                    "product_id": product_id,
                    "supplier_id": supplier_id,
                    "qty": qty,
                    "line_total": line_total,
                }
            )
            movements.append(
                {
                    "movement_id": str(uuid.uuid4()),
                    "kind": "sale",
                    "reference_id": sale_id,
                    "product_id": product_id,
                    "supplier_id": supplier_id,
                    "qty": -qty,
                    "occurred_at": occurred_at.isoformat(),
                }
            )
    return GeneratedSources(list(sales.values()), movements)


def psql_aggregate_seconds(database_url: str) -> float:
    """The plain SQL aggregate of every posting per account, timed around ``psql``."""
    query = "SELECT account_code, sum(credit) - sum(debit) FROM postings GROUP BY account_code"
    best = None
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(["psql", database_url, "-qAt", "-c", query], check=True, stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--suppliers", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--database", help="time again on a database kept by an earlier --keep run")
    args = parser.parse_args()

    admin_url = os.environ.get("SENTRA_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = args.database or f"sentra_bench_suppliers_{uuid.uuid4().hex[:8]}"
    if not args.database:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    database_url = admin_url.rsplit("/", 1)[0] + "/" + name
    results: dict[str, float] = {}
    try:
        engine = make_engine(database_url)
        session_factory = make_session_factory(engine)
        if not args.database:
            upgrade("suppliers", database_url)
            print(f"database {name}: {args.suppliers} suppliers, {args.lines:,} sale lines", flush=True)
            with engine.begin() as conn:
                timed(
                    "generate the ledger (SQL, not a target)",
                    results,
                    lambda: generate(conn, args.suppliers, args.lines),
                )
        with engine.connect() as conn:
            counts = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("journal_entries", "postings", "payable_items")
            }
        print("rows:", ", ".join(f"{t} {n:,}" for t, n in counts.items()), flush=True)
        sources = timed("build the month's POS/inventory lists", results, lambda: month_sources(engine))

        def payout_run():
            """Create the run and read its lines, then roll back so the database can be timed again."""
            with session_factory() as session:
                with session.begin():
                    run = payouts.create_run(session, date(2026, 11, 27), "bench")
                    count = len(payouts.run_lines(session, run.id))
                    session.rollback()
                return count

        lines = timed("payout run (target 5 s)", results, payout_run)
        print(f"  {lines} payout lines", flush=True)

        with transaction(session_factory) as session:
            record_id = reconciliation.request(session, *MONTH, "bench").id
        report = timed(
            "reconciliation of a month (target 20 s)",
            results,
            lambda: reconciliation.run(session_factory, record_id, sources),
        )
        print(
            f"  {report['counts']['pos_sales']:,} sales; missing {len(report['missing'])}, duplicated "
            f"{len(report['duplicated'])}, mismatched {len(report['mismatched'])}; invariants ok: "
            f"{report['invariants']['ok']} (Σ debit {report['invariants']['total_debit']:,})",
            flush=True,
        )

        with engine.connect() as conn:
            supplier_id = conn.execute(text("SELECT id FROM suppliers ORDER BY business_name LIMIT 1")).scalar_one()
        year = (date(2025, 11, 28), date(2026, 11, 27))

        def csv_statement():
            size = 0
            for chunk in statements.csv_chunks(session_factory, supplier_id, *year):
                size += len(chunk)
            return size

        def pdf_statement():
            with transaction(session_factory) as session:
                return len(statements.pdf_bytes(session, supplier_id, *year))

        size = timed("yearly statement, CSV streamed (target 1 s)", results, csv_statement)
        print(f"  {size:,} bytes", flush=True)
        size = timed("yearly statement, PDF (target 1 s)", results, pdf_statement)
        print(f"  {size:,} bytes", flush=True)

        with transaction(session_factory) as session:
            timed("ledger invariants alone", results, lambda: ledger.check_invariants(session))
        aggregate = psql_aggregate_seconds(database_url)
        results["psql aggregate"] = aggregate
        print(f"{'psql: plain SQL aggregate of the postings':<42} {aggregate:8.2f} s", flush=True)
        print(
            "ratio reconciliation / psql aggregate: "
            f"{results['reconciliation of a month (target 20 s)'] / aggregate:.1f}×"
        )
        print(f"ratio invariants / psql aggregate:     {results['ledger invariants alone'] / aggregate:.1f}×")
        print(f"ratio payout run / psql aggregate:     {results['payout run (target 5 s)'] / aggregate:.1f}×")
        engine.dispose()
    finally:
        if not args.keep and not args.database:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
