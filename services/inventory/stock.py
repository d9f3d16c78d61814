"""Use cases of the stock ledger: intake, sales and refunds (from events), write-offs, counts (stock opname),
returns to supplier, alerts, the invariant check and the reconciliation feed.

Every change of a quantity goes through :func:`post_movement`, which appends the movement, moves the lot's
and the product's on-hand with atomic ``UPDATE … SET on_hand = on_hand + :qty`` statements and publishes
``stock.moved``. Whoever posts movements first locks the products' stock rows with :func:`lock_stock`, in
product id order, so concurrent sales of the same product serialise instead of losing updates (PostgreSQL
row locks; SQLite takes its write lock at ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from services.inventory import rules
from services.inventory.catalogue import get_product, known_supplier, next_counter
from services.inventory.models import (
    Alert,
    CountLine,
    CountSession,
    Intake,
    Lot,
    Movement,
    Product,
    ProductStock,
    SupplierReplica,
    SupplierReturn,
    SupplierReturnLine,
    WriteOff,
    messaging,
)
from shared import business_time
from shared.celery_factory import RetryLater
from shared.db import insert_or_skip, new_id, utcnow
from shared.errors import Conflict, DomainError, NotFound

INTAKE = "intake"
SALE = "sale"
REFUND = "refund"
RETURN_TO_SUPPLIER = "return_to_supplier"
COUNT_ADJUSTMENT = "count_adjustment"
WRITE_OFF = "write_off"
WRITE_OFF_REASONS = ("damaged", "expired", "lost")
DEFAULT_NEAR_EXPIRY_DAYS = 30
DEFAULT_SLOW_MOVER_DAYS = 60

_stock = ProductStock.__table__
_lots = Lot.__table__
_movements = Movement.__table__


# -- the core: locks and movements ----------------------------------------------------------------------
def lock_stock(session: Session, outlet_id: str, product_ids) -> None:
    """Make sure each product has a stock row at ``outlet_id`` and lock those rows in a fixed (id) order."""
    ids = sorted({str(p) for p in product_ids})
    for product_id in ids:
        insert_or_skip(
            session,
            _stock,
            {"product_id": product_id, "outlet_id": outlet_id, "on_hand": 0, "flagged_for_count": False},
        )
    if ids:
        session.execute(
            select(_stock.c.product_id)
            .where(_stock.c.outlet_id == outlet_id, _stock.c.product_id.in_(ids))
            .order_by(_stock.c.product_id)
            .with_for_update()
        ).all()


def on_hand(session: Session, outlet_id: str, product_id: str) -> int:
    return (
        session.execute(
            select(_stock.c.on_hand).where(_stock.c.outlet_id == outlet_id, _stock.c.product_id == product_id)
        ).scalar_one_or_none()
        or 0
    )


def lot_balances(session: Session, outlet_id: str, product_id: str) -> list[rules.LotBalance]:
    """The product's lots at the outlet that still hold stock (read after :func:`lock_stock`)."""
    rows = session.execute(
        select(_lots.c.id, _lots.c.on_hand, _lots.c.expiry_date, _lots.c.received_on).where(
            _lots.c.outlet_id == outlet_id, _lots.c.product_id == product_id, _lots.c.on_hand > 0
        )
    ).all()
    return [rules.LotBalance(r.id, r.on_hand, r.expiry_date, r.received_on) for r in rows]


def post_movement(
    session: Session,
    product: Product,
    outlet_id: str,
    kind: str,
    qty: int,
    *,
    lot_id: str | None = None,
    occurred_at: datetime | None = None,
    unit_price: int | None = None,
    reason: str | None = None,
    borne_by: str | None = None,
    reference_id: str | None = None,
    line_reference: str | None = None,
    recorded_by: str | None = None,
) -> dict:
    """Append one movement and move the lot's and product's on-hand with it (caller holds the stock lock)."""
    if qty == 0:
        raise ValueError("a movement moves something")
    occurred_at = occurred_at or utcnow()
    movement = {
        "id": new_id(),
        "outlet_id": outlet_id,
        "product_id": product.id,
        "supplier_id": product.supplier_id,
        "lot_id": lot_id,
        "kind": kind,
        "qty": qty,
        "unit_price": product.price if unit_price is None else unit_price,
        "reason": reason,
        "borne_by": borne_by,
        "reference_id": reference_id,
        "line_reference": line_reference,
        "recorded_by": recorded_by,
        "occurred_at": occurred_at,
        "recorded_at": utcnow(),
    }
    session.execute(_movements.insert().values(**movement))
    if lot_id is not None:
        session.execute(update(_lots).where(_lots.c.id == lot_id).values(on_hand=_lots.c.on_hand + qty))
    after = session.execute(
        update(_stock)
        .where(_stock.c.product_id == product.id, _stock.c.outlet_id == outlet_id)
        .values(on_hand=_stock.c.on_hand + qty)
        .returning(_stock.c.on_hand)
    ).scalar_one()
    messaging.record(
        session,
        "stock.moved",
        {
            **{
                k: movement[k]
                for k in (
                    "outlet_id",
                    "product_id",
                    "supplier_id",
                    "lot_id",
                    "kind",
                    "qty",
                    "unit_price",
                    "reason",
                    "borne_by",
                    "reference_id",
                    "occurred_at",
                )
            },
            "movement_id": movement["id"],
            "on_hand_after": after,
        },
    )
    _after_movement(session, product, outlet_id, qty, after)
    movement["on_hand_after"] = after
    return movement


