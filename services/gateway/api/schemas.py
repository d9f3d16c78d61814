"""Schemas the gateway's auth and users blueprints share."""

from __future__ import annotations

from marshmallow import Schema, fields


class SessionUserOut(Schema):
    id = fields.String()
    username = fields.String()
    name = fields.String()
    role = fields.String()
    supplier_id = fields.String(allow_none=True)
