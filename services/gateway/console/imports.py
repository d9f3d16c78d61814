"""Importing suppliers or products from a CSV or Excel file: upload, see the check of every row (a preview of
what would be created, or every bad row with its messages — then nothing is written), confirm, done. Templates
to fill in can be downloaded in both formats."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request
from flask_babel import gettext, ngettext

from services.gateway import imports, problems
from services.gateway.backend import ServiceProblem, call
from services.gateway.console.common import blp, done, failure, manager_page, render, supplier_names

#: The import endpoint of each kind, on which service.
ENDPOINTS = {"suppliers": ("suppliers", "/suppliers/import"), "products": ("inventory", "/products/import")}
#: Where the page leads after an import.
AFTER_IMPORT = {"suppliers": "console.suppliers", "products": "console.products"}


def _references(kind: str) -> imports.References:
    if kind != "products":
        return imports.References()
    categories = call("inventory", "GET", "/categories", params={"active": "true"}) or []
    by_name = {imports.name_key(c["name"]): c["code"] for c in categories}
    by_code = {c["code"]: c["code"] for c in categories}
    return imports.References(
        suppliers={imports.name_key(name): supplier_id for supplier_id, name in supplier_names().items()},
        categories=by_code | by_name,
    )


def _page(status: int = 200, **context: Any):
    context.setdefault("kind", request.form.get("kind", "suppliers"))
    return render("console/imports/page.html", section="import", kinds=imports.KINDS, **context), status


def _row_problems(kind: str, service_errors: dict[str, Any], own: dict[str, dict]) -> list[dict[str, Any]]:
    """Every bad row: its line in the file (the header is line 1) and its messages, each under its column."""
    indexes = sorted({int(i) for i in service_errors} | {int(i) for i in own})
    spec = imports.KINDS[kind]
    listed = []
    for index in indexes:
        messages = problems.field_errors(service_errors.get(str(index), {}))
        messages.update(own.get(str(index), {}))  # this side's reason (e.g. an unknown supplier name) first
        listed.append(
            {
                "line": index + 2,
                "messages": [
                    (spec.header_of(field) or gettext("row"), message)
                    for field, texts in sorted(messages.items())
                    for message in texts
                ],
            }
        )
    return listed


def _send(kind: str, rows: list[dict], dry_run: bool) -> dict[str, Any]:
    service, path = ENDPOINTS[kind]
    return call(service, "POST", path, json={"rows": rows, "dry_run": dry_run})


@blp.get("/import")
@manager_page
def imports_page():
    return _page(kind=request.args.get("kind", "suppliers"))


@blp.get("/import/<any(suppliers, products):kind>-template.<any(csv, xlsx):file_format>")
@manager_page
def import_template(kind: str, file_format: str):
    """The template of ``kind`` as CSV or Excel."""
    if file_format == "csv":
        body, mimetype = imports.template_csv(kind), "text/csv"
    else:
        body, mimetype = imports.template_xlsx(kind), imports.XLSX
    filename = f"template-{'pemasok' if kind == 'suppliers' else 'produk'}.{file_format}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@blp.post("/import")
@manager_page
def check_import():
    """Read the uploaded file and check every row (a dry run: nothing is written)."""
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    if kind not in imports.KINDS:
        return _page(422, kind="suppliers", errors={"kind": [gettext("Choose what to import.")]})
    if upload is None or not upload.filename:
        return _page(422, errors={"file": [gettext("Choose a file.")]})
    try:
        rows, own = imports.parse(kind, upload.filename, upload.read(), _references(kind))
    except imports.ImportFileProblem as problem:
        return _page(422, errors={"file": [str(problem.message)]})
    try:
        preview = _send(kind, rows, dry_run=True)
    except ServiceProblem as problem:
        if problem.code != "invalid_import_rows":
            message, _errors = failure(problem)
            return _page(problem.status if problem.status < 500 else 502, message=message)
        service_errors = problem.errors.get("rows", {})
    else:
        service_errors = {}
    if service_errors or own:
        bad = _row_problems(kind, service_errors, own)
        message = ngettext(
            "Nothing was imported: %(num)s row has problems. Correct the file and upload it again.",
            "Nothing was imported: %(num)s rows have problems. Correct the file and upload it again.",
            len(bad),
        )
        return _page(422, message=message, bad_rows=bad, filename=upload.filename, row_count=len(rows))
    return _page(
        preview=preview["rows"],
        rows_json=json.dumps(rows, separators=(",", ":")),
        filename=upload.filename,
        supplier_names=supplier_names() if kind == "products" else {},
    )


@blp.post("/import/confirm")
@manager_page
def confirm_import():
    """Import the rows checked before (checked again by the service: all or nothing)."""
    kind = request.form.get("kind", "")
    try:
        rows = json.loads(request.form.get("rows", ""))
    except ValueError:
        rows = None
    if kind not in imports.KINDS or not isinstance(rows, list):
        return _page(422, kind="suppliers", message=gettext("Upload the file again."))
    try:
        created = _send(kind, rows, dry_run=False)
    except ServiceProblem as problem:
        if problem.code != "invalid_import_rows":
            raise
        bad = _row_problems(kind, problem.errors.get("rows", {}), {})
        return _page(422, message=gettext("Nothing was imported: the data changed since the check."), bad_rows=bad)
    count = len(created["rows"])
    text = (
        ngettext("%(num)s supplier imported.", "%(num)s suppliers imported.", count)
        if kind == "suppliers"
        else ngettext("%(num)s product imported.", "%(num)s products imported.", count)
    )
    return done(text, AFTER_IMPORT[kind])
