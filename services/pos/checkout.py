"""Use cases of the sale: checkout, QRIS confirmation/retry/switch, void, completion with a gapless receipt
number, and the ``sale.completed`` event (through the outbox, only when the sale is fully paid)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import Any, NamedTuple

from sqlalchemy import (
    Date,
    Row,
    Select,
    Subquery,
    Table,
    TextClause,
    Update,
    bindparam,
    func,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session

from services.pos import approvals, catalogue, idempotency, outlets, qris
from services.pos.errors import (
    NO_OPEN_SHIFT,
    NOT_QRIS,
    PAYMENT_EXPIRED,
    PAYMENT_IN_STATUS,
    PRICE_NOT_CURRENT,
    SALE_ID_TAKEN,
    SALE_IN_STATUS,
    UNKNOWN_OR_UNSELLABLE_PRODUCT,
)
from services.pos.models import (
    OutletSettings,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Register,
    Sale,
    SaleLine,
    SaleStatus,
    Shift,
    messaging,
)
from services.pos.outlets import outlet_settings
from services.pos.pricing import LineInput, PaymentInput, PricingError, price_basket, settle_payments
from services.pos.receipt_numbers import format_receipt_no
from shared import json_text
from shared.auth import Principal
from shared.business_time import business_day
from shared.config import Settings
from shared.db import execute_on_driver, fetch_rows, new_id, table_of, utcnow
from shared.errors import Conflict, DomainError, NotFound
from shared.events import contract


class OutletRules(NamedTuple):
    """What checkout needs of the outlet's settings (saved, or the demo defaults)."""

    ppn_registered: bool
    discount_approval_limit: int
    static_qris_payload: str
    qris_expiry_minutes: int


#: The rules of an outlet whose settings were never saved (:func:`services.pos.outlets.default_settings`).
_DEFAULT_RULES = OutletRules(
    ppn_registered=False,
    discount_approval_limit=outlets.DEFAULT_DISCOUNT_APPROVAL_LIMIT,
    static_qris_payload=outlets.DEMO_STATIC_QRIS,
    qris_expiry_minutes=outlets.DEFAULT_QRIS_EXPIRY_MINUTES,
)


class OpenShift(NamedTuple):
    id: str
    outlet_id: str
    register_id: str
    register_code: str
    outlet: OutletRules


_SHIFTS, _REGISTERS, _OUTLETS = table_of(Shift), table_of(Register), table_of(OutletSettings)
_SALES, _SALE_LINES, _PAYMENTS = table_of(Sale), table_of(SaleLine), table_of(Payment)
_INSERT_OUTBOX = messaging.outbox.insert()
#: The cashier of the sale already recorded under the client's ``sale_id`` (null when there is none).
_RECORDED_BY = select(_SALES.c.cashier_id).where(_SALES.c.id == bindparam("sale_id")).scalar_subquery()
#: The register's last receipt serial of a business day (0 before its first), read through the serial's unique
#: index.
_LAST_RECEIPT_SERIAL = select(func.coalesce(func.max(_SALES.c.receipt_serial), 0)).where(
    _SALES.c.business_day == bindparam("business_day", type_=Date),
    _SALES.c.register_id == bindparam("register_id"),
)
#: The register's row, locked until the transaction ends: what serialises the completions of its sales.
_LOCK_REGISTER = select(_REGISTERS.c.id).where(_REGISTERS.c.id == bindparam("register_id")).with_for_update()


def _checkout_read(products: Subquery) -> Select:
    """What checkout reads before it prices the basket, in one statement: the open shift on the register with its
    register's code, its last receipt serial of the business day and its outlet's saved settings, who recorded a
    sale under the client's ``sale_id`` before, and the catalogue products the lines name (``products``, one of
    :data:`catalogue.LINE_PRODUCTS`), one row each (the shift's columns repeated; one row with null product
    columns when none is found)."""
    return (
        select(
            _SHIFTS.c.id,
            _SHIFTS.c.outlet_id,
            _SHIFTS.c.register_id,
            _SHIFTS.c.cashier_id,
            _REGISTERS.c.code,
            _OUTLETS.c.outlet_id.label("saved_outlet_id"),
            _OUTLETS.c.ppn_registered,
            _OUTLETS.c.discount_approval_limit,
            _OUTLETS.c.static_qris_payload,
            _OUTLETS.c.qris_expiry_minutes,
            _RECORDED_BY.label("recorded_by"),
            _LAST_RECEIPT_SERIAL.scalar_subquery().label("last_receipt_serial"),
            *products.c,
        )
        .select_from(
            _SHIFTS.join(_REGISTERS, _REGISTERS.c.id == _SHIFTS.c.register_id)
            .outerjoin(_OUTLETS, _OUTLETS.c.outlet_id == _SHIFTS.c.outlet_id)
            .outerjoin(products, true())
        )
        .where(_SHIFTS.c.open_register_id == bindparam("register_id"))
    )


