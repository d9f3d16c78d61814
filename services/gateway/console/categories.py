"""Product categories: the list with the form to add one, and each category's edit form (name, SKU prefix,
whether its products need an expiry date, retired or not). Products choose from this list."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext

from services.gateway.backend import ServiceProblem, call
from services.gateway.console.common import blp, done, failure, form_text, manager_page, render


def category_names() -> dict[str, str]:
    """``{category code: name}`` of every category, retired ones too (for showing a product's category)."""
    return {c["code"]: c["name"] for c in call("inventory", "GET", "/categories") or []}


def category_options(current: str | None = None) -> list[tuple[str, str]]:
    """The categories a product may be put in (plus its ``current`` one, even when retired)."""
    return [
        (c["code"], c["name"])
        for c in call("inventory", "GET", "/categories") or []
        if c["active"] or c["code"] == current
    ]


def _category_form() -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": form_text("name"),
        "sku_prefix": (form_text("sku_prefix") or "").upper() or None,
        "requires_expiry": request.form.get("requires_expiry") == "on",
    }
    return {k: v for k, v in data.items() if v is not None}


@blp.route("/categories", methods=["GET", "POST"])
@manager_page
def categories():
    """Every category (retired ones marked) and the form to add one."""
    errors: dict[str, list[str]] = {}
    message = None
    if request.method == "POST":
        try:
            category = call("inventory", "POST", "/categories", json=_category_form())
        except ServiceProblem as problem:
            message, errors = failure(problem)
        else:
            return done(gettext("Category %(name)s added.", name=category["name"]), "console.categories")
    found = call("inventory", "GET", "/categories") or []
    return render(
        "console/categories/list.html",
        section="categories",
        categories=found,
        values=dict(request.form),
        errors=errors,
        message=message,
    ), (422 if message else 200)


@blp.route("/categories/<string:code>", methods=["GET", "POST"])
@manager_page
def category(code: str):
    """Edit a category; retiring it keeps its products in it but takes no new ones."""
    found = next((c for c in call("inventory", "GET", "/categories") or [] if c["code"] == code), None)
    if found is None:
        raise ServiceProblem(404, {}, "inventory")
    errors: dict[str, list[str]] = {}
    message = None
    if request.method == "POST":
        changes = {**_category_form(), "active": request.form.get("active") == "on"}
        try:
            call("inventory", "PATCH", f"/categories/{code}", json=changes)
        except ServiceProblem as problem:
            message, errors = failure(problem)
        else:
            return done(gettext("Changes saved."), "console.categories")
    values = dict(request.form) if request.method == "POST" else found
    return render(
        "console/categories/form.html",
        section="categories",
        category=found,
        values=values,
        errors=errors,
        message=message,
    ), (422 if message else 200)
