"""Bad input, generated from every operation of every service's OpenAPI (the gateway's own API included):
no 5xx, every refusal is problem+json, and a refused request writes nothing.

Each service runs in-process on a fresh database with a few real rows (so path parameters name things that
exist and a request gets past the lookup to the write). For every operation of its ``/openapi.json`` (checked
against ``app.url_map``) the test finds a role allowed to call it, builds a body with the required fields from
the request schema, then sends, one at a time:

* raw bodies: empty, ``text/plain``, a form, invalid UTF-8, JSON nested 100,000 deep, JSON that is not an
  object, and the body with an unknown field;
* every field of the body (nested ones too) and every query/path parameter set to a bad value of its type: NUL,
  a lone surrogate, a 10,001-character string, 2^63, 10^30, -2^63-1, -1, a float, a numeric string, ``"yes"`` and
  ``1`` for a boolean, ``0001-01-01`` / ``9999-12-31`` / ``2026-02-30`` for a date, JSON nested 40 deep.

A refusal (4xx other than 401/403/429, which may be audited on purpose) must leave the row count of every table
of the service unchanged. Values that can never be valid (NUL, lone surrogates, over-long strings, numbers
beyond 10^12 in size, dates outside 2000..2100, a non-boolean for a boolean, deep nesting, bodies that are not
a JSON object) must be refused. Other values may be accepted (-1 can be a valid cash movement), but never with
a 5xx.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from services.gateway import accounts
from services.gateway import create_app as create_gateway
from services.pos.models import Base as PosBase
from services.pos.qris_callbacks import qris_signature
from tests import suppliers_support as ev
from tests.inventory_support import Inventory
from tests.pos_support import Counter

TODAY = date.today()
UNKNOWN = "0b1e3c4d-0000-4000-8000-00000000dead"
NEVER_VALID = object()  # marks a bad value no field may accept
MAYBE_VALID = object()
SKIPPED_RULES = {"static", "healthz", "readyz", "metrics", "swagger_ui_asset"}
ROLE_ORDER = ("manager", "admin", "cashier", "supplier")
AUDITED_REFUSALS = {401, 403, 429}


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


STRING_BAD = [
    ("\x00", NEVER_VALID),
    ("ab\x00cd", NEVER_VALID),
    ("\ud800", NEVER_VALID),
    ("x\udfffy", NEVER_VALID),
    ("x" * 10_001, NEVER_VALID),
    (2**63, NEVER_VALID),
    (["x"], NEVER_VALID),
]
DATE_BAD = [("0001-01-01", NEVER_VALID), ("9999-12-31", NEVER_VALID), ("2026-02-30", NEVER_VALID)]
DATETIME_BAD = [
    ("0001-01-01T00:00:00+00:00", NEVER_VALID),
    ("9999-12-31T23:59:59+00:00", NEVER_VALID),
    ("2026-01-01T00:00:00", MAYBE_VALID),
]
NUMBER_BAD = [
    (2**63, NEVER_VALID),
    (10**30, NEVER_VALID),
    (-(2**63) - 1, NEVER_VALID),
    (10**12 + 1, MAYBE_VALID),
    (-1, MAYBE_VALID),
    (1.5, MAYBE_VALID),
    (1e308, NEVER_VALID),
    ("12", NEVER_VALID),
    (True, NEVER_VALID),
    (None, MAYBE_VALID),
]
BOOLEAN_BAD = [("yes", NEVER_VALID), (1, NEVER_VALID), ("true", NEVER_VALID), (None, MAYBE_VALID)]
CONTAINER_BAD = [("x", NEVER_VALID), (10**30, NEVER_VALID)]
QUERY_STRING_BAD = [
    ("\x00", NEVER_VALID),
    ("a\x00b", NEVER_VALID),
    ("x" * 10_001, NEVER_VALID),
    ("zz-not-what-it-should-be", MAYBE_VALID),
]
QUERY_NUMBER_BAD = [
    ("9223372036854775808", NEVER_VALID),
    ("1" + "0" * 30, NEVER_VALID),
    ("-1", MAYBE_VALID),
    ("1.5", MAYBE_VALID),
    ("abc", NEVER_VALID),
]
QUERY_DATE_BAD = [("0001-01-01", NEVER_VALID), ("9999-12-31", NEVER_VALID), ("2026-02-30", NEVER_VALID)]
QUERY_BOOLEAN_BAD = [("maybe", NEVER_VALID)]


# -- the services, each with a few real rows -----------------------------------------------------------------
class Target:
    """One service app: its client, headers per role, ids of real rows (by parameter name), table counts."""

    def __init__(self, name, app, metadata, headers, ids):
        self.name = name
        self.app = app
        self.client = app.test_client()
        self.metadata = metadata
        self.headers = headers
        self.ids = ids
        tables = list(metadata.tables.values())
        self._count_all = select(*[select(func.count()).select_from(table).scalar_subquery() for table in tables])
        self.table_names = [table.name for table in tables]

    def row_counts(self) -> dict[str, int]:
        with self.app.extensions["sentra"].engine.connect() as conn:
            return dict(zip(self.table_names, conn.execute(self._count_all).one(), strict=True))


def role_headers(token, supplier_id, cashier_id="kasir-1") -> dict[str, dict]:
    return {
        "manager": token("manager", user_id="manajer-1", name="Budi"),
        "admin": token("admin"),
        "cashier": token("cashier", user_id=cashier_id, name="Siti"),
        "supplier": token("supplier", supplier_id=supplier_id),
    }


def inventory_target(make_settings, token) -> Target:
    from services.inventory.models import Base

    inventory = Inventory(make_settings("inventory"), token)
    supplier_id = inventory.supplier()
    product = inventory.product(supplier_id)
    intake = inventory.intake(
        supplier_id, [{"product_id": product["id"], "qty": 5, "expiry_date": (TODAY + timedelta(days=90)).isoformat()}]
    )
    count = inventory.post("/counts", {"product_ids": [product["id"]]})
    delivery = inventory.post(
        "/deliveries",
        {"lines": [{"product_id": product["id"], "qty": 3, "expiry_date": (TODAY + timedelta(days=60)).isoformat()}]},
        headers=token("supplier", supplier_id=supplier_id),
    )
    ids = {
        "supplier_id": supplier_id,
        "product_id": product["id"],
        "intake_id": intake["id"],
        "count_id": count["id"],
        "delivery_id": delivery["id"],
        "lot_id": intake["lines"][0]["lot_id"],
        "barcode": product["barcode"],
    }
    return Target("inventory", inventory.app, Base.metadata, role_headers(token, supplier_id), ids)


def pos_target(make_settings, token) -> Target:
    counter = Counter(make_settings("pos"), token)
    counter.standard_catalogue()
    register_id = counter.ready()
    sale = counter.cash_sale(register_id)
    ids = {
        "register_id": register_id,
        "shift_id": sale["shift_id"],
        "sale_id": sale["id"],
        "payment_id": sale["payments"][0]["id"],
        "sale_line_id": sale["lines"][0]["id"],
        "outlet_id": sale["outlet_id"],
        "receipt_no": sale["receipt_no"],
        "product_id": sale["lines"][0]["product_id"],
        "barcode": "8991234500011",
        "supplier_id": sale["lines"][0]["supplier_id"],
    }
    return Target("pos", counter.app, PosBase.metadata, role_headers(token, ids["supplier_id"]), ids)


def suppliers_target(make_settings, token) -> Target:
    from services.suppliers import create_app
    from services.suppliers.models import Base

    app = ev.with_consumers(create_app(make_settings("suppliers")))
    client = app.test_client()
    manager = token("manager")
    supplier = client.post(
        "/suppliers",
        json={"business_name": "Dodol Ibu Sari", "owner_name": "Ibu Sari", "phone": "081311120007"},
        headers=manager,
    ).json
    product_id = ev.new_uuid()
    ev.deliver(app, "sale.completed", ev.sale([(supplier["id"], product_id, 1, 100_000)], completed_at=ev.at(10)))
    run = client.post("/payout-runs", json={"cutoff_date": ev.at(0).date().isoformat()}, headers=manager).json
    ids = {
        "supplier_id": supplier["id"],
        "product_id": product_id,
        "run_id": run["id"],
        "line_id": run["lines"][0]["id"],
        "payout_id": run["lines"][0]["id"],
    }
    return Target("suppliers", app, Base.metadata, role_headers(token, supplier["id"]), ids)


def gateway_target(make_settings, token) -> Target:
    from services.gateway.models import Base

    app = create_gateway(make_settings("gateway"))
    with app.extensions["sentra"].transaction() as session:
        accounts.upsert_user(session, "admin", "Admin Sentra", "admin", "admin-pass-1")
        manager, _ = accounts.upsert_user(session, "manajer", "Dewi", "manager", "manajer-pass-1")
        manager_id = str(manager["id"])
    client = app.test_client()
    bearer = {
        "Authorization": "Bearer "
        + client.post("/api/auth/login", json={"username": "admin", "password": "admin-pass-1"}).json["token"]
    }
    headers = {"admin": bearer, "manager": bearer, "cashier": bearer, "supplier": bearer}
    return Target("gateway", app, Base.metadata, headers, {"user_id": manager_id})


TARGETS = {
    "inventory": inventory_target,
    "pos": pos_target,
    "suppliers": suppliers_target,
    "gateway": gateway_target,
}


#: Bodies that get past the use case's own checks (the generic sample is refused early by these operations).
BASE_BODIES = {
    ("inventory", "POST", "/intakes"): lambda ids: {
        "supplier_id": ids["supplier_id"],
        "lines": [{"product_id": ids["product_id"], "qty": 2, "expiry_date": (TODAY + timedelta(days=60)).isoformat()}],
    },
    ("inventory", "POST", "/deliveries"): lambda ids: {
        "lines": [{"product_id": ids["product_id"], "qty": 2, "expiry_date": (TODAY + timedelta(days=60)).isoformat()}],
    },
    ("inventory", "POST", "/deliveries/{delivery_id}/receive"): lambda ids: {"lines": [{"line_no": 1, "qty": 2}]},
    ("inventory", "POST", "/counts/{count_id}/lines"): lambda ids: {
        "lines": [{"product_id": ids["product_id"], "counted": 3}]
    },
    ("pos", "POST", "/registers"): lambda ids: {"code": "R09", "name": "Kasa 9"},
    ("pos", "POST", "/sales"): lambda ids: {
        "register_id": ids["register_id"],
        "lines": [{"barcode": ids["barcode"], "qty": 1}],
        "payments": [{"method": "cash", "amount": 25_000, "tendered": 25_000}],
    },
    ("pos", "POST", "/refunds"): lambda ids: {
        "receipt_no": ids["receipt_no"],
        "lines": [{"sale_line_id": ids["sale_line_id"], "qty": 1}],
        "reason": "Kemasan rusak",
        "back_to_stock": True,
        "method": "cash",
        "register_id": ids["register_id"],
    },
    ("gateway", "POST", "/api/users"): lambda ids: {
        "username": "kasir2",
        "role": "cashier",
        "password": "rahasia-123",
    },
    ("gateway", "POST", "/api/auth/login"): lambda ids: {"username": "admin", "password": "admin-pass-1"},
}
#: Headers an operation reads itself (not in its OpenAPI parameters).
CALLBACK_BODY = json.dumps({"payment_id": UNKNOWN, "amount": 1, "status": "paid"}).encode()


def signed(timestamp: str, nonce: str) -> dict:
    """QRIS callback headers signed with the tests' secret (so a bad timestamp or nonce gets past the HMAC)."""
    signature = qris_signature("test-qris-secret", timestamp, nonce, CALLBACK_BODY)
    return {"X-QRIS-Timestamp": timestamp, "X-QRIS-Nonce": nonce, "X-QRIS-Signature": signature}


