"""Products: the list (by supplier, search), create, edit (price, name, reorder point, label data, active) and
price history."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext

from services.gateway import words
from services.gateway.backend import ServiceProblem, call
from services.gateway.console.categories import category_names, category_options
from services.gateway.console.common import (
    blp,
    done,
    failure,
    form_int,
    form_text,
    manager_page,
    person_names,
    render,
)

LABEL_FIELDS = ("permit_type", "permit_number", "halal_cert_number", "halal_expires_on", "net_weight")


def _context(current_category: str | None = None, **context: Any) -> dict[str, Any]:
    suppliers = call("suppliers", "GET", "/suppliers") or []
    return {
        "section": "products",
        "supplier_options": [(s["id"], s["business_name"]) for s in suppliers if s["status"] != "ended"],
        "supplier_names": {s["id"]: s["business_name"] for s in suppliers},
        "category_options": category_options(current_category),
        "category_names": category_names(),
        "unit_options": [(k, str(v)) for k, v in words.WORDS["unit"].items()],
        **context,
    }


def _label_data(for_update: bool) -> dict[str, Any]:
    data = {}
    for name in LABEL_FIELDS:
        value = form_text(name)
        if value is not None or for_update:
            data[name] = value
    return data


@blp.get("/products")
@manager_page
def products():
    """Products, optionally of one supplier or matching a search."""
    params = {k: request.args[k] for k in ("supplier_id", "q") if request.args.get(k)}
    found = call("inventory", "GET", "/products", params=params) or []
    return render("console/products/list.html", **_context(products=found, query=params))


@blp.route("/products/new", methods=["GET", "POST"])
@manager_page
def new_product():
    """Create a product; without a barcode it gets an in-store code."""
    if request.method == "GET":
        values = {"supplier_id": request.args.get("supplier_id", "")}
        return render("console/products/form.html", **_context(values=values, errors={}, product=None))
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {
        "name": form_text("name"),
        "supplier_id": form_text("supplier_id"),
        "category": form_text("category"),
        "unit": form_text("unit"),
        "price": form_int("price", errors, required=True),
        "reorder_point": form_int("reorder_point", errors) or 0,
        **_label_data(for_update=False),
    }
    if form_text("barcode"):
        data["barcode"] = form_text("barcode")
    message = gettext("Some fields are not valid; see the messages beside them.")
    if not errors:
        try:
            product = call("inventory", "POST", "/products", json={k: v for k, v in data.items() if v is not None})
        except ServiceProblem as problem:
            message, errors = failure(problem)
        else:
            return done(
                gettext(
                    "Product %(name)s saved (barcode %(barcode)s).", name=product["name"], barcode=product["barcode"]
                ),
                "console.product",
                product_id=product["id"],
            )
    return render(
        "console/products/form.html",
        **_context(values=dict(request.form), errors=errors, product=None, message=message),
    ), 422


@blp.route("/products/<uuid:product_id>", methods=["GET", "POST"])
@manager_page
def product(product_id):
    """Edit a product; its price history below."""
    found = call("inventory", "GET", f"/products/{product_id}")
    history = call("inventory", "GET", f"/products/{product_id}/price-history") or []
    name_of = person_names()
    for change in history:
        change["who"] = name_of(change.get("changed_by"))
    context = {"product": found, "history": list(reversed(history)), "current_category": found["category"]}
    if request.method == "GET":
        return render("console/products/form.html", **_context(values=found, errors={}, **context))
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {
        "name": form_text("name") or found["name"],
        "category": form_text("category") or found["category"],
        "price": form_int("price", errors, required=True),
        "reorder_point": form_int("reorder_point", errors) or 0,
        "active": request.form.get("active") == "on",
        **_label_data(for_update=True),
    }
    message = gettext("Some fields are not valid; see the messages beside them.")
    if not errors:
        try:
            call("inventory", "PATCH", f"/products/{product_id}", json=changes)
        except ServiceProblem as problem:
            message, errors = failure(problem)
        else:
            return done(gettext("Changes saved."), "console.product", product_id=product_id)
    return render(
        "console/products/form.html", **_context(values=dict(request.form), errors=errors, message=message, **context)
    ), 422
