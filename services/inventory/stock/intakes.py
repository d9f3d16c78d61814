"""Consignment intakes (nota titip): one lot and one ``intake`` movement per line."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.inventory.catalogue import known_supplier, next_counter
from services.inventory.errors import INTAKE_EXISTS, INVALID_INTAKE_LINES
from services.inventory.models import Intake, Lot, MovementKind, Product, SupplierReplica, messaging
from services.inventory.stock.ledger import NewMovement, lock_stock, post_movements
from shared import business_time
from shared.db import get_or_404, new_id, utcnow
from shared.errors import Conflict, DomainError


def record_intake(
    session: Session, data: dict, actor: str, outlet_id: str, receiver_name: str
) -> tuple[Intake, list[dict]]:
    """A consignment delivery: one lot and one ``intake`` movement per line (nota titip).

    ``actor`` (:func:`shared.auth.current_actor`) is recorded on the movements. ``receiver_name`` is a person's
    name, printed on the nota titip as "Diterima oleh" when ``data`` names no ``received_by``: the API passes
    ``current_principal().name``, not the actor."""
    supplier = known_supplier(session, data["supplier_id"])
    received_on = data.get("received_on") or business_time.today()
    products, errors = check_lines(session, supplier.id, data["lines"], received_on)
    if errors:
        raise DomainError("some intake lines are invalid", errors={"lines": errors}, code=INVALID_INTAKE_LINES)
    number = f"NT-{received_on:%Y%m%d}-{next_counter(session, f'intake:{received_on:%Y%m%d}'):03d}"
    intake = Intake(
        outlet_id=outlet_id,
        supplier_id=supplier.id,
        number=number,
        received_on=received_on,
        received_by=data.get("received_by") or receiver_name,
        note=data.get("note"),
    )
    if data.get("id"):
        if session.get(Intake, str(data["id"])) is not None:
            raise Conflict(
                f"intake {data['id']} already exists", errors={"id": ["Already exists."]}, code=INTAKE_EXISTS
            )
        intake.id = str(data["id"])
    session.add(intake)
    session.flush()
    lock_stock(session, outlet_id, [p.id for p in products])
    received: list[NewMovement] = []
    lots: list[tuple[Lot, Product]] = []
    occurred_at = utcnow()
    for line_no, (line, product) in enumerate(zip(data["lines"], products, strict=False), start=1):
        lot = Lot(
            id=new_id(),
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
        _announce_lot(session, lot)
        session.add(lot)
        session.flush()
        received.append(
            (
                product,
                line["qty"],
                {
                    "kind": MovementKind.INTAKE,
                    "lot_id": lot.id,
                    "occurred_at": occurred_at,
                    "reference_id": intake.id,
                    "line_reference": str(line_no),
                    "recorded_by": actor,
                },
            )
        )
        lots.append((lot, product))
    post_movements(session, outlet_id, received)
    return intake, [_intake_line(lot, product) for lot, product in lots]


def check_lines(
    session: Session, supplier_id: str, lines: list[dict], on: date
) -> tuple[list[Product], dict[int, dict[str, list[str]]]]:
    """The products of ``lines`` (``product_id``, ``expiry_date``) and their errors by line index: a product must
    be ``supplier_id``'s, expiry is required where the product needs it and may not be before ``on``."""
    errors: dict[int, dict[str, list[str]]] = {}
    products: list[Product] = []
    for index, line in enumerate(lines):
        line_errors: dict[str, list[str]] = {}
        product = session.get(Product, str(line["product_id"]))
        if product is None:
            line_errors["product_id"] = ["Unknown product."]
        elif product.supplier_id != supplier_id:
            line_errors["product_id"] = ["This product belongs to another supplier."]
        elif product.requires_expiry and line.get("expiry_date") is None:
            line_errors["expiry_date"] = ["Required for this product."]
        if line.get("expiry_date") is not None and line["expiry_date"] < on:
            line_errors.setdefault("expiry_date", []).append("Must not be before the intake date.")
        if line_errors:
            errors[index] = line_errors
        elif product is not None:  # a line without errors names a known product
            products.append(product)
    return products, errors


def _announce_lot(session: Session, lot: Lot) -> None:
    """``lot.received``: the lot's code and expiry for the supplier's own view of its stock."""
    messaging.record(
        session,
        "lot.received",
        {
            "lot_id": lot.id,
            "outlet_id": lot.outlet_id,
            "product_id": lot.product_id,
            "supplier_id": lot.supplier_id,
            "lot_code": lot.lot_code,
            "expiry_date": lot.expiry_date,
            "received_on": lot.received_on,
        },
    )


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
    intake = get_or_404(session, Intake, intake_id, what="intake")
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