#: :func:`_checkout_read` for each kind of basket (the keys of :data:`catalogue.LINE_PRODUCTS`), by dialect: on
#: PostgreSQL it runs on the driver (:func:`shared.db.fetch_rows`).
_CHECKOUT_READ = {
    dialect: {kind: _checkout_read(products) for kind, products in line_products.items()}
    for dialect, line_products in (
        ("sqlite", catalogue.LINE_PRODUCTS),
        ("postgresql", catalogue.LINE_PRODUCTS_POSTGRESQL),
    )
}


def register_lock(data: dict) -> idempotency.RowLock:
    """The lock checkout holds before it reads (:func:`checkout`): the row of the loaded body ``data``'s
    register."""
    return idempotency.RowLock(_REGISTERS.name, str(data["register_id"]))


def _read_for_checkout(session: Session, data: dict, sale_id: str | None, day: date) -> Sequence[Row[Any]]:
    """The rows of :func:`_checkout_read` for the loaded body ``data`` and the business day ``day`` (none when
    the register has no open shift)."""
    kind, parameters = catalogue.line_products_query(data["lines"])
    values = {"register_id": str(data["register_id"]), "sale_id": sale_id, "business_day": day, **parameters}
    connection = session.connection()
    return fetch_rows(connection, _CHECKOUT_READ[connection.dialect.name][kind], values)


def _open_shift(rows: Sequence[Row[Any]], cashier: Principal) -> OpenShift:
    """The caller's open shift on the register, its register's code and its outlet's rules, from
    :func:`_read_for_checkout` (409 when the caller has no open shift there)."""
    row = rows[0] if rows else None
    if row is None or row.cashier_id != cashier.user_id:
        raise Conflict(
            "There is no open shift of yours on this register.",
            code=NO_OPEN_SHIFT,
            errors={"register_id": ["Open a shift on this register first."]},
        )
    rules = (
        OutletRules(row.ppn_registered, row.discount_approval_limit, row.static_qris_payload, row.qris_expiry_minutes)
        if row.saved_outlet_id is not None
        else _DEFAULT_RULES
    )
    return OpenShift(row.id, row.outlet_id, row.register_id, row.code, rules)


def _lock_register(session: Session, register_id: str) -> None:
    """Lock the register's row until the transaction ends, before its last receipt serial is read: concurrent
    completions on one register then take their numbers one after the other, each reading (in a statement that
    starts after the lock is taken, so with a snapshot that sees it) the serial the previous holder committed.
    SQLite runs one writer at a time."""
    session.connection().execute(_LOCK_REGISTER, {"register_id": register_id})


def _resolve_lines(rows: Sequence[Row[Any]], lines: list[dict]) -> list[tuple[dict, Row[Any]]]:
    """Each line with its catalogue product (a Core row with the catalogue product's columns), from the rows of
    :func:`_read_for_checkout`."""
    by_code, by_id = catalogue.products_by_code_and_id(rows)
    resolved, errors = [], {}
    for index, line in enumerate(lines):
        found = by_code.get(line["barcode"]) if line.get("barcode") else by_id.get(str(line["product_id"]))
        if found is None:
            field = "barcode" if line.get("barcode") else "product_id"
            errors[index] = {field: ["Unknown product."]}
        elif not catalogue.is_sellable(*found):
            errors[index] = {"product": [f"{found[0].name} is not sellable (inactive or supplier not active)."]}
        else:
            resolved.append((line, found[0]))
    if errors:
        raise DomainError(
            "A line names a product that cannot be sold.",
            errors={"lines": errors},
            code=UNKNOWN_OR_UNSELLABLE_PRODUCT,
        )
    return resolved


def _unit_prices(session: Session, resolved: list[tuple[dict, Row[Any]]], priced_at: datetime | None) -> list[int]:
    """The unit price of each line: the catalogue's, or the one the counter charged (``unit_price``, e.g. a sale
    made offline and sent later) when that was the product's price at ``priced_at`` or since (422
    ``price_not_current`` otherwise: the counter cannot set a price of its own)."""
    charged = {
        product.product_id
        for line, product in resolved
        if line.get("unit_price") is not None and line["unit_price"] != product.price
    }
    history = catalogue.prices_since(session, charged, priced_at or utcnow()) if charged else {}
    errors = {
        index: {"unit_price": [f"{product.name} did not cost {line['unit_price']} at the time of the sale."]}
        for index, (line, product) in enumerate(resolved)
        if product.product_id in charged and line["unit_price"] not in history.get(product.product_id, set())
    }
    if errors:
        raise DomainError(
            "A line's price was not the product's price when the sale was made.",
            errors={"lines": errors},
            code=PRICE_NOT_CURRENT,
        )
    return [product.price if line.get("unit_price") is None else line["unit_price"] for line, product in resolved]