def _after_movement(session: Session, product: Product, outlet_id: str, qty: int, after: int) -> None:
    """Alerts that follow from a new on-hand: negative (flag for a count), low stock, or back above both."""
    if after < 0:
        session.execute(
            update(_stock)
            .where(_stock.c.product_id == product.id, _stock.c.outlet_id == outlet_id)
            .values(flagged_for_count=True)
        )
        raise_alert(
            session,
            product,
            outlet_id,
            "negative_on_hand",
            f"{product.name}: on hand is {after}; the shelf needs a count",
        )
    elif qty < 0 and product.reorder_point > 0 and after <= product.reorder_point:
        raise_alert(
            session,
            product,
            outlet_id,
            "low_stock",
            f"{product.name}: {after} left (reorder point {product.reorder_point})",
        )
    if qty > 0 and after > product.reorder_point:
        resolve_alerts(session, product.id, outlet_id, "low_stock")


def take_fefo(session: Session, product: Product, outlet_id: str, kind: str, qty: int, **movement) -> list[dict]:
    """Take ``qty`` units out first-expiry-first-out; what the lots lack comes from unallocated stock."""
    allocation = rules.allocate_fefo(qty, lot_balances(session, outlet_id, product.id))
    return [
        post_movement(session, product, outlet_id, kind, -units, lot_id=lot_id, **movement)
        for lot_id, units in allocation
    ]


# -- alerts ---------------------------------------------------------------------------------------------
def raise_alert(
    session: Session, product: Product, outlet_id: str, kind: str, message: str, lot_id: str | None = None
) -> Alert | None:
    """Open an alert (and send it to the suppliers service) unless the same one is already open."""
    already = session.scalar(
        select(Alert.id).where(
            Alert.product_id == product.id,
            Alert.outlet_id == outlet_id,
            Alert.kind == kind,
            Alert.lot_id.is_(None) if lot_id is None else Alert.lot_id == lot_id,
            Alert.status == "open",
        )
    )
    if already is not None:
        return None
    alert = Alert(
        outlet_id=outlet_id,
        product_id=product.id,
        supplier_id=product.supplier_id,
        lot_id=lot_id,
        kind=kind,
        message=message[:300],
        status="open",
        raised_at=utcnow(),
    )
    session.add(alert)
    session.flush()
    messaging.record(
        session,
        "stock.alert_raised",
        {
            "alert_id": alert.id,
            "outlet_id": outlet_id,
            "product_id": product.id,
            "supplier_id": product.supplier_id,
            "kind": kind,
            "message": alert.message,
            "lot_id": lot_id,
            "raised_at": alert.raised_at,
        },
    )
    return alert


def resolve_alerts(session: Session, product_id: str, outlet_id: str, kind: str) -> None:
    session.execute(
        update(Alert)
        .where(Alert.product_id == product_id, Alert.outlet_id == outlet_id, Alert.kind == kind, Alert.status == "open")
        .values(status="resolved", resolved_at=utcnow())
    )


def resolve_alert(session: Session, alert_id) -> Alert:
    alert = session.get(Alert, str(alert_id))
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    if alert.status == "open":
        alert.status, alert.resolved_at = "resolved", utcnow()
    return alert


def list_alerts(
    session: Session, status: str | None = "open", kind: str | None = None, supplier_id: str | None = None
) -> list[Alert]:
    query = select(Alert).order_by(Alert.raised_at.desc(), Alert.id)
    if status:
        query = query.where(Alert.status == status)
    if kind:
        query = query.where(Alert.kind == kind)
    if supplier_id:
        query = query.where(Alert.supplier_id == str(supplier_id))
    return list(session.scalars(query))


