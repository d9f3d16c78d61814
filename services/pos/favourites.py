"""Use cases: the outlet's favourites grid at the counter — products without a label (crafts, loose snacks) that
the cashier adds with one click or key, chosen and ordered by a manager."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.pos import catalogue
from services.pos.errors import UNKNOWN_OR_UNSELLABLE_PRODUCT
from services.pos.models import CatalogueProduct, CatalogueSupplier, OutletFavourite
from shared.db import utcnow
from shared.errors import DomainError

#: How many products the grid holds (what fits on a counter's screen and has a key: 1–9, then by click).
MAX_FAVOURITES = 24


def favourites(session: Session, outlet_id: str) -> list[dict]:
    """The outlet's favourite products in grid order, as the catalogue shows them (``sellable`` included)."""
    rows = session.execute(
        select(CatalogueProduct, CatalogueSupplier.status)
        .join(OutletFavourite, OutletFavourite.product_id == CatalogueProduct.product_id)
        .outerjoin(CatalogueSupplier, CatalogueSupplier.supplier_id == CatalogueProduct.supplier_id)
        .where(OutletFavourite.outlet_id == str(outlet_id))
        .order_by(OutletFavourite.position)
    ).all()
    return [catalogue.product_view(product, status) for product, status in rows]


def set_favourites(session: Session, outlet_id: str, product_ids: list[str], actor: str) -> list[dict]:
    """Replace the outlet's grid with ``product_ids`` in that order (422 when one is not in the catalogue)."""
    wanted = [str(product_id) for product_id in product_ids]
    known = set(session.scalars(select(CatalogueProduct.product_id).where(CatalogueProduct.product_id.in_(wanted))))
    unknown = {index: ["Unknown product."] for index, product_id in enumerate(wanted) if product_id not in known}
    if unknown:
        raise DomainError(
            "A favourite is not a product of the catalogue.",
            errors={"product_ids": unknown},
            code=UNKNOWN_OR_UNSELLABLE_PRODUCT,
        )
    session.execute(delete(OutletFavourite).where(OutletFavourite.outlet_id == str(outlet_id)))
    now = utcnow()
    session.add_all(
        OutletFavourite(
            outlet_id=str(outlet_id), product_id=product_id, position=position, updated_by=actor, updated_at=now
        )
        for position, product_id in enumerate(wanted)
    )
    session.flush()
    return favourites(session, outlet_id)
