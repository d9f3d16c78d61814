"""Stock counts (stock opname): sessions, counted quantities, the variance report and its approval."""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.inventory import rules
from services.inventory.catalogue import next_counter
from services.inventory.errors import COUNT_NOT_OPEN, INVALID_COUNT_LINES, UNKNOWN_PRODUCT
from services.inventory.models import AlertKind, CountLine, CountSession, CountStatus, MovementKind, Product
from services.inventory.stock.alerts import resolve_alerts
from services.inventory.stock.ledger import (
    NewMovement,
    fefo_moves,
    lock_stock,
    on_hand,
    post_movements,
    set_count_flag,
)
from shared import business_time
from shared.db import get_or_404, utcnow
from shared.errors import Conflict, DomainError


def open_count(session: Session, data: dict, actor: str, outlet_id: str) -> CountSession:
    """A count session over the given products (all active products when none are given)."""
    product_ids = [str(p) for p in data.get("product_ids") or []]
    if product_ids:
        found = set(session.scalars(select(Product.id).where(Product.id.in_(product_ids))))
        unknown = {i: ["Unknown product."] for i, p in enumerate(product_ids) if p not in found}
        if unknown:
            raise DomainError("unknown products in the count", errors={"product_ids": unknown}, code=UNKNOWN_PRODUCT)
    else:
        product_ids = list(session.scalars(select(Product.id).where(Product.active.is_(True)).order_by(Product.id)))
    count = CountSession(
        number=f"SO-{business_time.today():%Y%m%d}-{next_counter(session, 'count'):04d}",
        outlet_id=outlet_id,
        status=CountStatus.OPEN,
        note=data.get("note"),
        opened_by=actor,
        opened_at=utcnow(),
    )
    session.add(count)
    session.flush()
    for product_id in dict.fromkeys(product_ids):
        session.add(CountLine(session_id=count.id, product_id=product_id))
    session.flush()
    return count


def list_counts(session: Session, status: CountStatus | None = None) -> list[CountSession]:
    query = select(CountSession).order_by(CountSession.opened_at.desc(), CountSession.id)
    if status:
        query = query.where(CountSession.status == status)
    return list(session.scalars(query))


def record_counts(session: Session, count_id, entries: list[dict], counted_by: str) -> CountSession:
    """Enter counted quantities (typed: ``counted`` sets it; scanned: ``add`` adds to it) by product id or
    barcode. The expected quantity is the on-hand at the moment of counting, so sales during the count do
    not show up as variance.

    ``counted_by`` is the name of whoever counted, shown per line on the count pages: the API passes
    ``current_principal().name``. Opening, approving and cancelling record the actor instead."""
    count = get_or_404(session, CountSession, count_id, lock=True, what="count")
    if count.status != CountStatus.OPEN:
        raise Conflict(
            f"count {count.number} is {count.status}; counts can only be entered while it is open",
            errors={"status": [count.status]},
            code=COUNT_NOT_OPEN,
        )
    lines = {
        line.product_id: line for line in session.scalars(select(CountLine).where(CountLine.session_id == count.id))
    }
    errors, resolved = {}, []
    for index, entry in enumerate(entries):
        product_id = str(entry["product_id"]) if entry.get("product_id") else None
        if product_id is None:
            gtin = _gtin_or_none(entry["barcode"])
            product_id = session.scalar(select(Product.id).where(Product.gtin == gtin)) if gtin else None
            if product_id is None:
                errors[index] = {"barcode": ["No product has this barcode."]}
                continue
        if product_id not in lines:
            errors[index] = {"product_id": ["This product is not part of this count."]}
            continue
        resolved.append((lines[product_id], entry))
    if errors:
        raise DomainError("some counted lines are invalid", errors={"lines": errors}, code=INVALID_COUNT_LINES)
    now = utcnow()
    for line, entry in resolved:
        line.expected = on_hand(session, count.outlet_id, line.product_id)
        line.counted = entry["counted"] if "counted" in entry else (line.counted or 0) + entry["add"]
        line.reason = entry.get("reason") or line.reason
        line.counted_by, line.counted_at = counted_by, now
    return count


def _gtin_or_none(code: str) -> str | None:
    try:
        return rules.gtin14(code)
    except rules.InvalidBarcode:
        return None


