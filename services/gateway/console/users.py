"""User accounts: the list with the form to create one (roles in words; a supplier login names its supplier),
and each user's page to reset the password (typed twice, never a browser prompt) and to deactivate or reactivate.
Accounts belong to the gateway itself, so these pages use its account use cases directly (the same ones the
``/api/users`` endpoints call), with the same rules: a manager manages cashiers and suppliers, an admin everyone."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext

from services.gateway import accounts, rules
from services.gateway.backend import ServiceProblem
from services.gateway.console.common import blp, done, failure, form_text, manager_page, render, supplier_names
from services.gateway.sessions import acting_user, current_caller
from services.gateway.words import word
from shared.errors import DomainError
from shared.runtime import current_runtime


def account_refusal(exc: DomainError) -> ServiceProblem:
    """A refusal of the account use cases in the shape of a service's problem, so it reads like every other."""
    return ServiceProblem(exc.status, {"code": exc.code, "errors": exc.errors or {}}, "gateway")


def _role_options() -> list[tuple[str, str]]:
    own_role = current_caller().principal.role
    return [(role, word(role, "role")) for role in rules.USER_ROLES if rules.may_manage(own_role, role)]


def _list_page(values: dict[str, Any], errors: dict[str, list[str]], message: str | None):
    with current_runtime().transaction() as session:
        users = accounts.list_users(session)
    names = supplier_names()
    return render(
        "console/users/list.html",
        section="users",
        users=users,
        supplier_names=names,
        supplier_options=sorted(names.items(), key=lambda item: item[1]),
        role_options=_role_options(),
        values=values,
        errors=errors,
        message=message,
    ), (422 if message else 200)


@blp.route("/users", methods=["GET", "POST"])
@manager_page
def users():
    """Every account and the form to create one."""
    if request.method == "GET":
        return _list_page({}, {}, None)
    data = {
        "username": form_text("username") or "",
        "name": form_text("name"),
        "role": form_text("role") or "",
        "supplier_id": form_text("supplier_id"),
        "password": request.form.get("password", ""),
    }
    errors: dict[str, list[str]] = {}
    if data["password"] != request.form.get("password_again", ""):
        errors["password_again"] = [gettext("The two passwords are not the same.")]
        return _list_page(
            dict(request.form), errors, gettext("Some fields are not valid; see the messages beside them.")
        )
    try:
        with current_runtime().transaction() as session:
            user = accounts.create_user(session, data, acting_user())
    except DomainError as exc:
        message, errors = failure(account_refusal(exc))
        return _list_page(dict(request.form), errors, message)
    return done(gettext("User %(name)s created.", name=user["name"]), "console.user", user_id=user["id"])


def _user_page(user_id: str, errors: dict[str, list[str]] | None = None, message: str | None = None):
    with current_runtime().transaction() as session:
        user = accounts.get_user(session, user_id)
    caller = current_caller().principal
    may_relink = rules.may_relink(caller.role) and caller.user_id != user["id"]
    names = supplier_names() if user["supplier_id"] or may_relink else {}
    return render(
        "console/users/detail.html",
        section="users",
        account=user,
        supplier_name=names.get(user["supplier_id"] or "", ""),
        may_change=rules.may_manage(caller.role, user["role"]),
        may_relink=may_relink,
        role_options=_role_options(),
        supplier_options=sorted(names.items(), key=lambda item: item[1]),
        is_self=caller.user_id == user["id"],
        errors=errors or {},
        message=message,
    ), (422 if message else 200)


def _change(user_id: str, changes: dict[str, Any], success: str):
    try:
        with current_runtime().transaction() as session:
            accounts.change_user(session, user_id, changes, acting_user())
    except DomainError as exc:
        message, errors = failure(account_refusal(exc))
        return _user_page(user_id, errors, message)
    return done(success, "console.user", user_id=user_id)


@blp.get("/users/<uuid:user_id>")
@manager_page
def user(user_id):
    """One account: its role and status in words, the password reset and (de)activation forms."""
    return _user_page(str(user_id))


@blp.post("/users/<uuid:user_id>/password")
@manager_page
def reset_password(user_id):
    """Give the user a new password (typed twice); their open sessions end."""
    password = request.form.get("password", "")
    if password != request.form.get("password_again", ""):
        errors = {"password_again": [gettext("The two passwords are not the same.")]}
        return _user_page(str(user_id), errors, gettext("Some fields are not valid; see the messages beside them."))
    return _change(str(user_id), {"password": password}, gettext("The new password is set; the user's sessions ended."))


@blp.post("/users/<uuid:user_id>/role")
@manager_page
def change_role(user_id):
    """(Admins) give the user another role, and a supplier login its supplier; their sessions go on."""
    changes = {"role": form_text("role") or "", "supplier_id": form_text("supplier_id")}
    return _change(str(user_id), changes, gettext("The role is changed."))


@blp.post("/users/<uuid:user_id>/active")
@manager_page
def set_user_active(user_id):
    """Deactivate (their sessions end at once) or reactivate the user."""
    active = request.form.get("active") == "true"
    message = gettext("The user can log in again.") if active else gettext("The user is deactivated and logged out.")
    return _change(str(user_id), {"active": active}, message)