HEADER_ATTACKS = {
    ("pos", "POST", "/qris/callback"): [
        ("non-ASCII signature", {**signed("1700000000", "nonce-123"), "X-QRIS-Signature": "é" * 64}),
        ("signed 400-digit timestamp", signed("9" * 400, "nonce-123")),
        ("signed 5000-digit timestamp", signed("9" * 5000, "nonce-123")),
        ("signed superscript timestamp", signed("\u00b2" * 5, "nonce-123")),
        ("signed non-ASCII nonce", signed(str(int(time.time())), "nönce-ñ-123")),
        ("signed 5000-character nonce", signed(str(int(time.time())), "n" * 5000)),
    ]
}
#: Operations that end what others need (an open shift, an open count, the session): sent last.
ENDING = ("/close", "/approve", "/cancel", "/void", "/logout", "/paid", "/failed", "/exclude")


# -- the operations, from the OpenAPI -------------------------------------------------------------------------
class Operation:
    def __init__(self, spec, path, method, op, path_item):
        self.spec = spec
        self.path = path
        self.method = method.upper()
        self.parameters = [*path_item.get("parameters", []), *op.get("parameters", [])]
        body = op.get("requestBody", {}).get("content", {})
        self.body_schema = self.resolve(body["application/json"]["schema"]) if "application/json" in body else None

        self.error_content_types = {
            code: set(self.resolve_response(response).get("content", {}))
            for code, response in op.get("responses", {}).items()
            if code == "default" or int(code) >= 400
        }

    def __repr__(self) -> str:
        return f"{self.method} {self.path}"

    def resolve_response(self, response: dict) -> dict:
        if "$ref" in response:
            return self.spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        return response

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            schema = self.spec["components"]["schemas"][name]
        if "allOf" in schema and len(schema["allOf"]) == 1:
            return self.resolve(schema["allOf"][0])
        return schema

    def params(self, where: str) -> list[dict]:
        return [p for p in self.parameters if p["in"] == where]