def scan_alerts(
    session: Session, outlet_id: str, today: date | None = None, near_expiry_days: int = DEFAULT_NEAR_EXPIRY_DAYS
) -> int:
    """Raise near-expiry and consignment-ended alerts for lots still on the shelf; returns how many are new."""
    today = today or business_time.today()
    raised = 0
    rows = session.execute(
        select(Lot, Product, SupplierReplica.consignment_days)
        .join(Product, Product.id == Lot.product_id)
        .outerjoin(SupplierReplica, SupplierReplica.id == Lot.supplier_id)
        .where(Lot.outlet_id == outlet_id, Lot.on_hand > 0)
        .order_by(Lot.product_id, Lot.id)
    ).all()
    for lot, product, consignment_days in rows:
        if lot.expiry_date is not None and lot.expiry_date <= today + timedelta(days=near_expiry_days):
            word = "expired" if lot.expiry_date < today else "expires"
            raised += (
                raise_alert(
                    session,
                    product,
                    outlet_id,
                    "near_expiry",
                    f"{product.name} lot {lot.lot_code}: {lot.on_hand} {word} on {lot.expiry_date}",
                    lot.id,
                )
                is not None
            )
        if consignment_days is not None and lot.received_on + timedelta(days=consignment_days) < today:
            raised += (
                raise_alert(
                    session,
                    product,
                    outlet_id,
                    "consignment_ended",
                    f"{product.name} lot {lot.lot_code}: consignment period of {consignment_days} days ended",
                    lot.id,
                )
                is not None
            )
    return raised


# -- intake ---------------------------------------------------------------------------------------------
def record_intake(session: Session, data: dict, actor: str, outlet_id: str) -> tuple[Intake, list[dict]]:
    """A consignment delivery: one lot and one ``intake`` movement per line (nota titip)."""
    supplier = known_supplier(session, data["supplier_id"])
    received_on = data.get("received_on") or business_time.today()
    errors: dict[int, dict] = {}
    products: list[Product] = []
    for index, line in enumerate(data["lines"]):
        line_errors: dict[str, list[str]] = {}
        product = session.get(Product, str(line["product_id"]))
        if product is None:
            line_errors["product_id"] = ["Unknown product."]
        elif product.supplier_id != supplier.id:
            line_errors["product_id"] = ["This product belongs to another supplier."]
        elif product.requires_expiry and line.get("expiry_date") is None:
            line_errors["expiry_date"] = ["Required for this product."]
        if line.get("expiry_date") is not None and line["expiry_date"] < received_on:
            line_errors.setdefault("expiry_date", []).append("Must not be before the intake date.")
        if line_errors:
            errors[index] = line_errors
        products.append(product)
    if errors:
        raise DomainError("some intake lines are invalid", errors={"lines": errors})
    number = f"NT-{received_on:%Y%m%d}-{next_counter(session, f'intake:{received_on:%Y%m%d}'):03d}"
    intake = Intake(
        outlet_id=outlet_id,
        supplier_id=supplier.id,
        number=number,
        received_on=received_on,
        received_by=data.get("received_by") or actor,
        note=data.get("note"),
    )
    if data.get("id"):
        if session.get(Intake, str(data["id"])) is not None:
            raise Conflict(f"intake {data['id']} already exists", errors={"id": ["Already exists."]})
        intake.id = str(data["id"])
    session.add(intake)
    session.flush()
    lock_stock(session, outlet_id, [p.id for p in products])
    lines = []
    occurred_at = utcnow()
    for line_no, (line, product) in enumerate(zip(data["lines"], products, strict=False), start=1):
        lot = Lot(
            outlet_id=outlet_id,
            product_id=product.id,
            supplier_id=supplier.id,
            intake_id=intake.id,
            line_no=line_no,
            lot_code=line.get("lot_code") or f"{number}/{line_no}",
            expiry_date=line.get("expiry_date"),
            received_on=received_on,
            received_qty=line["qty"],
            on_hand=0,
        )
        session.add(lot)
        session.flush()
        post_movement(
            session,
            product,
            outlet_id,
            INTAKE,
            line["qty"],
            lot_id=lot.id,
            occurred_at=occurred_at,
            reference_id=intake.id,
            line_reference=str(line_no),
            recorded_by=actor,
        )
        lines.append(_intake_line(lot, product))
    return intake, lines


