"""Label sheets: choose products (by supplier or search) and how many labels of each, then download the A4 PDF
the inventory service makes (name, price in rupiah, barcode with its digits — an in-store code for products
without their own barcode)."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_babel import gettext

from services.gateway.backend import ServiceProblem, call, raw_call
from services.gateway.console.common import blp, failure, manager_page, render, supplier_names

#: At most this many labels of one product per sheet request (the inventory service's limit).
MAX_COPIES = 480


def _chosen(errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    """``[{"product_id", "copies"}]`` from the ``copies-<product id>`` fields with a number above zero."""
    items = []
    for name, raw in request.form.items():
        if not name.startswith("copies-") or not raw.strip():
            continue
        text = raw.strip()
        if not text.isdigit() or int(text) > MAX_COPIES:
            errors[name] = [gettext("A whole number from 0 to %(most)s.", most=MAX_COPIES)]
        elif int(text) > 0:
            items.append({"product_id": name.removeprefix("copies-"), "copies": int(text)})
    return items


@blp.route("/labels", methods=["GET", "POST"])
@manager_page
def labels():
    """The products to choose from (on sale, by supplier or search) with a number of labels each; the sheet
    downloads as a PDF."""
    query = {k: request.values[k] for k in ("supplier_id", "q") if request.values.get(k)}
    errors: dict[str, list[str]] = {}
    message = None
    if request.method == "POST":
        items = _chosen(errors)
        if not items and not errors:
            message = gettext("Enter how many labels you want of at least one product.")
        elif not errors:
            try:
                pdf = raw_call("inventory", "POST", "/products/labels.pdf", json={"items": items})
            except ServiceProblem as problem:
                message, _field_errors = failure(problem)
            else:
                return Response(
                    pdf.content,
                    mimetype="application/pdf",
                    headers={"Content-Disposition": 'attachment; filename="label-harga.pdf"'},
                )
        message = message or gettext("Some fields are not valid; see the messages beside them.")
    products = call("inventory", "GET", "/products", params={**query, "active": "true"}) or []
    names = supplier_names()
    return render(
        "console/labels/form.html",
        section="labels",
        products=products,
        supplier_names=names,
        supplier_options=sorted(names.items(), key=lambda item: item[1]),
        query=query,
        values=dict(request.form),
        errors=errors,
        message=message,
    ), (422 if message else 200)