def operations(target: Target) -> list[Operation]:
    spec = target.client.get("/openapi.json").json
    documented = set()
    found = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                found.append(Operation(spec, path, method, op, item))
                documented.add((path, method.upper()))
    for rule in target.app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_RULES or rule.endpoint.startswith(
            ("api-docs", "proxy.", "pages.", "console.", "portal.")
        ):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {path} is served but not in the OpenAPI"
    for op in found:
        for code, content_types in op.error_content_types.items():
            assert content_types <= {"application/problem+json"}, f"{op} documents {code} as {content_types}"
    return sorted(found, key=lambda op: (op.path.endswith(ENDING), op.path.endswith("/logout")))


def sample(schema: dict, name: str, ids: dict, op: Operation):
    """A value the schema accepts (as far as the OpenAPI tells), real ids for ``*_id`` names."""
    schema = op.resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", []))
        return {key: sample(sub, key, ids, op) for key, sub in schema.get("properties", {}).items() if key in required}
    if kind == "array":
        return [sample(schema.get("items", {}), name.rstrip("s"), ids, op)] * max(1, schema.get("minItems", 1))
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    fmt = schema.get("format")
    if fmt == "uuid" or name.endswith("_id") or name.endswith("_ids"):
        return ids.get(name, ids.get(name.rstrip("s"), str(uuid.uuid4())))
    if fmt == "date":
        return TODAY.isoformat()
    if fmt == "date-time":
        return datetime.now(UTC).isoformat()
    if fmt == "email":
        return "toko@example.com"
    return {"barcode": ids.get("barcode", "8991234500011"), "pin": "1234", "phone": "081311120007"}.get(
        name, "x" * max(1, schema.get("minLength", 1))
    )