def checkout(
    session: Session, settings: Settings, cashier: Principal, data: dict, claim: idempotency.Claim | None = None
) -> tuple[dict, bool]:
    """Record a sale: ``(view, created)``, ``view`` the sale's JSON form (:func:`sale_view`); ``created`` is
    false when the client's ``sale_id`` was recorded before (``view`` is then that sale). Under an
    ``Idempotency-Key`` (``claim``) the new sale's write may store ``view`` as its response
    (:meth:`idempotency.Claim.store_in_statement`).

    Prices come from the catalogue replica (or, for a sale priced earlier at the counter, a price the product had
    then: :func:`_unit_prices`); totals, discounts, PPN and change from :mod:`pricing`. Discounts
    above the outlet's limit need a manager's approval (audited). Non-QRIS payments are confirmed at once;
    a QRIS payment waits (pending, with its dynamic payload) and the sale completes when it is confirmed.

    The counter's hot path: the register's row is locked first (by the key's look-up when ``claim`` says so,
    :func:`register_lock`, else by a statement of its own); the open shift, the register's last receipt serial,
    the basket's products and whether ``sale_id`` was recorded before then come in one read
    (:data:`_CHECKOUT_READ`); the sale, its lines and payments are written with Core inserts (already completed
    when nothing is pending: no insert-then-update; on PostgreSQL one statement, which also stores the response)
    and ``sale.completed`` goes to the outbox serialised once, next to the view built from the same values.
    """
    client_sale_id = str(data["sale_id"]) if data.get("sale_id") else None
    if claim is None or claim.locked != register_lock(data):
        _lock_register(session, str(data["register_id"]))
    now = utcnow()
    rows = _read_for_checkout(session, data, client_sale_id, business_day(now))
    if client_sale_id and (not rows or rows[0].recorded_by is not None):  # recorded before, or no shift to tell
        existing = session.get(Sale, client_sale_id)
        if existing is not None:
            if existing.cashier_id != cashier.user_id:
                raise Conflict("This sale id belongs to another sale.", code=SALE_ID_TAKEN)
            return sale_view(existing), False
    sale_id = client_sale_id or new_id()
    shift = _open_shift(rows, cashier)
    outlet = shift.outlet
    resolved = _resolve_lines(rows, data["lines"])
    unit_prices = _unit_prices(session, resolved, data.get("priced_at"))
    basket = price_basket(
        [
            LineInput(price, line["qty"], line.get("discount", 0))
            for (line, _product), price in zip(resolved, unit_prices, strict=True)
        ],
        data.get("discount", 0),
        outlet.ppn_registered,
    )
    settled, change = settle_payments(
        basket.total,
        [PaymentInput(p["method"], p["amount"], p.get("tendered"), p.get("approval_code")) for p in data["payments"]],
    )
    approver = None
    if basket.discount_total > outlet.discount_approval_limit:
        approver = approvals.required_approver(
            session,
            settings,
            cashier,
            data.get("approval"),
            "discount",
            f"A discount above {outlet.discount_approval_limit}",
        )
    lines = [
        {
            "id": new_id(),
            "sale_id": sale_id,
            "position": index,
            "product_id": product.product_id,
            "supplier_id": product.supplier_id,
            "sku": product.sku,
            "barcode": product.barcode,
            "name": product.name,
            "category": product.category,
            "qty": priced.qty,
            "unit_price": priced.unit_price,
            "line_discount": priced.line_discount,
            "sale_discount_share": priced.sale_discount_share,
            "line_total": priced.line_total,
        }
        for index, ((line, product), priced) in enumerate(zip(resolved, basket.lines, strict=False))
    ]
    payments = [
        _payment_values(
            sale_id,
            index,
            outlet,
            now,
            payment.method,
            payment.amount,
            payment.tendered,
            payment.change,
            raw.get("approval_code"),
            raw.get("reference"),
            cashier,
        )
        for index, (payment, raw) in enumerate(zip(settled, data["payments"], strict=False))
    ]
    sale: dict[str, Any] = {
        "id": sale_id,
        "outlet_id": shift.outlet_id,
        "register_id": shift.register_id,
        "register_code": shift.register_code,
        "shift_id": shift.id,
        "cashier_id": cashier.user_id,
        "cashier_name": cashier.name,
        "status": SaleStatus.PENDING_PAYMENT,
        "receipt_no": None,
        "receipt_serial": None,
        "business_day": None,
        "subtotal": basket.subtotal,
        "sale_discount": basket.sale_discount,
        "discount_total": basket.discount_total,
        "total": basket.total,
        "tax_base": basket.tax.tax_base if basket.tax else None,
        "ppn": basket.tax.ppn if basket.tax else None,
        "change": change,
        "approved_by": approver.user_id if approver else None,
        "created_at": now,
        "completed_at": None,
        "voided_at": None,
    }
    completed = not any(p["status"] == PaymentStatus.PENDING for p in payments)
    if completed:
        sale.update(_completion(shift.register_code, now, rows[0].last_receipt_serial))
    recorded = SimpleNamespace(
        **sale, lines=[SimpleNamespace(**line) for line in lines], payments=[SimpleNamespace(**p) for p in payments]
    )
    view = sale_view(recorded, now)
    events = _sale_completed_rows(session, recorded, now) if completed else []
    _write_sale(session, sale, lines, payments, events, claim, view)
    if approver is not None:
        approvals.audit(
            session,
            "sale.discount_approved",
            cashier,
            approver,
            "sale",
            sale_id,
            {"discount_total": basket.discount_total, "limit": outlet.discount_approval_limit},
        )
    return view, True


