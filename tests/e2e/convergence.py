"""What the fault tests check after every fault: sales keep flowing at the counter, and once the fault has healed
every sale the POS acknowledged is applied exactly once at inventory and at suppliers, the stock and ledger
invariants hold, the suppliers reconciliation of the period agrees, and the dead letters hold exactly the poison."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import requests
from sqlalchemy import func, select

from services.inventory.models import Movement, MovementKind
from services.suppliers import ledger
from services.suppliers.models import PayableItem, PayableKind
from shared import business_time
from tests.e2e.counter import BARCODE, PRICE, ok
from tests.support import eventually

#: A fault has healed when every acknowledged sale has converged within this many seconds.
HEAL_WITHIN = 60


@dataclass
class SalesFlow:
    """A cashier checking out one unit at a time in a thread, each with its own Idempotency-Key (retried with the
    same key on any error, as a counter would): ``sales`` holds what the POS acknowledged (201)."""

    platform: object
    shop: dict
    sales: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: Seconds between one acknowledged sale and the next checkout.
    pace: float = 0.05

    def __post_init__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> SalesFlow:
        self._thread.start()
        return self

    def wait_for(self, count: int, timeout: float = 30) -> None:
        eventually(lambda: len(self.sales) >= count, timeout=timeout, message=f"{count} sales acknowledged")

    def stop(self) -> list[dict]:
        self._stop.set()
        self._thread.join(30)
        return self.sales

    def _run(self) -> None:
        http = requests.Session()
        url = f"{self.platform.api('pos')}/sales"
        body = {
            "register_id": self.shop["register"]["id"],
            "lines": [{"barcode": BARCODE, "qty": 1}],
            "payments": [{"method": "cash", "amount": PRICE, "tendered": PRICE}],
        }
        while not self._stop.is_set():
            headers = {**self.shop["cashier"], "Idempotency-Key": str(uuid.uuid4())}
            while not self._stop.is_set():
                try:
                    response = http.post(url, headers=headers, json=body, timeout=10)
                except requests.RequestException as exc:
                    self.errors.append(str(exc))
                    time.sleep(0.2)
                    continue
                if response.status_code == 201:
                    self.sales.append(response.json())
                    break
                self.errors.append(f"{response.status_code} {response.text[:200]}")
                time.sleep(0.2)
            time.sleep(self.pace)


def sold_at_inventory(platform) -> dict[str, int]:
    """Units taken from stock per sale id."""
    runtime = platform.runtime("inventory")
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(Movement.reference_id, -func.sum(Movement.qty))
            .where(Movement.kind == MovementKind.SALE)
            .group_by(Movement.reference_id)
        ).all()
    return dict(rows)


def posted_at_suppliers(platform) -> dict[str, int]:
    """Sale lines posted to the ledger per sale id."""
    runtime = platform.runtime("suppliers")
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(PayableItem.source_id, func.count())
            .where(PayableItem.kind == PayableKind.SALE)
            .group_by(PayableItem.source_id)
        ).all()
    return dict(rows)


def dead_letters(platform, service: str) -> list:
    runtime = platform.runtime(service)
    table = runtime.messaging.dead_letters
    with runtime.engine.connect() as conn:
        return conn.execute(select(table.c.consumer, table.c.event_id, table.c.error)).all()


def backlog(platform, service: str) -> dict:
    runtime = platform.runtime(service)
    with runtime.session_factory() as session:
        return runtime.messaging.backlog(session)


def assert_converged(
    platform,
    shop,
    sales: list[dict],
    expected: dict[str, int] | None = None,
    poison: dict[str, list[str]] | None = None,
) -> None:
    """Within :data:`HEAL_WITHIN` seconds: each sale in ``sales`` (``expected``: units per sale id, default one
    unit each) taken from stock once and posted once, nothing else; the stock and ledger invariants hold; the
    reconciliation agrees (:func:`assert_reconciled`); the dead letters of each consumer hold exactly the event ids
    of ``poison`` (by service, "" for poison without one; none by default)."""
    expected = expected if expected is not None else {sale["id"]: 1 for sale in sales}
    eventually(
        lambda: sold_at_inventory(platform) == expected,
        timeout=HEAL_WITHIN,
        interval=0.5,
        message=f"each of {len(expected)} sales taken from stock exactly once",
    )
    eventually(
        lambda: posted_at_suppliers(platform) == {sale_id: 1 for sale_id in expected},
        timeout=HEAL_WITHIN,
        interval=0.5,
        message=f"each of {len(expected)} sales posted to the ledger exactly once",
    )
    invariant = requests.get(f"{platform.api('inventory')}/stock/invariant", headers=shop["manager"], timeout=10)
    assert invariant.status_code == 200 and invariant.json()["ok"] is True, invariant.text
    with platform.runtime("suppliers").session_factory() as session:
        assert ledger.check_invariants(session)["ok"]
    assert_reconciled(platform, shop, sales=len(expected))
    for service in ("inventory", "suppliers"):
        held = dead_letters(platform, service)
        assert sorted(row.event_id for row in held) == sorted((poison or {}).get(service, [])), held


def assert_reconciled(platform, shop, sales: int) -> dict:
    """The suppliers reconciliation (the real one: asked for over HTTP by the manager, run by the suppliers worker,
    which fetches the POS's sales and refunds and inventory's movements) of yesterday and today finds nothing
    missing, duplicated or mismatched among ``sales`` POS sales, and the ledger invariants hold. Returns the
    report."""
    today = business_time.today()
    queued = ok(
        platform.http.post(
            f"{platform.api('suppliers')}/reconciliations",
            headers=shop["manager"],
            json={"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()},
        ),
        202,
    )
    url = f"{platform.api('suppliers')}/reconciliations/{queued['id']}"

    def finished():
        found = ok(platform.http.get(url, headers=shop["manager"]))
        return found if found["status"] in ("done", "failed") else None

    done = eventually(
        finished,
        timeout=HEAL_WITHIN,
        interval=0.5,
        message="the suppliers worker ran the reconciliation",
    )
    assert done["status"] == "done", done
    report = done["report"]
    assert (report["missing"], report["duplicated"], report["mismatched"]) == ([], [], []), report
    assert report["invariants"]["ok"] and report["ok"] is True, report
    assert report["counts"]["pos_sales"] == sales, report["counts"]
    return report