def bad_values(schema: dict) -> list[tuple]:
    kind = schema.get("type")
    fmt = schema.get("format")
    nested = [(json.loads(deep(40)), NEVER_VALID)]
    if kind in ("integer", "number"):
        return NUMBER_BAD + nested
    if kind == "boolean":
        return BOOLEAN_BAD + nested
    if kind in ("object", "array") or "properties" in schema:
        return CONTAINER_BAD + nested
    if fmt == "date":
        return STRING_BAD + DATE_BAD + nested
    if fmt == "date-time":
        return STRING_BAD + DATETIME_BAD + nested
    return STRING_BAD + nested


def field_mutations(schema: dict, base, op: Operation, prefix=()):
    """``(path, value, never_valid)`` for every field of the body (nested objects and first array items too)."""
    schema = op.resolve(schema)
    if "properties" in schema and isinstance(base, dict):
        for key, sub in schema["properties"].items():
            sub = op.resolve(sub)
            if sub.get("readOnly"):
                continue
            for value, validity in bad_values(sub):
                yield (*prefix, key), value, validity is NEVER_VALID
            if key in base:
                yield from field_mutations(sub, base[key], op, (*prefix, key))
            elif sub.get("type") in ("object", "array") or "properties" in sub or "$ref" in sub:
                yield from field_mutations(sub, sample(sub, key, {}, op), op, (*prefix, key))
    elif schema.get("type") == "array" and isinstance(base, list) and base:
        yield from field_mutations(schema.get("items", {}), base[0], op, (*prefix, 0))


