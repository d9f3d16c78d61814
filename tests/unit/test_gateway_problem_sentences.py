"""Every problem ``code`` a service can answer with has its sentence in the gateway's one catalogue
(:data:`services.gateway.problems.SENTENCES`), translated into Bahasa Indonesia and English: a refusal never
reaches a page as the sentence of its bare HTTP status."""

from __future__ import annotations

import ast
import importlib
import io
import re
from pathlib import Path

from babel.messages.pofile import read_po

from services.gateway import problems

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "services").rglob("*.py")), *sorted((ROOT / "shared").rglob("*.py"))]
TRANSLATIONS = ROOT / "services" / "gateway" / "translations"
CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def codes_in(value: object) -> set[str]:
    """The codes a constant holds: a string, or the values of a table of codes (``SALE_IN_STATUS``)."""
    if isinstance(value, str) and CODE.match(value):
        return {value}
    if isinstance(value, dict):
        return {code for item in value.values() for code in codes_in(item)}
    return set()


def defined_codes() -> dict[str, str]:
    """``{code: where}``: every constant of a service's ``errors`` module, and every ``code=`` given to an
    exception anywhere in the services and ``shared`` (a literal, or a constant the module can name)."""
    found: dict[str, str] = {}
    for path in SOURCES:
        if "migrations" in path.parts:
            continue
        name = module_name(path)
        if path.name == "errors.py" and name != "shared.errors":
            module = importlib.import_module(name)
            for constant, value in vars(module).items():
                if constant.isupper():
                    found.update(dict.fromkeys(codes_in(value), f"{name}.{constant}"))
            continue
        calls = [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Call)]
        given = [(call, kw.value) for call in calls for kw in call.keywords if kw.arg == "code"]
        if not given:
            continue
        module = importlib.import_module(name)
        for call, value in given:
            raised = resolve(module, call.func)
            if not (isinstance(raised, type) and issubclass(raised, Exception)):
                continue  # ``code=`` of something else (a register's code, a product's barcode)
            code = value.value if isinstance(value, ast.Constant) else resolve(module, value)
            found.update(dict.fromkeys(codes_in(code), f"{name}:{value.lineno}"))
    return found


def resolve(module, node: ast.expr) -> object:
    """What a name (``SHIFT_OPEN``, ``errors.NO_PRINTER``) means in ``module``; None for anything else."""
    if isinstance(node, ast.Name):
        return getattr(module, node.id, None)
    if isinstance(node, ast.Attribute):
        owner = resolve(module, node.value)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def catalogue(language: str) -> dict[str, str]:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return {m.id: m.string for m in read_po(io.BytesIO(po.read()), locale=language) if isinstance(m.id, str)}


def test_the_scan_finds_the_codes_of_every_service():
    codes = defined_codes()
    for known in ("unknown_supplier", "shift_open", "sale_voided", "approver_is_creator", "invalid_import_rows"):
        assert known in codes
    assert "invalid_bank_file" in codes and "csrf_failed" in codes  # outside errors.py; the gateway's own


def test_every_problem_code_of_the_services_has_a_sentence():
    missing = {code: where for code, where in defined_codes().items() if code not in problems.SENTENCES}
    assert missing == {}, f"problem codes without a sentence in services/gateway/problems.py: {missing}"


def test_every_problem_sentence_is_translated_into_indonesian_and_english():
    sources = {sentence._args[0] for sentence in problems.SENTENCES.values()}  # the lazy strings' msgids
    for language in ("id", "en"):
        translated = catalogue(language)
        untranslated = sorted(source for source in sources if not translated.get(source))
        assert untranslated == [], f"{language}: problem sentences without a translation: {untranslated}"
