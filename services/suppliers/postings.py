"""Use cases fed by other services' events: sales, refunds and centre-borne write-offs posted to the ledger;
product, stock and alert copies for the supplier's view.

Every effect is keyed by its business id (sale id, refund id, movement id), so a fact posts once even when it
arrives twice or under a second event id; a refund that arrives before its sale asks to be retried later.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.suppliers import ledger, registry, rules
from services.suppliers.models import BorneBy, Lot, PayableItem, PayableKind, Product, StockAlert, StockMovement
from shared.celery_factory import RetryLater
from shared.db import insert_or_skip, insert_or_skip_many, table_of, utcnow


def _product_name(session: Session, product_id: str, fallback: str = "") -> str:
    if fallback:
        return fallback
    name = session.execute(select(Product.name).where(Product.id == product_id)).scalar_one_or_none()
    return name or ""


def post_sale(session: Session, sale: dict) -> bool:
    """``sale.completed`` (:func:`post_sales` with one). Returns ``False`` when the sale was already posted."""
    return bool(post_sales(session, [sale]))


def post_sales(session: Session, sales: list[dict]) -> list[str]:
    """``sale.completed`` for a batch of sales: one journal entry per sale, each line's share to its supplier's
    payable and the commission to revenue under the terms in force at ``completed_at``; the terms read, and the
    entries, postings and payable rows written for all of them together.
    A sale posted before (its entry's source is taken: :func:`ledger.post_entries`) is skipped. Returns the ids
    of the sales posted now."""
    terms = registry.terms_for(
        session, {(str(line["supplier_id"]), sale["completed_at"]) for sale in sales for line in sale["lines"]}
    )
    drafts: list[ledger.EntryDraft] = []
    items: list[list[dict]] = []
    for sale in sales:
        sale_id, completed_at = str(sale["sale_id"]), sale["completed_at"]
        legs: list[ledger.Leg] = []
        sale_items = []
        for line in sale["lines"]:
            supplier_id, product_id = str(line["supplier_id"]), str(line["product_id"])
            line_terms = terms[(supplier_id, completed_at)]
            split = rules.split_line(line_terms, product_id, line["qty"], line["line_total"])
            legs += [
                ledger.Leg(ledger.SALES_CLEARING, line["line_total"]),
                ledger.Leg(ledger.payable_account(supplier_id), -split.share),
                ledger.Leg(ledger.COMMISSION_REVENUE, -split.commission),
            ]
            sale_items.append(
                dict(
                    dedupe_key=f"sale:{line['line_id']}",
                    supplier_id=supplier_id,
                    kind=PayableKind.SALE,
                    source_id=sale_id,
                    line_id=str(line["line_id"]),
                    reference=sale.get("receipt_no", ""),
                    product_id=product_id,
                    product_name=_product_name(session, product_id, line.get("name", "")),
                    qty=line["qty"],
                    unit_price=line["unit_price"],
                    gross=line["line_total"],
                    commission=split.commission,
                    amount=split.share,
                    agreement_id=line_terms.agreement_id,
                    occurred_at=completed_at,
                    available_at=completed_at + timedelta(days=line_terms.holdback_days),
                )
            )
        drafts.append(ledger.EntryDraft("sale", sale_id, f"Penjualan {sale.get('receipt_no', '')}", completed_at, legs))
        items.append(sale_items)
    entry_ids = ledger.post_entries(session, drafts)
    ledger.add_payable_items(
        session,
        [
            {"entry_id": entry_id, **item}
            for entry_id, sale_items in zip(entry_ids, items, strict=True)
            if entry_id is not None
            for item in sale_items
        ],
    )
    return [str(sale["sale_id"]) for sale, entry_id in zip(sales, entry_ids, strict=True) if entry_id is not None]


def post_refund(session: Session, refund: dict) -> bool:
    """``sale.refunded``: the exact reversal of the refunded lines (their share and commission, cumulatively
    rounded so all refunds of a line add up to the original). Raises :class:`RetryLater` before its sale."""
    refund_id, sale_id = str(refund["refund_id"]), str(refund["sale_id"])
    already_sold = session.execute(
        select(func.count())
        .select_from(PayableItem)
        .where(PayableItem.kind == PayableKind.SALE, PayableItem.source_id == sale_id)
    ).scalar_one()
    if not already_sold:
        raise RetryLater(f"refund {refund_id} waits for sale {sale_id}")
    if ledger.is_posted(session, "refund", refund_id):  # read before the reversal is worked out against itself
        return False
    refunded_at: datetime = refund["refunded_at"]
    legs: list[ledger.Leg] = []
    items = []
    for line in refund["lines"]:
        line_id = str(line["sale_line_id"])
        original = session.execute(
            select(PayableItem).where(PayableItem.dedupe_key == f"sale:{line_id}").with_for_update()
        ).scalar_one_or_none()
        if original is None or original.source_id != sale_id:
            raise ValueError(f"refund {refund_id} names line {line_id}, which is not in sale {sale_id}")
        refunded_before = -int(
            session.execute(
                select(func.coalesce(func.sum(PayableItem.gross), 0)).where(
                    PayableItem.kind == PayableKind.REFUND, PayableItem.line_id == line_id
                )
            ).scalar_one()
        )
        reversal = rules.refund_reversal(
            rules.Split(original.amount, original.commission), original.gross, refunded_before, line["amount"]
        )
        legs += [
            ledger.Leg(ledger.SALES_CLEARING, -line["amount"]),
            ledger.Leg(ledger.payable_account(original.supplier_id), reversal.share),
            ledger.Leg(ledger.COMMISSION_REVENUE, reversal.commission),
        ]
        items.append(
            dict(
                dedupe_key=f"refund:{refund_id}:{line_id}",
                supplier_id=original.supplier_id,
                kind=PayableKind.REFUND,
                source_id=refund_id,
                line_id=line_id,
                reference=refund.get("receipt_no", "") or original.reference,
                product_id=original.product_id,
                product_name=original.product_name,
                qty=-line["qty"],
                unit_price=original.unit_price,
                gross=-line["amount"],
                commission=-reversal.commission,
                amount=-reversal.share,
                agreement_id=original.agreement_id,
                occurred_at=refunded_at,
                available_at=original.available_at,
            )
        )
    entry = ledger.post_entry(
        session,
        source_type="refund",
        source_id=refund_id,
        description=f"Retur penjualan {sale_id}",
        occurred_at=refunded_at,
        legs=legs,
    )
    if entry is None:  # a copy of the refund posted it meanwhile
        return False
    ledger.add_payable_items(session, [{"entry_id": entry, **item} for item in items])
    return True


def record_stock_movements(session: Session, movements: list[dict]) -> None:
    """``stock.moved``: keep the movements for the supplier's stock view (one insert-or-skip for all); a
    write-off the centre bears credits the supplier as if the goods had been sold at ``unit_price`` (terms at the
    time of the write-off)."""
    rows = [
        dict(
            id=str(movement["movement_id"]),
            supplier_id=str(movement["supplier_id"]),
            product_id=str(movement["product_id"]),
            lot_id=str(movement["lot_id"]) if movement.get("lot_id") else None,
            kind=movement["kind"],
            qty=movement["qty"],
            unit_price=movement.get("unit_price", 0),
            borne_by=movement.get("borne_by"),
            reason=movement.get("reason"),
            reference_id=movement.get("reference_id"),
            occurred_at=movement["occurred_at"],
        )
        for movement in movements
    ]
    insert_or_skip_many(session.connection(), table_of(StockMovement), rows, "id")
    for movement in movements:
        if movement["kind"] == "write_off" and movement.get("borne_by") == BorneBy.CENTRE:
            credit_write_off(session, movement)


def credit_write_off(session: Session, movement: dict) -> bool:
    movement_id = str(movement["movement_id"])
    if ledger.is_posted(session, "write_off", movement_id):
        return False
    supplier_id, product_id = str(movement["supplier_id"]), str(movement["product_id"])
    qty = abs(movement["qty"])
    unit_price = (
        movement.get("unit_price")
        or session.execute(select(Product.price).where(Product.id == product_id)).scalar_one_or_none()
        or 0
    )
    occurred_at = movement["occurred_at"]
    gross = qty * unit_price
    split = rules.split_line(registry.terms_at(session, supplier_id, occurred_at), product_id, qty, gross)
    entry = ledger.post_entry(
        session,
        source_type="write_off",
        source_id=movement_id,
        description=f"Penghapusan stok ditanggung sentra ({movement.get('reason') or '-'})",
        occurred_at=occurred_at,
        legs=[
            ledger.Leg(ledger.SHRINKAGE_EXPENSE, split.share),
            ledger.Leg(ledger.payable_account(supplier_id), -split.share),
        ],
    )
    if entry is None:  # a copy of the movement posted it meanwhile
        return False
    ledger.add_payable_item(
        session,
        entry,
        dedupe_key=f"write_off:{movement_id}",
        supplier_id=supplier_id,
        kind=PayableKind.WRITE_OFF,
        source_id=movement_id,
        line_id=None,
        reference=movement.get("reason") or "",
        product_id=product_id,
        product_name=_product_name(session, product_id),
        qty=qty,
        unit_price=unit_price,
        gross=gross,
        commission=split.commission,
        amount=split.share,
        agreement_id=None,
        occurred_at=occurred_at,
        available_at=occurred_at,
    )
    return True


def record_stock_alert(session: Session, alert: dict) -> None:
    """``stock.alert_raised``: shown to the supplier whose product it is."""
    insert_or_skip(
        session.connection(),
        table_of(StockAlert),
        dict(
            id=str(alert["alert_id"]),
            supplier_id=str(alert["supplier_id"]),
            product_id=str(alert["product_id"]),
            lot_id=str(alert["lot_id"]) if alert.get("lot_id") else None,
            kind=alert["kind"],
            message=alert["message"],
            raised_at=alert["raised_at"],
        ),
    )


def record_lot(session: Session, lot: dict) -> None:
    """``lot.received``: a lot's code and expiry, for the supplier's stock by lot (kept once; a lot never changes)."""
    insert_or_skip(
        session.connection(),
        table_of(Lot),
        dict(
            id=str(lot["lot_id"]),
            supplier_id=str(lot["supplier_id"]),
            product_id=str(lot["product_id"]),
            lot_code=lot["lot_code"],
            expiry_date=lot["expiry_date"],
            received_on=lot["received_on"],
        ),
    )


def record_product(session: Session, product: dict) -> None:
    """``product.upserted``: keep the newest revision of a product's name and price."""
    values = dict(
        id=str(product["product_id"]),
        supplier_id=str(product["supplier_id"]),
        sku=product["sku"],
        name=product["name"],
        price=product["price"],
        active=product["active"],
        revision=product.get("revision", 0),
        updated_at=utcnow(),
    )
    if not insert_or_skip(session.connection(), table_of(Product), values):
        session.execute(
            update(Product)
            .where(Product.id == values["id"], Product.revision <= values["revision"])
            .values(**{k: v for k, v in values.items() if k != "id"})
        )