#: PostgreSQL: the end of a statement that writes outbox rows: their insert, the rows handed over as one JSON
#: parameter (``:outbox``). As a statement's main part (its ``WITH`` parts write the rest) it returns no rows.
_INSERT_OUTBOX_FROM_JSON = (
    "INSERT INTO outbox SELECT * FROM json_populate_recordset(NULL::outbox, CAST(:outbox AS json))"
)
#: PostgreSQL: a new sale, its lines, its payments and its outbox rows in one statement (one round trip), each
#: table's rows handed over as one JSON parameter and inserted in the table's column order (every column is
#: given). Data-modifying ``WITH`` parts all run; the foreign keys are checked at the end of the statement.
_WRITE_SALE_PARTS = (
    "sale AS (INSERT INTO sales SELECT * FROM json_populate_record(NULL::sales, CAST(:sale AS json)))",
    "lines AS (INSERT INTO sale_lines SELECT * FROM json_populate_recordset(NULL::sale_lines, CAST(:lines AS json)))",
    "payments AS (INSERT INTO payments SELECT * FROM json_populate_recordset(NULL::payments, CAST(:payments AS json)))",
)
_WRITE_SALE_POSTGRESQL = text("WITH " + ", ".join(_WRITE_SALE_PARTS) + " " + _INSERT_OUTBOX_FROM_JSON)
#: The same, writing the checkout's response as its idempotency record too.
_WRITE_SALE_AND_RESPONSE_POSTGRESQL = text(
    "WITH " + ", ".join((*_WRITE_SALE_PARTS, idempotency.STORE_RESPONSE_PART)) + " " + _INSERT_OUTBOX_FROM_JSON
)


def _write_sale(
    session: Session,
    sale: dict,
    lines: list[dict],
    payments: list[dict],
    outbox_rows: list[dict],
    claim: idempotency.Claim | None,
    view: dict,
) -> None:
    """Insert a new sale with its lines, payments and outbox rows: one statement on PostgreSQL, which also stores
    ``view`` as the first response of ``claim`` when there is one; one Core insert per table on SQLite
    (development and tests), where :func:`idempotency.run_once` stores the response after."""
    connection = session.connection()  # Core statements straight on the connection: no ORM execute machinery
    if connection.dialect.name == "postgresql":
        parameters: dict[str, object] = {
            name: json_text.dumps(rows)
            for name, rows in (("sale", sale), ("lines", lines), ("payments", payments), ("outbox", outbox_rows))
        }
        if claim is None:
            execute_on_driver(connection, _WRITE_SALE_POSTGRESQL, parameters)
        else:
            parameters.update(claim.store_in_statement(201, json_text.dumps(view)))
            execute_on_driver(connection, _WRITE_SALE_AND_RESPONSE_POSTGRESQL, parameters)
    else:
        connection.execute(_SALES.insert(), sale)
        connection.execute(_SALE_LINES.insert(), lines)
        connection.execute(_PAYMENTS.insert(), payments)
        if outbox_rows:
            connection.execute(_INSERT_OUTBOX, outbox_rows)