def _intake_line(lot: Lot, product: Product) -> dict:
    return {
        "line_no": lot.line_no,
        "lot_id": lot.id,
        "product_id": product.id,
        "sku": product.sku,
        "name": product.name,
        "barcode": product.barcode,
        "unit": product.unit,
        "qty": lot.received_qty,
        "lot_code": lot.lot_code,
        "expiry_date": lot.expiry_date,
    }


def get_intake(session: Session, intake_id) -> tuple[Intake, list[dict], SupplierReplica | None]:
    intake = session.get(Intake, str(intake_id))
    if intake is None:
        raise NotFound(f"intake {intake_id} not found")
    rows = session.execute(
        select(Lot, Product)
        .join(Product, Product.id == Lot.product_id)
        .where(Lot.intake_id == intake.id)
        .order_by(Lot.line_no)
    ).all()
    return (
        intake,
        [_intake_line(lot, product) for lot, product in rows],
        session.get(SupplierReplica, intake.supplier_id),
    )


def list_intakes(session: Session, supplier_id: str | None = None) -> list[Intake]:
    query = select(Intake).order_by(Intake.created_at.desc(), Intake.id)
    if supplier_id:
        query = query.where(Intake.supplier_id == str(supplier_id))
    return list(session.scalars(query))


# -- sales and refunds (from the POS) -------------------------------------------------------------------
def _products(session: Session, product_ids) -> dict[str, Product]:
    ids = {str(p) for p in product_ids}
    found = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))}
    missing = ids - found.keys()
    if missing:
        raise RetryLater(f"products not known yet: {sorted(missing)}")
    return found


def apply_sale(session: Session, sale: dict) -> list[dict]:
    """``sale.completed``: take each line's units FEFO. Never refused: on-hand may go negative (flagged)."""
    outlet_id = str(sale["outlet_id"])
    lines = sorted(sale["lines"], key=lambda line: (str(line["product_id"]), str(line["line_id"])))
    products = _products(session, [line["product_id"] for line in lines])
    lock_stock(session, outlet_id, products)
    movements = []
    for line in lines:
        movements += take_fefo(
            session,
            products[str(line["product_id"])],
            outlet_id,
            SALE,
            line["qty"],
            occurred_at=sale["completed_at"],
            unit_price=line["unit_price"],
            reference_id=str(sale["sale_id"]),
            line_reference=str(line["line_id"]),
            recorded_by=sale.get("cashier_id") or None,
        )
    return movements


def apply_refund(session: Session, refund: dict) -> list[dict]:
    """``sale.refunded``: when the goods go back to stock, into the lots the sale took them from.
    Needs the sale's movements: a refund that arrives before its sale is retried later."""
    if not refund["back_to_stock"]:
        return []
    sale_id = str(refund["sale_id"])
    sold = session.execute(
        select(
            _movements.c.line_reference,
            _movements.c.lot_id,
            _movements.c.qty,
            _movements.c.unit_price,
            _lots.c.expiry_date,
            _lots.c.received_on,
        )
        .select_from(_movements.outerjoin(_lots, _lots.c.id == _movements.c.lot_id))
        .where(_movements.c.reference_id == sale_id, _movements.c.kind == SALE)
    ).all()
    if not sold:
        raise RetryLater(f"sale {sale_id} has not reached inventory yet")
    outlet_id = str(refund["outlet_id"])
    lines = sorted(refund["lines"], key=lambda line: (str(line["product_id"]), str(line["sale_line_id"])))
    products = _products(session, [line["product_id"] for line in lines])
    lock_stock(session, outlet_id, products)
    movements = []
    for line in lines:
        line_id = str(line["sale_line_id"])
        taken_rows = sorted(
            (r for r in sold if r.line_reference == line_id),
            key=lambda r: (r.lot_id is None, r.expiry_date or date.max, r.received_on or date.max, r.lot_id or ""),
        )
        taken = [(r.lot_id, -r.qty) for r in taken_rows]
        refunded = dict(
            session.execute(
                select(_movements.c.lot_id, func.sum(_movements.c.qty))
                .where(_movements.c.kind == REFUND, _movements.c.line_reference == line_id)
                .group_by(_movements.c.lot_id)
            ).all()
        )
        unit_price = taken_rows[0].unit_price if taken_rows else None
        for lot_id, units in rules.allocate_refund(line["qty"], taken, refunded):
            movements.append(
                post_movement(
                    session,
                    products[str(line["product_id"])],
                    outlet_id,
                    REFUND,
                    units,
                    lot_id=lot_id,
                    occurred_at=refund["refunded_at"],
                    unit_price=unit_price,
                    reference_id=str(refund["refund_id"]),
                    line_reference=line_id,
                )
            )
    return movements