def variance_report(session: Session, count_id) -> dict:
    """Expected against counted per product, in units and rupiah, with totals."""
    count = get_or_404(session, CountSession, count_id, what="count")
    rows = session.execute(
        select(CountLine, Product)
        .join(Product, Product.id == CountLine.product_id)
        .where(CountLine.session_id == count.id)
        .order_by(Product.name, Product.id)
    ).all()
    lines, total_units, total_rupiah = [], 0, 0
    for line, product in rows:
        item = {
            "product_id": product.id,
            "sku": product.sku,
            "name": product.name,
            "unit_price": product.price,
            "expected": line.expected,
            "counted": line.counted,
            "variance_units": None,
            "variance_rupiah": None,
            "reason": line.reason,
            "counted_by": line.counted_by,
        }
        if line.counted is not None:
            variance = rules.count_variance(line.expected, line.counted, product.price)
            item.update(variance_units=variance.units, variance_rupiah=variance.rupiah)
            total_units += variance.units
            total_rupiah += variance.rupiah
        lines.append(item)
    return {
        "id": count.id,
        "number": count.number,
        "status": count.status,
        "outlet_id": count.outlet_id,
        "opened_by": count.opened_by,
        "opened_at": count.opened_at,
        "closed_by": count.closed_by,
        "closed_at": count.closed_at,
        "lines": lines,
        "uncounted": sum(1 for x in lines if x["counted"] is None),
        "total_variance_units": total_units,
        "total_variance_rupiah": total_rupiah,
    }


class _CountMovement(TypedDict):
    """What every ``count_adjustment`` movement of one count line records besides its quantity and lot."""

    reason: str
    reference_id: str
    recorded_by: str
    line_reference: str


def approve_count(session: Session, count_id, actor: str, reason: str | None = None) -> list[dict]:
    """Post a ``count_adjustment`` per counted product whose count differs, clear its count flag and close
    the session. Shortfalls leave the lots FEFO; surpluses come in unallocated."""
    count = get_or_404(session, CountSession, count_id, lock=True, what="count")
    if count.status != CountStatus.OPEN:
        raise Conflict(
            f"count {count.number} is already {count.status}", errors={"status": [count.status]}, code=COUNT_NOT_OPEN
        )
    counted = list(
        session.scalars(select(CountLine).where(CountLine.session_id == count.id, CountLine.counted.is_not(None)))
    )
    products = {
        p.id: p for p in session.scalars(select(Product).where(Product.id.in_([c.product_id for c in counted])))
    }
    lock_stock(session, count.outlet_id, products)
    shortfalls: list[NewMovement] = []
    surpluses: list[NewMovement] = []
    for line in sorted(counted, key=lambda c: c.product_id):
        product = products[line.product_id]
        if line.counted is None or line.expected is None:
            raise RuntimeError(f"Count line {line.id} was counted but has no expected quantity.")
        units = line.counted - line.expected
        movement = _CountMovement(
            reason=line.reason or reason or "stock opname",
            reference_id=count.id,
            recorded_by=actor,
            line_reference=line.id,
        )
        if units < 0:
            shortfalls.append((product, -units, {"kind": MovementKind.COUNT_ADJUSTMENT, **movement}))
        elif units > 0:
            surpluses.append((product, units, {"kind": MovementKind.COUNT_ADJUSTMENT, **movement}))
    moves = fefo_moves(session, count.outlet_id, shortfalls) + surpluses
    movements = post_movements(session, count.outlet_id, moves)
    for product in products.values():
        set_count_flag(session, count.outlet_id, product.id, False)
        if on_hand(session, count.outlet_id, product.id) >= 0:
            resolve_alerts(session, product.id, count.outlet_id, AlertKind.NEGATIVE_ON_HAND)
    count.status, count.closed_by, count.closed_at = CountStatus.APPROVED, actor, utcnow()
    return movements


def cancel_count(session: Session, count_id, actor: str) -> CountSession:
    count = get_or_404(session, CountSession, count_id, lock=True, what="count")
    if count.status != CountStatus.OPEN:
        raise Conflict(
            f"count {count.number} is already {count.status}", errors={"status": [count.status]}, code=COUNT_NOT_OPEN
        )
    count.status, count.closed_by, count.closed_at = CountStatus.CANCELLED, actor, utcnow()
    return count
