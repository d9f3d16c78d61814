"""Deliveries a supplier announces before bringing the goods (products, quantities, lots, expiry), and their
receipt by a manager: what actually arrived becomes an intake (nota titip) through
:func:`services.inventory.stock.intakes.record_intake`, in the same transaction.

An announcement is ``announced`` until a manager receives it (``received``, linked to its intake) or its
supplier or a manager cancels it (``cancelled``, a manager saying why); either happens once (a conditional
update, so two at the same time cannot both succeed). Only an active supplier can announce one (inventory knows
a supplier's status from its replica, fed by ``supplier.registered`` / ``supplier.updated``). Each delivery
has a number people use (:func:`next_number`); its id never reaches a page."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from services.inventory.catalogue import known_supplier, next_counter
from services.inventory.errors import (
    CANCEL_REASON_REQUIRED,
    DELIVERY_NOT_ANNOUNCED,
    INVALID_DELIVERY_LINES,
    INVALID_INTAKE_LINES,
    NOTHING_RECEIVED,
    SUPPLIER_NOT_ACTIVE,
)
from services.inventory.models import (
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    Intake,
    Product,
    SupplierReplica,
    SupplierStatus,
)
from services.inventory.stock import intakes
from shared import business_time
from shared.db import get_or_404, utcnow
from shared.errors import Conflict, DomainError, NotFound


def announce(session: Session, supplier_id: str, data: dict, actor: str, outlet_id: str) -> dict:
    """A supplier's announced delivery of ``data["lines"]``: each product theirs, expiry where the product needs
    it and not already past. A suspended supplier, or one whose consignment has ended, cannot announce (409)."""
    supplier = known_supplier(session, supplier_id)
    if supplier.status != SupplierStatus.ACTIVE:
        raise Conflict(
            f"supplier {supplier_id} is {supplier.status}: no delivery can be announced",
            code=SUPPLIER_NOT_ACTIVE,
        )
    products, errors = intakes.check_lines(session, supplier_id, data["lines"], business_time.today())
    if errors:
        raise DomainError("some delivery lines are invalid", errors={"lines": errors}, code=INVALID_DELIVERY_LINES)
    delivery = Delivery(
        number=next_number(session, business_time.today().year),
        outlet_id=outlet_id,
        supplier_id=supplier_id,
        note=data.get("note"),
        announced_by=actor,
    )
    if data.get("id"):
        delivery.id = str(data["id"])
    session.add(delivery)
    session.flush()
    for line_no, (line, product) in enumerate(zip(data["lines"], products, strict=True), start=1):
        session.add(
            DeliveryLine(
                delivery_id=delivery.id,
                line_no=line_no,
                product_id=product.id,
                qty=line["qty"],
                lot_code=line.get("lot_code"),
                expiry_date=line.get("expiry_date"),
            )
        )
    session.flush()
    return describe(session, [delivery])[0]


def next_number(session: Session, year: int) -> str:
    """The next delivery number of ``year``: ``KRM-<year>-<serial>``, the serial counting from 000001 each year.

    Gapless and in announcement order: the serial comes from the ``delivery:<year>`` row of the counters table,
    incremented by an atomic UPDATE in the announcing transaction itself. A concurrent announcement waits on that
    row until this one commits, and a refused announcement rolls its increment back with everything else, so
    no number is skipped or given twice. Gapless because the number is what supplier and manager say on the
    phone and on paper: a missing one would send someone looking for a delivery that never existed. (The lock
    serialises announcements, a few a day, which costs nothing here.)"""
    return f"KRM-{year}-{next_counter(session, f'delivery:{year}'):06d}"


def number_of_intake(session: Session, intake_id: str) -> str | None:
    """The number of the delivery an intake was received from (``None``: an intake recorded directly)."""
    return session.scalar(select(Delivery.number).where(Delivery.intake_id == str(intake_id)))


def list_deliveries(
    session: Session, supplier_id: str | None = None, status: str | None = None, limit: int | None = None
) -> list[dict]:
    """Announced deliveries, newest first, optionally of one supplier or in one status, at most ``limit``."""
    query = select(Delivery).order_by(Delivery.announced_at.desc(), Delivery.id)
    if supplier_id:
        query = query.where(Delivery.supplier_id == str(supplier_id))
    if status:
        query = query.where(Delivery.status == status)
    if limit is not None:
        query = query.limit(limit)
    return describe(session, list(session.scalars(query)))


def get_delivery(session: Session, delivery_id: Any, own_supplier: str | None = None) -> Delivery:
    """The delivery; a 404 when ``own_supplier`` (a supplier caller) is not the one who announced it."""
    delivery = get_or_404(session, Delivery, delivery_id, what="delivery")
    if own_supplier is not None and delivery.supplier_id != own_supplier:
        raise NotFound(f"delivery {delivery_id} not found")
    return delivery


def cancel(session: Session, delivery: Delivery, actor: str, reason: str | None, by_manager: bool) -> dict:
    """It will not come after all (only while announced): its supplier withdraws it, or a manager refuses it and
    must say why (the supplier reads the reason in the portal). A received delivery is a 409: its goods are in
    stock, and leave it only by a return to the supplier."""
    reason = (reason or "").strip() or None
    if by_manager and reason is None:
        raise DomainError(
            "a manager must say why the delivery is cancelled",
            errors={"reason": ["Required."]},
            code=CANCEL_REASON_REQUIRED,
        )
    _close(session, delivery, DeliveryStatus.CANCELLED, actor)
    delivery.cancel_reason = reason
    session.flush()
    return describe(session, [delivery])[0]


def receive(session: Session, delivery: Delivery, data: dict, actor: str, outlet_id: str, receiver_name: str) -> dict:
    """What arrived of ``delivery``: ``data["lines"]`` gives every announced line (by ``line_no``) once, with the
    quantity that arrived (0: none) and, when corrected, its lot code and expiry. The lines that arrived become
    an intake with the same rules and nota titip as any intake; the delivery is then ``received`` and linked to
    it."""
    _close(session, delivery, DeliveryStatus.RECEIVED, actor)
    announced = {line.line_no: line for line in _lines(session, delivery.id)}
    errors: dict[int, dict[str, list[str]]] = {}
    seen: set[int] = set()
    for index, line in enumerate(data["lines"]):
        if line["line_no"] not in announced:
            errors[index] = {"line_no": ["Not a line of this delivery."]}
        elif line["line_no"] in seen:
            errors[index] = {"line_no": ["Given twice."]}
        seen.add(line["line_no"])
    missing = sorted(set(announced) - seen)
    if errors or missing:
        raise DomainError(
            "the received lines do not match the announced ones",
            errors={"lines": errors} if errors else {"lines": [f"Line {n} is missing." for n in missing]},
            code=INVALID_DELIVERY_LINES,
        )
    positions, intake_lines = [], []
    for index, line in enumerate(data["lines"]):
        announced_line = announced[line["line_no"]]
        announced_line.received_qty = line["qty"]
        if line["qty"] > 0:
            positions.append(index)
            intake_lines.append(
                {
                    "product_id": announced_line.product_id,
                    "qty": line["qty"],
                    "lot_code": line.get("lot_code", announced_line.lot_code),
                    "expiry_date": line.get("expiry_date", announced_line.expiry_date),
                }
            )
    if not intake_lines:
        raise DomainError(
            "nothing of the delivery arrived", errors={"lines": ["Nothing arrived."]}, code=NOTHING_RECEIVED
        )
    intake_data = {
        "supplier_id": delivery.supplier_id,
        "lines": [{k: v for k, v in line.items() if v is not None} for line in intake_lines],
        "note": data.get("note") or delivery.note,
    }
    try:
        intake, _ = intakes.record_intake(session, intake_data, actor, outlet_id, receiver_name)
    except DomainError as error:
        if error.code != INVALID_INTAKE_LINES or not error.errors:
            raise
        by_position = {positions[index]: line for index, line in error.errors["lines"].items()}
        raise DomainError(error.detail, errors={"lines": by_position}, code=INVALID_INTAKE_LINES) from None
    delivery.intake_id = intake.id
    session.flush()
    return describe(session, [delivery])[0]


def _close(session: Session, delivery: Delivery, status: DeliveryStatus, actor: str) -> None:
    """Move ``delivery`` from announced to ``status``, or a 409 when it was received or cancelled already."""
    closed = cast(
        CursorResult[Any],
        session.execute(
            update(Delivery)
            .where(Delivery.id == delivery.id, Delivery.status == DeliveryStatus.ANNOUNCED)
            .values(status=status, closed_by=actor, closed_at=utcnow())
            .execution_options(synchronize_session="fetch")
        ),
    )
    if closed.rowcount != 1:
        session.refresh(delivery)
        raise Conflict(
            f"delivery {delivery.number} is {delivery.status}, not announced",
            code=DELIVERY_NOT_ANNOUNCED,
        )


def _lines(session: Session, delivery_id: str) -> list[DeliveryLine]:
    return list(
        session.scalars(
            select(DeliveryLine).where(DeliveryLine.delivery_id == delivery_id).order_by(DeliveryLine.line_no)
        )
    )


def describe(session: Session, deliveries: list[Delivery]) -> list[dict]:
    """``deliveries`` with their supplier's name, their lines (product name and SKU) and the number of the intake
    each became (received ones)."""
    ids = [d.id for d in deliveries]
    lines: dict[str, list[dict]] = defaultdict(list)
    if ids:
        rows = session.execute(
            select(DeliveryLine, Product)
            .join(Product, Product.id == DeliveryLine.product_id)
            .where(DeliveryLine.delivery_id.in_(ids))
            .order_by(DeliveryLine.delivery_id, DeliveryLine.line_no)
        ).all()
        for line, product in rows:
            lines[line.delivery_id].append(
                {
                    "line_no": line.line_no,
                    "product_id": product.id,
                    "sku": product.sku,
                    "name": product.name,
                    "requires_expiry": product.requires_expiry,
                    "qty": line.qty,
                    "lot_code": line.lot_code,
                    "expiry_date": line.expiry_date,
                    "received_qty": line.received_qty,
                }
            )
    names = {
        s.id: s.name
        for s in session.scalars(
            select(SupplierReplica).where(SupplierReplica.id.in_({d.supplier_id for d in deliveries}))
        )
    }
    intake_ids = {d.intake_id for d in deliveries if d.intake_id}
    intake_numbers = (
        dict(session.execute(select(Intake.id, Intake.number).where(Intake.id.in_(intake_ids))).tuples().all())
        if intake_ids
        else {}
    )
    return [
        {
            "id": d.id,
            "number": d.number,
            "supplier_id": d.supplier_id,
            "supplier_name": names.get(d.supplier_id),
            "status": d.status,
            "note": d.note,
            "announced_by": d.announced_by,
            "announced_at": d.announced_at,
            "closed_by": d.closed_by,
            "closed_at": d.closed_at,
            "cancel_reason": d.cancel_reason,
            "intake_id": d.intake_id,
            "intake_number": intake_numbers.get(d.intake_id) if d.intake_id else None,
            "lines": lines[d.id],
        }
        for d in deliveries
    ]
