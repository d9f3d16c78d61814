"""Languages of the pages: Bahasa Indonesia by default, English by the switch in the page header.

The chosen language is remembered on the account of the user who chose it (``users.language``), so each person
gets their own language on every device once logged in, whoever used the browser before; and in the
``sentra_lang`` cookie (a year), the language of that browser for whoever is not logged in (the login page).

Message catalogues live in ``translations/<lang>/LC_MESSAGES/messages.po``; the compiled
``.mo`` files are made by ``make run`` / ``make test`` (``pybabel compile``) and, when missing or older than their
``.po``, by :func:`compile_catalogues` at start-up, so a fresh clone works without a build step.

Money and moments are formatted here, through Babel: ``Rp1.250.000`` and ``30 Nov 2026 14.05 WIB``.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from flask import Flask, request
from flask_babel import Babel, get_locale
from werkzeug.wrappers import Response as BaseResponse

from services.gateway.sessions import optional_caller
from shared.auth import Unauthorized

TRANSLATIONS = Path(__file__).with_name("translations")
LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}
DEFAULT_LANGUAGE = "id"
LANGUAGE_COOKIE = "sentra_lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
JAKARTA = ZoneInfo("Asia/Jakarta")


def compile_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile every ``.po`` under ``directory`` whose ``.mo`` is missing or older; the written ``.mo`` paths."""
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        temporary = mo_path.with_suffix(".mo.tmp")
        with temporary.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        temporary.replace(mo_path)
        written.append(mo_path)
    return written


def chosen_language() -> str:
    """The language of this request: the logged-in user's own choice; else (not logged in, or never chose) the
    cookie's when it names a known language; else Bahasa Indonesia."""
    for wanted in (_users_language(), request.cookies.get(LANGUAGE_COOKIE)):
        if wanted in LANGUAGES:
            return str(wanted)
    return DEFAULT_LANGUAGE


def _users_language() -> str | None:
    """The language remembered on the account of this request's caller (None without a live session)."""
    try:
        caller = optional_caller()
    except Unauthorized:  # an ended session, or a form without its CSRF token: the view says so
        return None
    return caller.language if caller else None


def remember_in_cookie(response: BaseResponse, code: str) -> None:
    """Make ``code`` this browser's language (for whoever is not logged in)."""
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        samesite="Lax",
        secure=request.is_secure,
        httponly=True,
    )


def language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def rupiah(amount: int | None) -> str:
    """Whole rupiah with the locale's thousands separator: ``Rp1.250.000`` (id), ``Rp1,250,000`` (en)."""
    if amount is None or amount == "":
        return "–"
    value = int(amount)
    digits = format_decimal(abs(value), format="#,##0", locale=language())
    return ("-Rp" if value < 0 else "Rp") + digits


def moment(value: datetime | str | None) -> str:
    """A moment in Jakarta time: ``30 Nov 2026 14.05 WIB`` (id), ``30 Nov 2026 14:05 WIB`` (en)."""
    if not value:
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    pattern = "d MMM y HH.mm" if language() == "id" else "d MMM y HH:mm"
    return format_datetime(value, pattern, tzinfo=JAKARTA, locale=language()) + " WIB"


def day(value: date | str | None) -> str:
    """A calendar day: ``17 Agu 2026`` (id), ``17 Aug 2026`` (en)."""
    if not value:
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return format_date(value, "d MMM y", locale=language())


def percent_of_bps(basis_points: int | None) -> str:
    """Basis points as a percentage: 1500 → ``15 %``, 1250 → ``12,5 %`` (id)."""
    if basis_points is None:
        return "–"
    return format_decimal(basis_points / 100, format="#,##0.##", locale=language()) + " %"


def init_app(app: Flask) -> None:
    """Flask-Babel with the gateway's catalogues and the formatting filters for the templates."""
    compile_catalogues()
    app.config.update(
        BABEL_DEFAULT_LOCALE=DEFAULT_LANGUAGE,
        BABEL_DEFAULT_TIMEZONE="Asia/Jakarta",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
    )
    Babel(app, locale_selector=chosen_language)
    app.jinja_env.filters.update(rupiah=rupiah, moment=moment, day=day, percent_of_bps=percent_of_bps)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, language=language)