def with_value(base, path, value):
    if not path:
        return value
    head, *rest = path
    if isinstance(head, int):
        copy = list(base) if isinstance(base, list) and base else [{}]
        copy[0] = with_value(copy[0], rest, value)
        return copy
    copy = dict(base) if isinstance(base, dict) else {}
    copy[head] = with_value(copy.get(head, {}), rest, value)
    return copy


# -- sending and judging ---------------------------------------------------------------------------------------
class Judge:
    def __init__(self, target: Target):
        self.target = target
        self.failures: list[str] = []
        self.sent = 0

    def send(self, op: Operation, role: str, what: str, never_valid: bool, *, path=None, query=None, **kwargs):
        target = self.target
        headers = {**target.headers[role], "Idempotency-Key": str(uuid.uuid4()), **kwargs.pop("headers", {})}
        url = path or fill_path(op, target.ids)
        before = target.row_counts()
        self.sent += 1
        response = target.client.open(url, method=op.method, query_string=query, headers=headers, **kwargs)
        try:
            response.get_data()
        except Exception as exc:  # a streamed body that broke after the status line went out
            self.failures.append(f"{op} [{what}]: the response stream failed: {exc!r}")
            return response
        status = response.status_code
        if status >= 500:
            self.failures.append(f"{op} [{what}]: {status} {response.get_data(as_text=True)[:200]}")
        elif status >= 400:
            if response.content_type != "application/problem+json":
                self.failures.append(f"{op} [{what}]: {status} as {response.content_type}")
            if status not in AUDITED_REFUSALS:
                after = target.row_counts()
                if after != before:
                    changed = {k: (before[k], after[k]) for k in after if after[k] != before[k]}
                    self.failures.append(f"{op} [{what}]: refused with {status} but wrote {changed}")
        elif never_valid:
            self.failures.append(f"{op} [{what}]: accepted with {status}")
        return response


def fill_path(op: Operation, ids: dict, override: dict | None = None) -> str:
    path = op.path
    for param in op.params("path"):
        name = param["name"]
        value = (override or {}).get(name, ids.get(name, UNKNOWN))
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    return path


def base_query(op: Operation, ids: dict) -> dict:
    query = {}
    for param in op.params("query"):
        schema = op.resolve(param.get("schema", {}))
        if param.get("required"):
            if param["name"] == "from":
                query["from"] = (TODAY - timedelta(days=7)).isoformat()
            elif param["name"] == "to":
                query["to"] = TODAY.isoformat()
            else:
                query[param["name"]] = sample(schema, param["name"], ids, op)
    return query


def query_bad_values(schema: dict, name: str) -> list[tuple]:
    kind = schema.get("type")
    if kind in ("integer", "number"):
        return QUERY_NUMBER_BAD
    if kind == "boolean":
        return QUERY_BOOLEAN_BAD
    if schema.get("format") == "date" or name in ("from", "to", "date"):
        return QUERY_STRING_BAD + QUERY_DATE_BAD
    return QUERY_STRING_BAD


