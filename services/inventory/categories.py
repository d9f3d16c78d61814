"""Use cases of product categories: the list managers keep (name, SKU prefix, whether products need an expiry
date by default), which a product must name one of."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.inventory.errors import CATEGORY_NAME_TAKEN, UNKNOWN_CATEGORY
from services.inventory.models import Category
from shared.db import get_or_404, utcnow
from shared.errors import Conflict, DomainError

CODE_LENGTH = 32


def code_for(name: str) -> str:
    """The code stored on products for a new category: its name in lower-case ASCII, words joined by ``-``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:CODE_LENGTH].strip("-") or "kategori"


def list_categories(session: Session, active: bool | None = None) -> list[Category]:
    query = select(Category).order_by(Category.name)
    if active is not None:
        query = query.where(Category.active == active)
    return list(session.scalars(query))


def _refuse_taken_name(session: Session, name: str, own_code: str | None = None) -> None:
    taken = session.scalar(select(Category.code).where(func.lower(Category.name) == name.lower()))
    if taken is not None and taken != own_code:
        raise Conflict(
            f"a category is already named {name!r}",
            errors={"name": ["Another category has this name."]},
            code=CATEGORY_NAME_TAKEN,
        )


def create_category(session: Session, data: dict) -> Category:
    """A new category; its code comes from its name (with a number when that code is taken)."""
    name = data["name"].strip()
    _refuse_taken_name(session, name)
    base = code_for(name)
    code, serial = base, 1
    while session.get(Category, code) is not None:
        serial += 1
        code = f"{base[: CODE_LENGTH - len(str(serial)) - 1]}-{serial}"
    category = Category(
        code=code,
        name=name,
        sku_prefix=data["sku_prefix"],
        requires_expiry=data.get("requires_expiry", False),
        active=True,
    )
    session.add(category)
    session.flush()
    return category


def update_category(session: Session, code: str, changes: dict) -> Category:
    """Rename, change the SKU prefix or the expiry default, retire or bring back; the code stays."""
    category = get_or_404(session, Category, code, lock=True, what="category")
    if "name" in changes:
        changes = {**changes, "name": changes["name"].strip()}
        _refuse_taken_name(session, changes["name"], category.code)
    for key, value in changes.items():
        setattr(category, key, value)
    category.updated_at = utcnow()
    session.flush()
    return category


def usable_category(session: Session, code: str) -> Category:
    """The active category ``code`` a product may be put in, or a 422 on ``category``."""
    category = session.get(Category, code)
    if category is None or not category.active:
        raise DomainError(
            f"no active category {code!r}", errors={"category": ["Unknown category."]}, code=UNKNOWN_CATEGORY
        )
    return category
