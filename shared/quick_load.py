"""A marshmallow schema's valid input loaded without the schema machinery: the event contracts' hot path.

A consumer loads every envelope and payload with its contract's schema (:func:`shared.events.load_event`), and a
producer checks every payload it writes (:meth:`shared.events.Contract.check_produced`); for the events of every
sale that was a tenth of the inventory worker's CPU and a sixth of the suppliers worker's.
:func:`compile_loader` turns a schema into a plain function that returns exactly what ``schema.load`` returns for
valid input: it converts the common JSON values itself (a UUID string, a string, an integer, a boolean, an
object, a list or an object of a nested schema), runs each field's validators, and hands any other field to the
field's own ``deserialize``. At the first thing it does not accept (not an object, a required field missing, a
wrong type, a failed validator, a field unknown to a schema that refuses them) it answers ``None``, and the
caller loads with the schema, so every refusal is marshmallow's with its field paths and messages. A schema it
cannot follow exactly (hooks, field-level pre- or post-load functions, ``unknown=INCLUDE``) is not compiled.
``tests/unit/test_shared_quick_load.py`` holds the two to agreement on generated events, valid and broken.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, missing

from shared.schemas import BasisPoints, Money, Quantity, StrictInteger

#: Convert one present, non-null value as its field would (validators included), or raise.
Convert = Callable[[Any], Any]
#: The integer fields whose conversion of a JSON integer is the integer itself (they add validators only).
_INTEGERS = (fields.Integer, StrictInteger, Money, Quantity, BasisPoints)


class GiveUp(Exception):
    """The input is not one a quick loader accepts (the schema decides what is wrong with it)."""


def compile_loader(schema: Schema) -> Callable[[Any], dict[str, Any] | None] | None:
    """``load(data)`` → what ``schema.load(data)`` returns, or ``None`` where the schema is to decide; ``None``
    itself when ``schema`` cannot be followed exactly."""
    convert = _schema_converter(schema)
    if convert is None:
        return None

    def load(data: Any) -> dict[str, Any] | None:
        try:
            loaded: dict[str, Any] = convert(data)
        except (GiveUp, ValidationError):
            return None
        return loaded

    return load


def _schema_converter(schema: Schema) -> Convert | None:
    if any(schema._hooks.values()) or schema.many or schema.partial or schema.unknown not in (EXCLUDE, RAISE):
        return None
    plan = []
    for name, field in schema.load_fields.items():
        convert = _field_converter(field)
        if convert is None:
            return None
        plan.append((field.data_key or name, field.attribute or name, field, convert))
    known = frozenset(key for key, _name, _field, _convert in plan)
    refuse_unknown = schema.unknown == RAISE

    def convert_object(data: Any) -> dict[str, Any]:
        if type(data) is not dict or (refuse_unknown and not known.issuperset(data)):
            raise GiveUp
        loaded: dict[str, Any] = {}
        for key, name, field, convert in plan:
            if key in data:
                loaded[name] = _present(data[key], field, convert)
            elif field.required:
                raise GiveUp
            elif field.load_default is not missing:
                default = field.load_default
                loaded[name] = default() if callable(default) else default
        return loaded

    return convert_object


def _present(value: Any, field: fields.Field[Any], convert: Convert) -> Any:
    if value is None:
        if not field.allow_none:
            raise GiveUp
        return None
    return convert(value)


def _field_converter(field: fields.Field[Any]) -> Convert | None:
    if field.pre_load or field.post_load:
        return None
    if isinstance(field, fields.Nested):
        if field.many or (field.unknown is not None and field.unknown != field.schema.unknown):
            return None
        return _validated(_schema_converter(field.schema), field)
    if type(field) is fields.List:
        inner, inner_field = _field_converter(field.inner), field.inner
        if inner is None:
            return None

        def convert_list(value: Any) -> list[Any]:
            if type(value) is not list:
                raise GiveUp
            return [_present(each, inner_field, inner) for each in value]

        return _validated(convert_list, field)
    if type(field) is fields.UUID:
        return _validated(uuid_from_json, field)
    if type(field) is fields.String:
        return _validated(_of_type(str), field)
    if type(field) in _INTEGERS:
        return _validated(_of_type(int), field)  # ``type(...) is int``: never a boolean
    if type(field) is fields.Boolean:
        return _validated(_of_type(bool), field)
    if type(field) is fields.Dict and field.key_field is None and field.value_field is None:
        return _validated(_object_copy, field)
    return lambda value: field.deserialize(value)  # any other field: its own conversion and validators


def _validated(convert: Convert | None, field: fields.Field[Any]) -> Convert | None:
    """``convert`` followed by ``field``'s validators, as ``Field.deserialize`` runs them on its output."""
    if convert is None:
        return None
    validators = tuple(field.validators)
    if not validators:
        return convert

    def convert_and_validate(value: Any) -> Any:
        converted = convert(value)
        for validator in validators:
            if validator(converted) is False:
                raise GiveUp
        return converted

    return convert_and_validate


def _of_type(kind: type) -> Convert:
    def same(value: Any) -> Any:
        if type(value) is not kind:
            raise GiveUp
        return value

    return same


def uuid_from_json(value: Any) -> uuid.UUID:
    """The UUID a JSON string spells, as marshmallow's ``fields.UUID`` reads it."""
    if type(value) is not str:
        raise GiveUp
    try:
        return uuid.UUID(value)
    except ValueError:
        raise GiveUp from None


def _object_copy(value: Any) -> dict[Any, Any]:
    if type(value) is not dict:
        raise GiveUp
    return dict(value)