def allowed_role(judge: Judge, op: Operation) -> str:
    """The first role the operation lets in (probed with a refused body, or a read)."""
    target = judge.target
    for role in ROLE_ORDER:
        headers = {**target.headers[role], "Idempotency-Key": str(uuid.uuid4())}
        url = fill_path(op, target.ids)
        if op.method == "GET":
            response = target.client.get(url, query_string=base_query(op, target.ids), headers=headers)
        elif op.body_schema is not None:
            response = target.client.open(
                url, method=op.method, data="[]", content_type="application/json", headers=headers
            )
        else:
            probe = fill_path(op, target.ids, {p["name"]: UNKNOWN for p in op.params("path")})
            response = target.client.open(probe, method=op.method, headers=headers)
        response.get_data()
        if response.status_code not in (401, 403):
            return role
    return "manager"


def attack(judge: Judge, op: Operation) -> None:
    target = judge.target
    role = allowed_role(judge, op)
    query = base_query(op, target.ids)
    if op.body_schema is not None:
        make_base = BASE_BODIES.get((target.name, op.method, op.path))
        base = make_base(target.ids) if make_base else sample(op.body_schema, "body", target.ids, op)
        raw = [
            ("empty JSON body", b"", "application/json"),
            ("no body, no type", b"", None),
            ("text/plain", json.dumps(base).encode(), "text/plain"),
            ("form", b"note=x&reason=y", "application/x-www-form-urlencoded"),
            ("invalid UTF-8", b'{"note": "\xff\xfe"}', "application/json"),
            ("nested 100,000 deep", deep(100_000).encode(), "application/json"),
            ("object nested 100,000 deep", ('{"a":' * 100_000 + "1" + "}" * 100_000).encode(), "application/json"),
            ("a JSON array", b"[]", "application/json"),
            ("JSON null", b"null", "application/json"),
            ("a JSON string", b'"x"', "application/json"),
            ("a lone surrogate key", b'{"\\ud800": 1}', "application/json"),
            ("truncated JSON", b'{"a": ', "application/json"),
            ("unknown field", json.dumps({**base, "zz_unknown": 1}).encode(), "application/json"),
        ]
        for what, data, content_type in raw:
            judge.send(op, role, what, True, query=query, data=data, content_type=content_type)
        for path, value, never_valid in field_mutations(op.body_schema, base, op):
            body = with_value(base, path, value)
            what = f"{'.'.join(map(str, path))}={str(value)[:24]!r}"
            data = json.dumps(body)  # lone surrogates leave as \\udXXX escapes, as a client would send them
            judge.send(op, role, what, never_valid, query=query, data=data, content_type="application/json")
    for what, headers in HEADER_ATTACKS.get((target.name, op.method, op.path), []):
        judge.send(
            op, role, what, True, query=query, headers=headers, data=CALLBACK_BODY, content_type="application/json"
        )
    for param in op.params("query"):
        schema = op.resolve(param.get("schema", {}))
        for value, validity in query_bad_values(schema, param["name"]):
            what = f"?{param['name']}={value[:24]!r}"
            judge.send(op, role, what, validity is NEVER_VALID, query={**query, param["name"]: value})
    for param in op.params("path"):
        schema = op.resolve(param.get("schema", {}))
        if schema.get("format") == "uuid":
            values = ["not-a-uuid", UNKNOWN]
        else:
            values = ["\x00", "a\x00b", "x" * 5000]
        for value in values:
            url = fill_path(op, target.ids, {param["name"]: value})
            judge.send(op, role, f"/{{{param['name']}}}={value[:24]!r}", value != UNKNOWN, path=url, query=query)


@pytest.mark.parametrize("service", list(TARGETS))
def test_no_bad_input_gives_a_server_error_or_writes_anything(service, make_settings, token):
    target = TARGETS[service](make_settings, token)
    judge = Judge(target)
    try:
        ops = operations(target)
        assert ops
        for op in ops:
            attack(judge, op)
    finally:
        target.app.extensions["sentra"].engine.dispose()
    if judge.failures:
        pytest.fail(f"{len(judge.failures)} of {judge.sent} requests:\n" + "\n".join(judge.failures), pytrace=False)