# -- write-offs -----------------------------------------------------------------------------------------
def write_off(session: Session, data: dict, actor: str, outlet_id: str) -> tuple[WriteOff, list[dict]]:
    """Take damaged, expired or lost goods out of stock; who bears the loss defaults to the agreement."""
    product = session.get(Product, str(data["product_id"]))
    if product is None:
        raise DomainError("unknown product", errors={"product_id": ["Unknown product."]})
    lot_id = str(data["lot_id"]) if data.get("lot_id") else None
    if lot_id is not None:
        lot = session.get(Lot, lot_id)
        if lot is None or lot.product_id != product.id or lot.outlet_id != outlet_id:
            raise DomainError("unknown lot", errors={"lot_id": ["Not a lot of this product at this outlet."]})
    supplier = session.get(SupplierReplica, product.supplier_id)
    borne_by = data.get("borne_by") or (supplier.shrinkage_borne_by if supplier else "supplier")
    lock_stock(session, outlet_id, [product.id])
    available = _available(session, outlet_id, product.id, lot_id)
    if data["qty"] > available:
        raise DomainError(f"only {available} on hand to write off", errors={"qty": [f"At most {available}."]})
    record = WriteOff(
        outlet_id=outlet_id,
        product_id=product.id,
        supplier_id=product.supplier_id,
        lot_id=lot_id,
        qty=data["qty"],
        reason=data["reason"],
        borne_by=borne_by,
        note=data.get("note"),
        recorded_by=actor,
        recorded_at=utcnow(),
    )
    session.add(record)
    session.flush()
    movement = dict(reason=data["reason"], borne_by=borne_by, reference_id=record.id, recorded_by=actor)
    if lot_id is not None:
        movements = [post_movement(session, product, outlet_id, WRITE_OFF, -data["qty"], lot_id=lot_id, **movement)]
    else:
        movements = take_fefo(session, product, outlet_id, WRITE_OFF, data["qty"], **movement)
    return record, movements


def _available(session: Session, outlet_id: str, product_id: str, lot_id: str | None) -> int:
    if lot_id is None:
        return max(on_hand(session, outlet_id, product_id), 0)
    return max(session.execute(select(_lots.c.on_hand).where(_lots.c.id == lot_id)).scalar_one(), 0)