def _payment_values(
    sale_id: str,
    position: int,
    outlet: OutletRules | OutletSettings,
    now: datetime,
    method: str,
    amount: int,
    tendered: int | None,
    change: int,
    approval_code: str | None,
    reference: str | None,
    cashier: Principal,
) -> dict[str, Any]:
    """Every column of a new payment: QRIS pending with its dynamic payload and expiry, the others confirmed."""
    payment_id = new_id()
    qris_pending = method == PaymentMethod.QRIS
    return {
        "id": payment_id,
        "sale_id": sale_id,
        "position": position,
        "method": method,
        "amount": amount,
        "tendered": tendered,
        "change": change,
        "approval_code": approval_code,
        "reference": reference,
        "status": PaymentStatus.PENDING if qris_pending else PaymentStatus.CONFIRMED,
        "qris_payload": qris.dynamic_payload(
            outlet.static_qris_payload, amount, bill_number=payment_id.replace("-", "")[:25]
        )
        if qris_pending
        else None,
        "expires_at": now + timedelta(minutes=outlet.qris_expiry_minutes) if qris_pending else None,
        "confirmed_at": None if qris_pending else now,
        "confirmed_by": None if qris_pending else cashier.user_id,
        "created_at": now,
    }


def _completion(register_code: str, now: datetime, last_serial: int) -> dict[str, Any]:
    """The columns of a sale that is now fully paid: the register's next receipt number for the Jakarta day, one
    more than ``last_serial``, the register's last that day (read under the register's lock, taken by an earlier
    statement: :func:`_lock_register`, :func:`load_sale`; gapless, as a rollback gives the number back), its
    business day, status and completion time."""
    day, serial = business_day(now), last_serial + 1
    return {
        "receipt_no": format_receipt_no(register_code, day, serial),
        "receipt_serial": serial,
        "business_day": day,
        "status": SaleStatus.COMPLETED,
        "completed_at": now,
    }


def _complete(
    session: Session, sale: SimpleNamespace, now: datetime, paid: tuple[SimpleNamespace, dict[str, Any]] | None = None
) -> None:
    """Fully paid after checkout (a QRIS settled, or its amount paid another way): the sale, loaded with its
    register's lock (:func:`load_sale`), takes its receipt number (:func:`_completion`) and ``sale.completed``
    goes to the outbox. ``paid`` is the payment whose change completes the sale, with that change, written with
    the completion: on PostgreSQL one statement writes all of it (:func:`_completion_statement`)."""
    connection = session.connection()
    (last,) = fetch_rows(
        connection, _LAST_RECEIPT_SERIAL, {"register_id": sale.register_id, "business_day": business_day(now)}
    )
    completion = _completion(sale.register_code, now, last[0])
    payment, change = paid if paid is not None else (None, {})
    if connection.dialect.name != "postgresql":
        if payment is not None:
            _update_payment(session, payment, **change)
        _update_sale(session, sale, **completion)
        connection.execute(_INSERT_OUTBOX, _sale_completed_rows(session, sale, now))
        return
    vars(sale).update(completion)
    parameters = {"sale": json_text.dumps({"id": sale.id, **completion})}
    if payment is not None:
        vars(payment).update(change)
        parameters["payment"] = json_text.dumps({"id": payment.id, **change})
    parameters["outbox"] = json_text.dumps(_sale_completed_rows(session, sale, now))
    execute_on_driver(connection, _completion_statement(tuple(completion), tuple(change)), parameters)


@cache
def _completion_statement(sale_columns: tuple[str, ...], payment_columns: tuple[str, ...]) -> TextClause:
    """PostgreSQL: a completion in one statement: ``sale_columns`` of the sale's row, ``payment_columns`` of the
    payment that completed it (none when its change was written before), and the ``sale.completed`` outbox rows,
    each handed over as one JSON parameter (``:sale``, ``:payment``, ``:outbox``)."""
    parts = [
        f"{name} AS (UPDATE {table} SET {', '.join(f'{c} = given.{c}' for c in columns)}"
        f" FROM json_populate_record(NULL::{table}, CAST(:{name} AS json)) AS given WHERE {table}.id = given.id)"
        for name, table, columns in (("sale", "sales", sale_columns), ("payment", "payments", payment_columns))
        if columns
    ]
    return text("WITH " + ", ".join(parts) + " " + _INSERT_OUTBOX_FROM_JSON)


def _sale_completed_rows(session: Session, sale: Sale | SimpleNamespace, now: datetime) -> list[dict[str, Any]]:
    """The outbox rows of ``sale.completed``, one per subscriber, to write in the sale's transaction
    (:meth:`Messaging.outbox_rows`: the envelope is serialised once for all of them).

    The payload is built here from the sale's own typed columns, so it is not validated against its contract
    on every sale (``Messaging.record`` does that, and serialises three times): the contract test in
    ``tests/usecases/test_pos_checkout.py`` holds it to the contract instead.
    """
    spec = contract("sale.completed")
    envelope = {
        "event_id": new_id(),
        "type": spec.type,
        "version": spec.version,
        "occurred_at": now.isoformat(),
        "source": messaging.service,
        "payload": sale_completed_payload(sale),
    }
    return messaging.outbox_rows(session, [envelope], spec.destinations(), now)


