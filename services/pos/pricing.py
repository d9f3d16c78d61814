"""Pure pricing rules of a sale: line and sale discounts, totals, PPN lines, payment checks and change.

No database and no I/O here: every function takes integers (rupiah) and returns integers, so the rules can be
tested on their own and the checkout use case only orchestrates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.pos.errors import PAYMENTS_DO_NOT_MATCH_TOTAL
from services.pos.models import PaymentMethod
from shared.errors import DomainError
from shared.money import ppn_included


class PricingError(DomainError):
    """The basket or its payments break a pricing rule (422 with field errors)."""


@dataclass(frozen=True)
class LineInput:
    unit_price: int
    qty: int
    discount: int = 0


@dataclass(frozen=True)
class PricedLine:
    unit_price: int
    qty: int
    gross: int
    line_discount: int
    sale_discount_share: int

    @property
    def discount(self) -> int:
        """Everything taken off this line: its own discount plus its share of the sale discount."""
        return self.line_discount + self.sale_discount_share

    @property
    def line_total(self) -> int:
        return self.gross - self.discount


@dataclass(frozen=True)
class TaxLines:
    price_before_tax: int
    tax_base: int
    ppn: int

    def as_dict(self) -> dict[str, int]:
        return {"price_before_tax": self.price_before_tax, "tax_base": self.tax_base, "ppn": self.ppn}


@dataclass(frozen=True)
class PricedBasket:
    lines: list[PricedLine]
    subtotal: int
    sale_discount: int
    discount_total: int
    total: int
    tax: TaxLines | None


def allocate_proportionally(amount: int, weights: list[int]) -> list[int]:
    """Split ``amount`` over ``weights`` in proportion, by largest remainder: the parts add up exactly.

    Ties go to the earlier weight, so the split is deterministic.
    """
    total_weight = sum(weights)
    if amount == 0 or total_weight == 0:
        return [0] * len(weights)
    floors = [amount * w // total_weight for w in weights]
    remainders = [amount * w % total_weight for w in weights]
    left = amount - sum(floors)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        floors[index] += 1
    return floors


def tax_lines(total: int) -> TaxLines:
    """PPN inside a PPN-inclusive total: price before tax, tax base (DPP = 11/12 of it) and PPN 12 % of DPP."""
    before_tax, tax_base, ppn = ppn_included(total)
    return TaxLines(before_tax, tax_base, ppn)


def price_basket(lines: list[LineInput], sale_discount: int, ppn_registered: bool) -> PricedBasket:
    """Totals of a basket in integer rupiah.

    A line discount may not exceed the line's gross amount; the sale discount may not exceed what is left
    after line discounts and is spread over the lines in proportion to their amounts (so every line's total,
    which is what suppliers are paid on, is exact and the line totals add up to the sale total).
    """
    if not lines:
        raise PricingError("The cart is empty.", errors={"lines": ["At least one line is needed."]})
    errors: dict[str, dict[int, Any]] = {}
    for index, line in enumerate(lines):
        if line.qty < 1:
            errors.setdefault("lines", {})[index] = {"qty": ["Must be at least 1."]}
        elif line.discount > line.unit_price * line.qty:
            errors.setdefault("lines", {})[index] = {"discount": ["More than the line's amount."]}
    if errors:
        raise PricingError("A line is not valid.", errors=errors)
    nets = [line.unit_price * line.qty - line.discount for line in lines]
    if sale_discount > sum(nets):
        raise PricingError("The discount is more than the sale.", errors={"discount": ["More than the sale's amount."]})
    shares = allocate_proportionally(sale_discount, nets)
    priced = [
        PricedLine(line.unit_price, line.qty, line.unit_price * line.qty, line.discount, share)
        for line, share in zip(lines, shares, strict=False)
    ]
    subtotal = sum(p.gross for p in priced)
    discount_total = sum(p.discount for p in priced)
    total = subtotal - discount_total
    return PricedBasket(
        priced, subtotal, sale_discount, discount_total, total, tax_lines(total) if ppn_registered else None
    )


@dataclass(frozen=True)
class PaymentInput:
    method: str
    amount: int
    tendered: int | None = None
    approval_code: str | None = None


@dataclass(frozen=True)
class SettledPayment:
    method: str
    amount: int
    tendered: int | None
    change: int


def settle_payments(total: int, payments: list[PaymentInput]) -> tuple[list[SettledPayment], int]:
    """Check that ``payments`` pay ``total`` exactly and work out the change: ``(payments, change)``.

    Amounts must add up to the total exactly; only cash may be tendered above its amount (the difference is
    change); card payments carry the EDC approval code. A zero-total sale needs no payment.
    """
    errors: dict[int, Any] = {}
    settled: list[SettledPayment] = []
    for index, payment in enumerate(payments):
        problem: dict[str, list[str]] = {}
        if payment.method not in set(PaymentMethod):
            problem["method"] = [f"Must be one of {', '.join(PaymentMethod)}."]
        if payment.amount < 1:
            problem["amount"] = ["Must be at least Rp1."]
        if payment.method == PaymentMethod.CASH:
            tendered = payment.amount if payment.tendered is None else payment.tendered
            if tendered < payment.amount:
                problem["tendered"] = ["Less cash tendered than the amount it pays."]
        else:
            tendered = None
            if payment.tendered is not None:
                problem["tendered"] = ["Only cash is tendered."]
        if payment.method == PaymentMethod.CARD and not payment.approval_code:
            problem["approval_code"] = ["A card payment needs the EDC approval code."]
        if problem:
            errors[index] = problem
        else:
            settled.append(
                SettledPayment(
                    payment.method, payment.amount, tendered, (tendered - payment.amount) if tendered is not None else 0
                )
            )
    if errors:
        raise PricingError("A payment is not valid.", errors={"payments": errors})
    paid = sum(p.amount for p in settled)
    if paid != total:
        raise PricingError(
            f"Payments add up to {paid}, the total is {total}.",
            errors={"payments": [f"Payments must add up to the total ({total}) exactly; they add up to {paid}."]},
            code=PAYMENTS_DO_NOT_MATCH_TOTAL,
        )
    return settled, sum(p.change for p in settled)


def refund_amount(line_total: int, sold_qty: int, already_refunded_qty: int, qty: int) -> int:
    """What ``qty`` more units of a line refund, so that refunding every unit returns the line total exactly.

    Amounts are cumulative floors: units refunded so far are worth ``line_total × refunded // sold``.
    """
    if already_refunded_qty + qty > sold_qty:
        raise PricingError("More than was sold.", errors={"qty": ["More than sold minus already refunded."]})
    return line_total * (already_refunded_qty + qty) // sold_qty - line_total * already_refunded_qty // sold_qty
