"""Stock alerts: raised by movements and by the daily scan, listed and resolved by managers."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.inventory import rules
from services.inventory.models import (
    Alert,
    AlertKind,
    AlertStatus,
    Lot,
    Product,
    ProductFacts,
    SupplierReplica,
    messaging,
)
from shared import business_time
from shared.db import get_or_404, utcnow


def raise_alert(
    session: Session, product: ProductFacts, outlet_id: str, kind: AlertKind, message: str, lot_id: str | None = None
) -> Alert | None:
    """Open an alert (and send it to the suppliers service) unless the same one is already open."""
    already = session.scalar(
        select(Alert.id).where(
            Alert.product_id == product.id,
            Alert.outlet_id == outlet_id,
            Alert.kind == kind,
            Alert.lot_id.is_(None) if lot_id is None else Alert.lot_id == lot_id,
            Alert.status == AlertStatus.OPEN,
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
        status=AlertStatus.OPEN,
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


def resolve_alerts(session: Session, product_id: str, outlet_id: str, kind: AlertKind) -> None:
    session.execute(
        update(Alert)
        .where(
            Alert.product_id == product_id,
            Alert.outlet_id == outlet_id,
            Alert.kind == kind,
            Alert.status == AlertStatus.OPEN,
        )
        .values(status=AlertStatus.RESOLVED, resolved_at=utcnow())
    )


def resolve_alert(session: Session, alert_id) -> Alert:
    alert = get_or_404(session, Alert, alert_id, what="alert")
    if alert.status == AlertStatus.OPEN:
        alert.status, alert.resolved_at = AlertStatus.RESOLVED, utcnow()
    return alert


def list_alerts(
    session: Session,
    status: AlertStatus | None = AlertStatus.OPEN,
    kind: AlertKind | None = None,
    supplier_id: str | None = None,
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
    session: Session, outlet_id: str, today: date | None = None, near_expiry_days: int = rules.DEFAULT_NEAR_EXPIRY_DAYS
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
                    AlertKind.NEAR_EXPIRY,
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
                    AlertKind.CONSIGNMENT_ENDED,
                    f"{product.name} lot {lot.lot_code}: consignment period of {consignment_days} days ended",
                    lot.id,
                )
                is not None
            )
    return raised
