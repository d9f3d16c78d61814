"""Write-offs: damaged, expired or lost goods taken out of stock, and who bears the loss."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.inventory.errors import INSUFFICIENT_STOCK, UNKNOWN_LOT, UNKNOWN_PRODUCT
from services.inventory.models import BorneBy, Lot, MovementKind, Product, SupplierReplica, WriteOff
from services.inventory.stock.ledger import available_to_take, lock_stock, post_movement, take_fefo
from shared.db import utcnow
from shared.errors import DomainError


def write_off(session: Session, data: dict, actor: str, outlet_id: str) -> tuple[WriteOff, list[dict]]:
    """Take damaged, expired or lost goods out of stock; who bears the loss defaults to the agreement."""
    product = session.get(Product, str(data["product_id"]))
    if product is None:
        raise DomainError("unknown product", errors={"product_id": ["Unknown product."]}, code=UNKNOWN_PRODUCT)
    lot_id = str(data["lot_id"]) if data.get("lot_id") else None
    if lot_id is not None:
        lot = session.get(Lot, lot_id)
        if lot is None or lot.product_id != product.id or lot.outlet_id != outlet_id:
            raise DomainError(
                "unknown lot", errors={"lot_id": ["Not a lot of this product at this outlet."]}, code=UNKNOWN_LOT
            )
    supplier = session.get(SupplierReplica, product.supplier_id)
    borne_by = data.get("borne_by") or (supplier.shrinkage_borne_by if supplier else BorneBy.SUPPLIER)
    lock_stock(session, outlet_id, [product.id])
    available = available_to_take(session, outlet_id, product.id, lot_id)
    if data["qty"] > available:
        raise DomainError(
            f"only {available} on hand to write off", errors={"qty": [f"At most {available}."]}, code=INSUFFICIENT_STOCK
        )
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
        movements = [
            post_movement(session, product, outlet_id, MovementKind.WRITE_OFF, -data["qty"], lot_id=lot_id, **movement)
        ]
    else:
        movements = take_fefo(session, product, outlet_id, MovementKind.WRITE_OFF, data["qty"], **movement)
    return record, movements