def _completed_at(sale: Sale | SimpleNamespace) -> datetime:
    if sale.completed_at is None:
        raise RuntimeError(f"sale {sale.id} is not completed: it has no sale.completed event")
    completed_at: datetime = sale.completed_at
    return completed_at


def sale_completed_payload(sale: Sale | SimpleNamespace) -> dict:
    return {
        "sale_id": sale.id,
        "receipt_no": sale.receipt_no,
        "outlet_id": sale.outlet_id,
        "register_id": sale.register_id,
        "cashier_id": sale.cashier_id,
        "completed_at": _completed_at(sale).isoformat(),
        "total": sale.total,
        "lines": [
            {
                "line_id": line.id,
                "product_id": line.product_id,
                "supplier_id": line.supplier_id,
                "sku": line.sku,
                "name": line.name,
                "category": line.category,
                "qty": line.qty,
                "unit_price": line.unit_price,
                "discount": line.line_discount + line.sale_discount_share,
                "line_total": line.line_total,
            }
            for line in sale.lines
        ],
    }


# -- after checkout: QRIS confirmation, retry, switch, void ------------------------------------------------

_SALE_BY_ID = select(_SALES).where(_SALES.c.id == bindparam("sale_id"))
#: The sale's row and its register's, locked: a change to the sale may complete it (:func:`_complete`).
_LOCKED_SALE_BY_ID = (
    select(_SALES)
    .join(_REGISTERS, _REGISTERS.c.id == _SALES.c.register_id)
    .where(_SALES.c.id == bindparam("sale_id"))
    .with_for_update(of=[_SALES, _REGISTERS])
)
_LINES_OF_SALE = (
    select(_SALE_LINES).where(_SALE_LINES.c.sale_id == bindparam("sale_id")).order_by(_SALE_LINES.c.position)
)
_PAYMENTS_OF_SALE = select(_PAYMENTS).where(_PAYMENTS.c.sale_id == bindparam("sale_id")).order_by(_PAYMENTS.c.position)


def load_sale(session: Session, sale_id: str, lock: bool = False) -> SimpleNamespace:
    """The sale with its lines and payments (in their order) as plain records, read with three Core statements
    (no ORM unit of work: the QRIS confirmation is a quarter of the counter's sales; on PostgreSQL on the driver,
    :func:`shared.db.fetch_rows`); with ``lock`` the sale's row and its register's are locked ``FOR UPDATE``
    first, so changes to one sale are serialised and one that completes it may number its receipt
    (:func:`_complete`). 404 when there is no such sale.
    Change it with :func:`_update_sale` and :func:`_update_payment`, which write the row and the record."""
    connection = session.connection()
    found = fetch_rows(connection, _LOCKED_SALE_BY_ID if lock else _SALE_BY_ID, {"sale_id": str(sale_id)})
    if not found:
        raise NotFound(f"sale {sale_id} not found")
    key = {"sale_id": found[0].id}
    return SimpleNamespace(
        **found[0]._asdict(),
        lines=[SimpleNamespace(**line._asdict()) for line in fetch_rows(connection, _LINES_OF_SALE, key)],
        payments=[SimpleNamespace(**payment._asdict()) for payment in fetch_rows(connection, _PAYMENTS_OF_SALE, key)],
    )


def _update_sale(session: Session, sale: SimpleNamespace, **values: Any) -> None:
    """Set ``values`` on the sale's row and on its record from :func:`load_sale`."""
    _update_row(session, _SALES, sale, values)


def _update_payment(session: Session, payment: SimpleNamespace, **values: Any) -> None:
    """Set ``values`` on the payment's row and on its record from :func:`load_sale`."""
    _update_row(session, _PAYMENTS, payment, values)


def _update_row(session: Session, table: Table, record: SimpleNamespace, values: dict[str, Any]) -> None:
    statement = _update_by_id(table, tuple(sorted(values)))
    session.connection().execute(statement, {"row_id": record.id, **{f"new_{k}": v for k, v in values.items()}})
    vars(record).update(values)


@cache
def _update_by_id(table: Table, columns: tuple[str, ...]) -> Update:
    """``UPDATE table SET column = :new_column, … WHERE id = :row_id``, built once per table and set of columns
    (a handful: the confirmation, a retry, a switch, a void), each value bound with its column's type."""
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({name: bindparam(f"new_{name}", type_=table.c[name].type) for name in columns})
    )


