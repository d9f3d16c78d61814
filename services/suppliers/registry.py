"""Use cases: registering and updating suppliers and their effective-dated agreements (events via the outbox)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.orm import Session

from services.suppliers import rules
from services.suppliers.errors import SUPPLIER_NAME_TAKEN
from services.suppliers.models import (
    Agreement,
    AgreementFixedPrice,
    AgreementType,
    AuditLog,
    BorneBy,
    PayoutSchedule,
    Supplier,
    SupplierStatus,
    messaging,
)
from shared.db import get_or_404, new_id, table_of, utcnow
from shared.errors import DomainError

PROFILE_FIELDS = (
    "business_name",
    "owner_name",
    "phone",
    "email",
    "address",
    "nib",
    "npwp",
    "pirt_number",
    "bank_name",
    "bank_account_number",
    "bank_account_holder",
)


def supplier_event(session: Session, supplier: Supplier) -> dict:
    """The ``supplier.registered/updated`` payload: the terms in force now that inventory and pos need."""
    agreement = current_agreement(session, supplier.id)
    return {
        "supplier_id": supplier.id,
        "name": supplier.business_name,
        "status": supplier.status,
        "consignment_days": agreement.consignment_days if agreement else rules.DEFAULT_CONSIGNMENT_DAYS,
        "shrinkage_borne_by": agreement.shrinkage_borne_by if agreement else BorneBy.SUPPLIER,
    }


def register_supplier(session: Session, data: dict, actor: str = "") -> Supplier:
    """A new supplier with its first agreement (the default 20 % commission when none is given)."""
    data = dict(data)
    agreement = data.pop("agreement", None) or {}
    supplier = Supplier(
        id=data.pop("id", None) or new_id(),
        **data,
        status=SupplierStatus.ACTIVE,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    if session.get(Supplier, supplier.id) is not None:
        raise DomainError(f"supplier {supplier.id} already exists", status=409)
    session.add(supplier)
    session.flush()
    agreement.setdefault("effective_from", rules.BEGINNING_OF_TIME)
    _add_agreement(session, supplier.id, agreement, actor)
    messaging.record(session, "supplier.registered", supplier_event(session, supplier))
    return supplier


def update_supplier(session: Session, supplier_id: str, changes: dict, actor: str = "") -> Supplier:
    supplier = get_or_404(session, Supplier, supplier_id, lock=True, what="supplier")
    for key, value in changes.items():
        setattr(supplier, key, value)
    supplier.updated_at = utcnow()
    session.add(
        AuditLog(actor=actor, action="supplier.updated", object_id=supplier.id, detail=json.dumps(changes, default=str))
    )
    session.flush()
    messaging.record(session, "supplier.updated", supplier_event(session, supplier))
    return supplier


def unique_business_name(session: Session, data: dict) -> dict:
    """``data`` when no supplier has its business name yet (compared without case), else a 422 on
    ``business_name`` (what keeps a file imported twice from registering everyone twice)."""
    name = data["business_name"].strip()
    taken = session.scalar(select(Supplier.id).where(func.lower(Supplier.business_name) == name.lower()).limit(1))
    if taken is not None:
        raise DomainError(
            f"a supplier named {name!r} is already registered",
            errors={"business_name": ["A supplier with this name is already registered."]},
            code=SUPPLIER_NAME_TAKEN,
        )
    return data


def list_suppliers(session: Session, status: str | None = None) -> list[Supplier]:
    query = select(Supplier).order_by(Supplier.business_name)
    if status:
        query = query.where(Supplier.status == status)
    return list(session.execute(query).scalars())


def add_agreement(session: Session, supplier_id: str, data: dict, actor: str = "") -> Agreement:
    """New terms from ``effective_from`` (default now); earlier sales keep the terms they were posted under."""
    supplier = get_or_404(session, Supplier, supplier_id, what="supplier")
    data = dict(data)
    data.setdefault("effective_from", utcnow())
    agreement = _add_agreement(session, supplier.id, data, actor)
    messaging.record(session, "supplier.updated", supplier_event(session, supplier))
    return agreement


def _add_agreement(session: Session, supplier_id: str, data: dict, actor: str) -> Agreement:
    fixed_prices = data.pop("fixed_prices", []) or []
    kind = data.get("type", AgreementType.COMMISSION)
    if kind == AgreementType.FIXED_PRICE and not fixed_prices:
        raise DomainError(
            "a fixed-price agreement needs at least one product price",
            errors={"fixed_prices": ["At least one product price is required."]},
        )
    products = [str(p["product_id"]) for p in fixed_prices]
    if len(set(products)) != len(products):
        raise DomainError("a product is priced twice", errors={"fixed_prices": ["Each product at most once."]})
    agreement = Agreement(
        id=new_id(),
        supplier_id=supplier_id,
        type=kind,
        commission_bps=data.get("commission_bps", rules.DEFAULT_COMMISSION_BPS),
        payout_schedule=data.get("payout_schedule", PayoutSchedule.MONTHLY),
        minimum_payout=data.get("minimum_payout", 0),
        holdback_days=data.get("holdback_days", rules.DEFAULT_HOLDBACK_DAYS),
        shrinkage_borne_by=data.get("shrinkage_borne_by", BorneBy.SUPPLIER),
        consignment_days=data.get("consignment_days", rules.DEFAULT_CONSIGNMENT_DAYS),
        effective_from=data["effective_from"],
        created_at=utcnow(),
        created_by=actor,
    )
    session.add(agreement)
    session.flush()
    for price in fixed_prices:
        session.add(
            AgreementFixedPrice(
                agreement_id=agreement.id, product_id=str(price["product_id"]), supplier_price=price["supplier_price"]
            )
        )
    session.add(
        AuditLog(
            actor=actor,
            action="agreement.added",
            object_id=agreement.id,
            detail=json.dumps({"supplier_id": supplier_id, **data}, default=str),
        )
    )
    session.flush()
    return agreement


def list_agreements(session: Session, supplier_id: str) -> list[Agreement]:
    get_or_404(session, Supplier, supplier_id, what="supplier")
    return list(
        session.execute(
            select(Agreement)
            .where(Agreement.supplier_id == str(supplier_id))
            .order_by(Agreement.effective_from, Agreement.created_at)
        ).scalars()
    )


def fixed_prices_of(session: Session, agreement_id: str) -> dict[str, int]:
    return dict(
        session.execute(
            select(AgreementFixedPrice.product_id, AgreementFixedPrice.supplier_price).where(
                AgreementFixedPrice.agreement_id == agreement_id
            )
        )
        .tuples()
        .all()
    )


def agreement_at(session: Session, supplier_id: str, moment: datetime) -> Agreement | None:
    """The agreement in force at ``moment`` (the latest one effective by then; the earliest if none was yet)."""
    base = select(Agreement).where(Agreement.supplier_id == str(supplier_id))
    found = session.execute(
        base.where(Agreement.effective_from <= moment)
        .order_by(Agreement.effective_from.desc(), Agreement.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if found is None:
        found = session.execute(
            base.order_by(Agreement.effective_from, Agreement.created_at).limit(1)
        ).scalar_one_or_none()
    return found


def current_agreement(session: Session, supplier_id: str) -> Agreement | None:
    return agreement_at(session, supplier_id, utcnow())


def terms_at(session: Session, supplier_id: str, moment: datetime) -> rules.Terms:
    """The pure :class:`rules.Terms` in force at ``moment`` (default terms for a supplier never registered)."""
    return terms_for(session, [(str(supplier_id), moment)])[(str(supplier_id), moment)]


_agreements = table_of(Agreement)
#: The agreements of some suppliers, oldest first, with what their terms need (plain rows, no ORM instances: a
#: consumer batch asks for every supplier it posts for).
_TERMS_OF_SUPPLIERS = (
    select(
        _agreements.c.id,
        _agreements.c.supplier_id,
        _agreements.c.type,
        _agreements.c.commission_bps,
        _agreements.c.holdback_days,
        _agreements.c.effective_from,
    )
    .where(_agreements.c.supplier_id.in_(bindparam("supplier_ids", expanding=True)))
    .order_by(_agreements.c.effective_from, _agreements.c.created_at)
)


def terms_for(session: Session, wanted: Iterable[tuple[str, datetime]]) -> dict[tuple[str, datetime], rules.Terms]:
    """:func:`terms_at` for each ``(supplier_id, moment)``, from two queries in all (the suppliers' agreements,
    then the fixed prices of those that are used): the latest agreement effective by then, the earliest if none
    was yet, default terms for a supplier never registered."""
    wanted = set(wanted)
    agreements: dict[str, list[Row[Any]]] = {}
    for agreement in session.execute(_TERMS_OF_SUPPLIERS, {"supplier_ids": sorted({s for s, _ in wanted})}):
        agreements.setdefault(agreement.supplier_id, []).append(agreement)
    chosen: dict[tuple[str, datetime], Row[Any] | None] = {}
    for supplier_id, moment in wanted:
        candidates = agreements.get(supplier_id, [])
        in_force = [agreement for agreement in candidates if agreement.effective_from <= moment]
        chosen[(supplier_id, moment)] = in_force[-1] if in_force else (candidates[0] if candidates else None)
    fixed_ids = {a.id for a in chosen.values() if a is not None and a.type == AgreementType.FIXED_PRICE}
    fixed: dict[str, dict[str, int]] = {}
    if fixed_ids:
        for agreement_id, product_id, price in session.execute(
            select(
                AgreementFixedPrice.agreement_id, AgreementFixedPrice.product_id, AgreementFixedPrice.supplier_price
            ).where(AgreementFixedPrice.agreement_id.in_(fixed_ids))
        ):
            fixed.setdefault(agreement_id, {})[product_id] = price
    return {
        key: rules.DEFAULT_TERMS
        if agreement is None
        else rules.Terms(
            agreement_id=agreement.id,
            type=agreement.type,
            commission_bps=agreement.commission_bps,
            holdback_days=agreement.holdback_days,
            fixed_prices=fixed.get(agreement.id, {}),
        )
        for key, agreement in chosen.items()
    }


def agreement_dict(session: Session, agreement: Agreement) -> dict:
    return {
        "id": agreement.id,
        "supplier_id": agreement.supplier_id,
        "type": agreement.type,
        "commission_bps": agreement.commission_bps,
        "fixed_prices": [
            {"product_id": k, "supplier_price": v} for k, v in sorted(fixed_prices_of(session, agreement.id).items())
        ],
        "payout_schedule": agreement.payout_schedule,
        "minimum_payout": agreement.minimum_payout,
        "holdback_days": agreement.holdback_days,
        "shrinkage_borne_by": agreement.shrinkage_borne_by,
        "consignment_days": agreement.consignment_days,
        "effective_from": agreement.effective_from,
        "created_at": agreement.created_at,
    }
