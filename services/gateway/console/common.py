"""What every console page shares: the blueprint, the manager check, rendering with the layout's context, and
turning a service's problem into a page message and field errors."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from services.gateway import accounts, errors, problems, rules
from services.gateway.backend import ServiceProblem, call
from services.gateway.sessions import Caller, CsrfRejected, optional_caller
from shared.auth import Unauthorized
from shared.runtime import current_runtime

blp = Blueprint("console", __name__, url_prefix="/manager", template_folder="../templates")

MANAGER_ROLES = frozenset({"manager", "admin"})


def page_caller(roles: frozenset[str]) -> Caller | Any:
    """The caller when it may see the page; else the redirect (to log in, or to the user's own page)."""
    try:
        caller = optional_caller()
    except CsrfRejected:
        return render_template("error.html", message=gettext(str(problems.SENTENCES[errors.CSRF_FAILED]))), 403
    except Unauthorized:
        caller = None
    if caller is None:
        return redirect(url_for("pages.login", next=request.path))
    if caller.principal.role not in roles:
        return redirect(rules.home_page(caller.principal.role))
    return caller


def manager_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only managers and admins; a service that cannot be reached shows the page's message, not a crash."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        caller = page_caller(MANAGER_ROLES)
        if not isinstance(caller, Caller):
            return caller
        try:
            return view(*args, **kwargs)
        except ServiceProblem as problem:
            status = problem.status if problem.status in (404, 502, 504) else 502
            return render("error.html", message=problems.sentence(problem)), status

    return wrapper


def render(template: str, **context: Any) -> str:
    caller = optional_caller()
    assert caller is not None
    return render_template(template, user=caller.principal, username=caller.username, page="manager", **context)


def failure(problem: ServiceProblem) -> tuple[str, dict[str, list[str]]]:
    """The page message and the field errors of a refused change."""
    return problems.sentence(problem), problems.field_errors(problem.errors)


def done(message: str, endpoint: str, **values: Any) -> Any:
    """After a successful change: the message on the next page (post/redirect/get)."""
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def supplier_names() -> dict[str, str]:
    """``{supplier id: business name}`` of every supplier (so no page shows an id where a name exists)."""
    return {s["id"]: s["business_name"] for s in call("suppliers", "GET", "/suppliers") or []}


def person_names() -> Callable[[str | None], str]:
    """``name_of(actor)``: the name of the user a service recorded as ``role:user_id`` (or a bare user id), ``""``
    for one the gateway does not know (so no page shows an id where a name exists)."""
    with current_runtime().transaction() as session:
        names = {u["id"]: u["name"] or u["username"] for u in accounts.list_users(session)}
    return lambda actor: names.get((actor or "").rpartition(":")[2], "")


def form_text(name: str) -> str | None:
    """A trimmed form value, ``None`` when empty."""
    value = request.form.get(name, "").strip()
    return value or None


def form_int(name: str, errors: dict[str, list[str]], *, required: bool = False) -> int | None:
    """A whole number from the form (dots between thousands allowed); a message in ``errors`` when it is not."""
    raw = (request.form.get(name) or "").strip().replace(".", "").replace(" ", "")
    if not raw:
        if required:
            errors[name] = [gettext("Required.")]
        return None
    if not raw.lstrip("-").isdigit():
        errors[name] = [gettext("Must be a whole number.")]
        return None
    return int(raw)