def _payment_on(sale: SimpleNamespace, payment_id: str) -> SimpleNamespace | None:
    return next((p for p in sale.payments if p.id == str(payment_id)), None)


def _pending_payment(sale: SimpleNamespace, payment_id: str, expired_too: bool = False) -> SimpleNamespace:
    """The payment ``payment_id`` of a sale still waiting for payment, when it is pending (with ``expired_too``:
    or a QRIS that expired, which a retry or a switch replaces); 404 / 409 otherwise."""
    payment = _payment_on(sale, payment_id)
    if payment is None:
        raise NotFound(f"payment {payment_id} not found on this sale")
    if sale.status != SaleStatus.PENDING_PAYMENT:
        raise Conflict(f"The sale is {sale.status}.", code=SALE_IN_STATUS[sale.status])
    if payment.status != PaymentStatus.PENDING and not (
        expired_too and payment.method == PaymentMethod.QRIS and payment.status == PaymentStatus.EXPIRED
    ):
        raise Conflict(f"The payment is {payment.status}.", code=PAYMENT_IN_STATUS[payment.status])
    return payment


def confirm_payment(
    session: Session,
    sale_id: str,
    payment_id: str,
    confirmed_by: str,
    amount: int | None = None,
    reference: str | None = None,
    cashier: Principal | None = None,
) -> SimpleNamespace:
    """A pending QRIS was paid (provider callback, or ``cashier`` at the counter): confirm it; the sale completes
    when nothing else is pending. A cashier confirms only their own sale (another's is 404; managers any). An
    expired payment cannot be confirmed (409): retry it or switch method. Confirming a confirmed payment again
    changes nothing."""
    sale = load_sale(session, sale_id, lock=True)
    if cashier is not None:
        _own_sale(sale, cashier)
    payment = _payment_on(sale, payment_id)
    if payment is not None and payment.status == PaymentStatus.CONFIRMED:
        return sale
    payment = _pending_payment(sale, payment_id)
    now = utcnow()
    if payment.expires_at is not None and now > payment.expires_at:
        raise Conflict("The QRIS payment has expired; retry it or switch to another method.", code=PAYMENT_EXPIRED)
    if amount is not None and amount != payment.amount:
        raise DomainError(f"Paid {amount}, the payment is {payment.amount}.", errors={"amount": ["Does not match."]})
    confirmation = {
        "status": PaymentStatus.CONFIRMED,
        "confirmed_at": now,
        "confirmed_by": confirmed_by,
        "reference": reference or payment.reference,
    }
    if any(p.status == PaymentStatus.PENDING for p in sale.payments if p is not payment):
        _update_payment(session, payment, **confirmation)
    else:
        _complete(session, sale, now, paid=(payment, confirmation))
    return sale


def _replace_payment(
    session: Session,
    sale: SimpleNamespace,
    old: SimpleNamespace,
    cashier: Principal,
    method: str,
    tendered: int | None,
    approval_code: str | None,
    reference: str | None,
) -> SimpleNamespace:
    now = utcnow()
    old_status = PaymentStatus.EXPIRED if old.expires_at and now > old.expires_at else PaymentStatus.CANCELLED
    _update_payment(session, old, status=old_status)
    [settled], _ = settle_payments(old.amount, [PaymentInput(method, old.amount, tendered, approval_code)])
    new = _payment_values(
        sale.id,
        len(sale.payments),
        outlet_settings(session, sale.outlet_id),
        now,
        method,
        old.amount,
        settled.tendered,
        settled.change,
        approval_code,
        reference,
        cashier,
    )
    session.connection().execute(_PAYMENTS.insert(), new)
    sale.payments.append(SimpleNamespace(**new))
    change = sum(
        p.change for p in sale.payments if p.status == PaymentStatus.CONFIRMED and p.method == PaymentMethod.CASH
    )
    _update_sale(session, sale, change=change)
    if not any(p.status == PaymentStatus.PENDING for p in sale.payments):
        _complete(session, sale, now)
    return sale


def _own_sale(sale: SimpleNamespace, cashier: Principal) -> None:
    if sale.cashier_id != cashier.user_id and not cashier.is_staff:
        raise NotFound(f"sale {sale.id} not found")


def retry_qris(session: Session, sale_id: str, payment_id: str, cashier: Principal) -> SimpleNamespace:
    """A new dynamic QRIS (new payload, new expiry) in place of a pending or expired one."""
    sale = load_sale(session, sale_id, lock=True)
    _own_sale(sale, cashier)
    old = _pending_payment(sale, payment_id, expired_too=True)
    if old.method != PaymentMethod.QRIS:
        raise Conflict("Only a QRIS payment can be retried.", code=NOT_QRIS)
    return _replace_payment(session, sale, old, cashier, PaymentMethod.QRIS, None, None, None)