# -- counts (stock opname) ------------------------------------------------------------------------------
def open_count(session: Session, data: dict, actor: str, outlet_id: str) -> CountSession:
    """A count session over the given products (all active products when none are given)."""
    product_ids = [str(p) for p in data.get("product_ids") or []]
    if product_ids:
        found = set(session.scalars(select(Product.id).where(Product.id.in_(product_ids))))
        unknown = {i: ["Unknown product."] for i, p in enumerate(product_ids) if p not in found}
        if unknown:
            raise DomainError("unknown products in the count", errors={"product_ids": unknown})
    else:
        product_ids = list(session.scalars(select(Product.id).where(Product.active.is_(True)).order_by(Product.id)))
    count = CountSession(
        number=f"SO-{business_time.today():%Y%m%d}-{next_counter(session, 'count'):04d}",
        outlet_id=outlet_id,
        status="open",
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


def list_counts(session: Session, status: str | None = None) -> list[CountSession]:
    query = select(CountSession).order_by(CountSession.opened_at.desc(), CountSession.id)
    if status:
        query = query.where(CountSession.status == status)
    return list(session.scalars(query))


def _count_session(session: Session, count_id, lock: bool = False) -> CountSession:
    count = session.get(CountSession, str(count_id), with_for_update=lock)
    if count is None:
        raise NotFound(f"count {count_id} not found")
    return count


def record_counts(session: Session, count_id, entries: list[dict], actor: str) -> CountSession:
    """Enter counted quantities (typed: ``counted`` sets it; scanned: ``add`` adds to it) by product id or
    barcode. The expected quantity is the on-hand at the moment of counting, so sales during the count do
    not show up as variance."""
    count = _count_session(session, count_id, lock=True)
    if count.status != "open":
        raise Conflict(
            f"count {count.number} is {count.status}; counts can only be entered while it is open",
            errors={"status": [count.status]},
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
        raise DomainError("some counted lines are invalid", errors={"lines": errors})
    now = utcnow()
    for line, entry in resolved:
        line.expected = on_hand(session, count.outlet_id, line.product_id)
        line.counted = entry["counted"] if "counted" in entry else (line.counted or 0) + entry["add"]
        line.reason = entry.get("reason") or line.reason
        line.counted_by, line.counted_at = actor, now
    return count


def _gtin_or_none(code: str) -> str | None:
    try:
        return rules.gtin14(code)
    except rules.InvalidBarcode:
        return None


def variance_report(session: Session, count_id) -> dict:
    """Expected against counted per product, in units and rupiah, with totals."""
    count = _count_session(session, count_id)
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


def approve_count(session: Session, count_id, actor: str, reason: str | None = None) -> list[dict]:
    """Post a ``count_adjustment`` per counted product whose count differs, clear its count flag and close
    the session. Shortfalls leave the lots FEFO; surpluses come in unallocated."""
    count = _count_session(session, count_id, lock=True)
    if count.status != "open":
        raise Conflict(f"count {count.number} is already {count.status}", errors={"status": [count.status]})
    counted = list(
        session.scalars(select(CountLine).where(CountLine.session_id == count.id, CountLine.counted.is_not(None)))
    )
    products = {
        p.id: p for p in session.scalars(select(Product).where(Product.id.in_([c.product_id for c in counted])))
    }
    lock_stock(session, count.outlet_id, products)
    movements = []
    for line in sorted(counted, key=lambda c: c.product_id):
        product = products[line.product_id]
        units = line.counted - line.expected
        movement = dict(
            reason=line.reason or reason or "stock opname",
            reference_id=count.id,
            recorded_by=actor,
            line_reference=line.id,
        )
        if units < 0:
            movements += take_fefo(session, product, count.outlet_id, COUNT_ADJUSTMENT, -units, **movement)
        elif units > 0:
            movements.append(post_movement(session, product, count.outlet_id, COUNT_ADJUSTMENT, units, **movement))
        session.execute(
            update(_stock)
            .where(_stock.c.product_id == product.id, _stock.c.outlet_id == count.outlet_id)
            .values(flagged_for_count=False)
        )
        if on_hand(session, count.outlet_id, product.id) >= 0:
            resolve_alerts(session, product.id, count.outlet_id, "negative_on_hand")
    count.status, count.closed_by, count.closed_at = "approved", actor, utcnow()
    return movements


def cancel_count(session: Session, count_id, actor: str) -> CountSession:
    count = _count_session(session, count_id, lock=True)
    if count.status != "open":
        raise Conflict(f"count {count.number} is already {count.status}", errors={"status": [count.status]})
    count.status, count.closed_by, count.closed_at = "cancelled", actor, utcnow()
    return count


# -- returns to supplier (retur) ------------------------------------------------------------------------
def pick_list(
    session: Session,
    supplier_id: str,
    outlet_id: str,
    today: date | None = None,
    near_expiry_days: int = DEFAULT_NEAR_EXPIRY_DAYS,
    slow_mover_days: int = DEFAULT_SLOW_MOVER_DAYS,
) -> list[dict]:
    """What should go back to the supplier: expired and near-expiry lots, lots past the consignment period,
    and slow movers (nothing sold for ``slow_mover_days`` since they arrived)."""
    supplier = known_supplier(session, supplier_id)
    today = today or business_time.today()
    last_sales = dict(
        session.execute(
            select(_movements.c.product_id, func.max(_movements.c.occurred_at))
            .where(
                _movements.c.supplier_id == supplier.id, _movements.c.kind == SALE, _movements.c.outlet_id == outlet_id
            )
            .group_by(_movements.c.product_id)
        ).all()
    )
    rows = session.execute(
        select(Lot, Product)
        .join(Product, Product.id == Lot.product_id)
        .where(Lot.supplier_id == supplier.id, Lot.outlet_id == outlet_id, Lot.on_hand > 0)
        .order_by(Product.name, Lot.expiry_date, Lot.received_on, Lot.id)
    ).all()
    items = []
    for lot, product in rows:
        last_sold = last_sales.get(product.id)
        reasons = rules.return_reasons(
            today=today,
            expiry_date=lot.expiry_date,
            received_on=lot.received_on,
            consignment_days=supplier.consignment_days,
            near_expiry_days=near_expiry_days,
            last_sold_on=business_time.business_day(last_sold) if last_sold else None,
            slow_mover_days=slow_mover_days,
        )
        if reasons:
            items.append(
                {
                    "lot_id": lot.id,
                    "product_id": product.id,
                    "sku": product.sku,
                    "name": product.name,
                    "lot_code": lot.lot_code,
                    "expiry_date": lot.expiry_date,
                    "received_on": lot.received_on,
                    "on_hand": lot.on_hand,
                    "reasons": reasons,
                }
            )
    return items


def record_return(session: Session, data: dict, actor: str, outlet_id: str) -> SupplierReturn:
    """The supplier collected goods: one ``return_to_supplier`` movement per line, and a numbered note."""
    supplier = known_supplier(session, data["supplier_id"])
    errors, resolved = {}, []
    for index, line in enumerate(data["lines"]):
        lot = session.get(Lot, str(line["lot_id"]))
        if lot is None or lot.outlet_id != outlet_id:
            errors[index] = {"lot_id": ["Unknown lot."]}
        elif lot.supplier_id != supplier.id:
            errors[index] = {"lot_id": ["This lot belongs to another supplier."]}
        else:
            resolved.append((lot, line))
    if errors:
        raise DomainError("some return lines are invalid", errors={"lines": errors})
    products = {
        p.id: p
        for p in session.scalars(select(Product).where(Product.id.in_({line.product_id for line, _ in resolved})))
    }
    lock_stock(session, outlet_id, products)
    wanted: dict[str, int] = defaultdict(int)
    for lot, line in resolved:
        wanted[lot.id] += line["qty"]
    for index, (lot, _line) in enumerate(resolved):
        available = _available(session, outlet_id, lot.product_id, lot.id)
        if wanted[lot.id] > available:
            errors[index] = {"qty": [f"Lot {lot.lot_code} has only {available} on hand."]}
    if errors:
        raise DomainError("more than is on hand", errors={"lines": errors})
    today = business_time.today()
    note = SupplierReturn(
        number=f"RT-{today:%Y%m%d}-{next_counter(session, f'return:{today:%Y%m%d}'):03d}",
        outlet_id=outlet_id,
        supplier_id=supplier.id,
        collected_by=data["collected_by"],
        recorded_by=actor,
        collected_at=utcnow(),
    )
    session.add(note)
    session.flush()
    for lot, line in resolved:
        reason = line.get("reason") or "retur"
        session.add(
            SupplierReturnLine(
                return_id=note.id, product_id=lot.product_id, lot_id=lot.id, qty=line["qty"], reason=reason
            )
        )
        post_movement(
            session,
            products[lot.product_id],
            outlet_id,
            RETURN_TO_SUPPLIER,
            -line["qty"],
            lot_id=lot.id,
            reason=reason,
            reference_id=note.id,
            recorded_by=actor,
        )
    session.flush()
    return note


def list_returns(session: Session, supplier_id: str | None = None) -> list[SupplierReturn]:
    query = select(SupplierReturn).order_by(SupplierReturn.collected_at.desc(), SupplierReturn.id)
    if supplier_id:
        query = query.where(SupplierReturn.supplier_id == supplier_id)
    return list(session.scalars(query))


def get_return(session: Session, return_id) -> tuple[SupplierReturn, list[dict], SupplierReplica | None]:
    note = session.get(SupplierReturn, str(return_id))
    if note is None:
        raise NotFound(f"return {return_id} not found")
    rows = session.execute(
        select(SupplierReturnLine, Product, Lot)
        .join(Product, Product.id == SupplierReturnLine.product_id)
        .outerjoin(Lot, Lot.id == SupplierReturnLine.lot_id)
        .where(SupplierReturnLine.return_id == note.id)
        .order_by(Product.name, SupplierReturnLine.id)
    ).all()
    lines = [
        {
            "product_id": p.id,
            "sku": p.sku,
            "name": p.name,
            "lot_id": line.lot_id,
            "lot_code": lot.lot_code if lot else None,
            "expiry_date": lot.expiry_date if lot else None,
            "qty": line.qty,
            "reason": line.reason,
        }
        for line, p, lot in rows
    ]
    return note, lines, session.get(SupplierReplica, note.supplier_id)


# -- reading stock --------------------------------------------------------------------------------------
def product_stock(session: Session, product_id, outlet_id: str, supplier_id: str | None = None) -> dict:
    product = get_product(session, product_id, supplier_id)
    row = session.execute(
        select(_stock).where(_stock.c.product_id == product.id, _stock.c.outlet_id == outlet_id)
    ).one_or_none()
    lots = session.execute(
        select(_lots)
        .where(_lots.c.product_id == product.id, _lots.c.outlet_id == outlet_id)
        .order_by(_lots.c.expiry_date, _lots.c.received_on, _lots.c.id)
    ).all()
    lot_total = sum(lot.on_hand for lot in lots)
    return {
        "product_id": product.id,
        "outlet_id": outlet_id,
        "on_hand": row.on_hand if row else 0,
        "flagged_for_count": bool(row.flagged_for_count) if row else False,
        "unallocated": (row.on_hand if row else 0) - lot_total,
        "lots": [
            {
                "lot_id": lot.id,
                "lot_code": lot.lot_code,
                "expiry_date": lot.expiry_date,
                "received_on": lot.received_on,
                "on_hand": lot.on_hand,
            }
            for lot in fefo_sorted(lots)
        ],
    }


def fefo_sorted(lots):
    return sorted(lots, key=lambda lot: (lot.expiry_date is None, lot.expiry_date or date.max, lot.received_on, lot.id))


def stock_listing(session: Session, outlet_id: str, supplier_id: str | None = None) -> list[dict]:
    query = (
        select(Product, _stock.c.on_hand, _stock.c.flagged_for_count)
        .outerjoin(_stock, and_(_stock.c.product_id == Product.id, _stock.c.outlet_id == outlet_id))
        .order_by(Product.name, Product.id)
    )
    if supplier_id:
        query = query.where(Product.supplier_id == str(supplier_id))
    return [
        {
            "product_id": p.id,
            "sku": p.sku,
            "name": p.name,
            "supplier_id": p.supplier_id,
            "unit": p.unit,
            "price": p.price,
            "reorder_point": p.reorder_point,
            "on_hand": qty or 0,
            "flagged_for_count": bool(flag),
            "active": p.active,
        }
        for p, qty, flag in session.execute(query).all()
    ]


def check_invariant(session: Session) -> dict:
    """Whether every product's and lot's on-hand equals the sum of its movements (all outlets)."""
    by_product = session.execute(
        select(_stock.c.product_id, _stock.c.outlet_id, _stock.c.on_hand, func.coalesce(func.sum(_movements.c.qty), 0))
        .select_from(
            _stock.outerjoin(
                _movements,
                and_(_movements.c.product_id == _stock.c.product_id, _movements.c.outlet_id == _stock.c.outlet_id),
            )
        )
        .group_by(_stock.c.product_id, _stock.c.outlet_id, _stock.c.on_hand)
    ).all()
    by_lot = session.execute(
        select(_lots.c.id, _lots.c.product_id, _lots.c.on_hand, func.coalesce(func.sum(_movements.c.qty), 0))
        .select_from(_lots.outerjoin(_movements, _movements.c.lot_id == _lots.c.id))
        .group_by(_lots.c.id, _lots.c.product_id, _lots.c.on_hand)
    ).all()
    mismatches = [
        {"product_id": p, "outlet_id": o, "lot_id": None, "on_hand": held, "sum_of_movements": int(total)}
        for p, o, held, total in by_product
        if held != total
    ]
    mismatches += [
        {"product_id": p, "outlet_id": None, "lot_id": lot, "on_hand": held, "sum_of_movements": int(total)}
        for lot, p, held, total in by_lot
        if held != total
    ]
    return {
        "ok": not mismatches,
        "products_checked": len(by_product),
        "lots_checked": len(by_lot),
        "mismatches": mismatches,
    }


def movements_between(session: Session, start: datetime, end: datetime, batch: int = 1000) -> Iterator[dict]:
    """Every movement with ``start <= occurred_at < end``, oldest first, read in batches (keyset paging)."""
    last: tuple[datetime, str] | None = None
    while True:
        query = (
            select(
                _movements.c.id,
                _movements.c.kind,
                _movements.c.reference_id,
                _movements.c.line_reference,
                _movements.c.product_id,
                _movements.c.supplier_id,
                _movements.c.lot_id,
                _movements.c.qty,
                _movements.c.unit_price,
                _movements.c.borne_by,
                _movements.c.outlet_id,
                _movements.c.occurred_at,
            )
            .where(_movements.c.occurred_at >= start, _movements.c.occurred_at < end)
            .order_by(_movements.c.occurred_at, _movements.c.id)
            .limit(batch)
        )
        if last is not None:
            query = query.where(
                (_movements.c.occurred_at > last[0])
                | and_(_movements.c.occurred_at == last[0], _movements.c.id > last[1])
            )
        rows = session.execute(query).all()
        for row in rows:
            yield {
                "movement_id": row.id,
                "kind": row.kind,
                "reference_id": row.reference_id,
                "line_reference": row.line_reference,
                "product_id": row.product_id,
                "supplier_id": row.supplier_id,
                "lot_id": row.lot_id,
                "qty": row.qty,
                "unit_price": row.unit_price,
                "borne_by": row.borne_by,
                "outlet_id": row.outlet_id,
                "occurred_at": row.occurred_at.isoformat(),
            }
        if len(rows) < batch:
            return
        last = (rows[-1].occurred_at, rows[-1].id)