def switch_payment(session: Session, sale_id: str, payment_id: str, cashier: Principal, data: dict) -> SimpleNamespace:
    """Pay a pending (or expired) QRIS amount with another method instead."""
    sale = load_sale(session, sale_id, lock=True)
    _own_sale(sale, cashier)
    old = _pending_payment(sale, payment_id, expired_too=True)
    return _replace_payment(
        session,
        sale,
        old,
        cashier,
        data["method"],
        data.get("tendered"),
        data.get("approval_code"),
        data.get("reference"),
    )


def void_sale(session: Session, sale_id: str, cashier: Principal, reason: str) -> SimpleNamespace:
    """Void a sale still in progress (waiting for payment): nothing of it counts as sold."""
    sale = load_sale(session, sale_id, lock=True)
    _own_sale(sale, cashier)
    if sale.status != SaleStatus.PENDING_PAYMENT:
        raise Conflict(
            f"Only a sale in progress can be voided; this one is {sale.status} (refund it instead).",
            code=SALE_IN_STATUS[sale.status],
        )
    _update_sale(session, sale, status=SaleStatus.VOIDED, voided_at=utcnow())
    for payment in sale.payments:
        if payment.status == PaymentStatus.PENDING:
            _update_payment(session, payment, status=PaymentStatus.CANCELLED)
    approvals.audit(session, "sale.voided", cashier, None, "sale", sale.id, {"reason": reason, "total": sale.total})
    return sale


# -- views ----------------------------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def payment_view(payment: Payment | SimpleNamespace, now: datetime | None = None) -> dict:
    status = payment.status
    if status == PaymentStatus.PENDING and payment.expires_at and (now or utcnow()) > payment.expires_at:
        status = PaymentStatus.EXPIRED
    view = {
        "id": payment.id,
        "method": payment.method,
        "amount": payment.amount,
        "tendered": payment.tendered,
        "change": payment.change,
        "approval_code": payment.approval_code,
        "reference": payment.reference,
        "status": status,
        "confirmed_at": _iso(payment.confirmed_at),
    }
    if payment.method == PaymentMethod.QRIS:
        view.update(
            qris_payload=payment.qris_payload,
            expires_at=_iso(payment.expires_at),
            qr_image_url=f"/sales/{payment.sale_id}/payments/{payment.id}/qr.svg",
            qr_png_url=f"/sales/{payment.sale_id}/payments/{payment.id}/qr.png",
        )
    return view


def sale_view(sale: Sale | SimpleNamespace, now: datetime | None = None) -> dict:
    """The JSON form of a sale (what checkout answers and what an idempotent replay returns); ``now`` decides
    whether a pending QRIS shows as expired."""
    now = now or utcnow()
    return {
        "id": sale.id,
        "receipt_no": sale.receipt_no,
        "status": sale.status,
        "outlet_id": sale.outlet_id,
        "register_id": sale.register_id,
        "register_code": sale.register_code,
        "shift_id": sale.shift_id,
        "cashier_id": sale.cashier_id,
        "cashier_name": sale.cashier_name,
        "created_at": _iso(sale.created_at),
        "completed_at": _iso(sale.completed_at),
        "subtotal": sale.subtotal,
        "sale_discount": sale.sale_discount,
        "discount_total": sale.discount_total,
        "total": sale.total,
        "tax": None if sale.ppn is None else {"tax_base": sale.tax_base, "ppn": sale.ppn},
        "change": sale.change,
        "approved_by": sale.approved_by,
        "lines": [
            {
                "id": line.id,
                "product_id": line.product_id,
                "supplier_id": line.supplier_id,
                "sku": line.sku,
                "barcode": line.barcode,
                "name": line.name,
                "category": line.category,
                "qty": line.qty,
                "unit_price": line.unit_price,
                "line_discount": line.line_discount,
                "discount": line.line_discount + line.sale_discount_share,
                "line_total": line.line_total,
            }
            for line in sale.lines
        ],
        "payments": [payment_view(p, now) for p in sale.payments],
    }


def payment_of(session: Session, sale_id: str, payment_id: str) -> Payment:
    payment = session.get(Payment, str(payment_id))
    if payment is None or payment.sale_id != str(sale_id):
        raise NotFound(f"payment {payment_id} not found")
    return payment


__all__ = ["PricingError", "checkout", "confirm_payment", "retry_qris", "sale_view", "switch_payment", "void_sale"]
