import pytest
from marshmallow import ValidationError

from shared.config import DEV_SECRET, ConfigError, load_settings
from shared.events import CONTRACTS, build_envelope, contract, load_event
from shared.schemas import Money, Quantity, StrictSchema

SUPPLIER = "7d3c1a8e-6a3f-4b7e-9a8c-2f1e5d4c3b2a"


def test_every_contract_names_subscriber_tasks_after_the_consuming_service():
    assert contract("sale.completed").task_name("inventory") == "inventory.on_sale_completed"
    for spec in CONTRACTS.values():
        assert spec.version >= 1
        assert set(spec.subscribers) <= {"inventory", "pos", "suppliers"}


def test_the_producer_refuses_a_payload_that_breaks_its_contract():
    with pytest.raises(ValidationError) as info:
        build_envelope("supplier.registered", "suppliers", {"supplier_id": SUPPLIER, "name": "X", "status": "gone"})
    assert "status" in info.value.messages
    with pytest.raises(ValidationError):
        build_envelope(
            "supplier.registered",
            "suppliers",
            {"supplier_id": SUPPLIER, "name": "X", "status": "active", "surprise": 1},
        )


def test_a_consumer_loads_tolerantly_and_drops_fields_it_does_not_know():
    envelope = build_envelope(
        "supplier.registered", "suppliers", {"supplier_id": SUPPLIER, "name": "X", "status": "active"}
    )
    envelope["payload"]["added_in_a_later_release"] = True
    envelope["trace"] = "x"
    meta, payload = load_event(envelope)
    assert meta["type"] == "supplier.registered"
    assert "added_in_a_later_release" not in payload
    assert str(payload["supplier_id"]) == SUPPLIER


def test_an_unknown_version_is_not_loaded_as_if_it_were_known():
    envelope = build_envelope(
        "supplier.registered", "suppliers", {"supplier_id": SUPPLIER, "name": "X", "status": "active"}
    )
    envelope["version"] = 2
    with pytest.raises(ValidationError):
        load_event(envelope)


MOVEMENT = {
    "movement_id": "5b0c3f3e-2d7a-4f7e-8f4e-1c2b3a4d5e6f",
    "outlet_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "product_id": "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b",
    "supplier_id": SUPPLIER,
    "lot_id": None,
    "kind": "write_off",
    "qty": -1,
    "on_hand_after": 4,
    "unit_price": 25_000,
    "reason": "rusak",
    "borne_by": "centre",
    "reference_id": None,
    "occurred_at": "2026-11-30T08:00:00+00:00",
}


def test_a_version_1_stock_moved_recorded_before_the_upgrade_is_loaded_as_one_movement_of_version_2():
    envelope = build_envelope("stock.moved", "inventory", {"movements": [MOVEMENT]})
    assert envelope["version"] == 2
    envelope["version"], envelope["payload"] = 1, dict(MOVEMENT)
    _, payload = load_event(envelope)
    assert [(str(m["movement_id"]), m["qty"], m["borne_by"]) for m in payload["movements"]] == [
        (MOVEMENT["movement_id"], -1, "centre")
    ]
    envelope["version"] = 3
    with pytest.raises(ValidationError):
        load_event(envelope)
    envelope["version"], envelope["payload"] = 1, ["not", "an", "object"]
    with pytest.raises(ValidationError):
        load_event(envelope)


class _Line(StrictSchema):
    price = Money(required=True)
    qty = Quantity(required=True)


@pytest.mark.parametrize("price", [1.5, 1.0, "1000", True, -1, None])
def test_money_fields_accept_only_whole_non_negative_rupiah(price):
    with pytest.raises(ValidationError) as info:
        _Line().load({"price": price, "qty": 1})
    assert "price" in info.value.messages


@pytest.mark.parametrize("qty", [0, -3, 2.5, "2"])
def test_quantities_are_whole_and_positive(qty):
    with pytest.raises(ValidationError):
        _Line().load({"price": 1000, "qty": qty})


def test_request_schemas_reject_fields_they_do_not_list():
    with pytest.raises(ValidationError) as info:
        _Line().load({"price": 1000, "qty": 1, "commission": 5})
    assert "commission" in info.value.messages


def test_production_has_no_default_secret_or_database(monkeypatch):
    monkeypatch.setenv("SENTRA_ENV", "production")
    monkeypatch.delenv("SENTRA_JWT_SECRET", raising=False)
    monkeypatch.setenv("SENTRA_POS_DATABASE_URL", "postgresql://x@db/pos")
    with pytest.raises(ConfigError, match="SENTRA_JWT_SECRET"):
        load_settings("pos")
    monkeypatch.setenv("SENTRA_JWT_SECRET", "s3cret")
    monkeypatch.setenv("SENTRA_QRIS_CALLBACK_SECRET", "q")
    monkeypatch.delenv("SENTRA_POS_DATABASE_URL")
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings("pos")


@pytest.mark.parametrize("name", ["prod", "Production", "staging"])
def test_an_unknown_environment_name_is_refused_instead_of_running_on_development_defaults(monkeypatch, name):
    monkeypatch.setenv("SENTRA_ENV", name)
    with pytest.raises(ConfigError, match="SENTRA_ENV"):
        load_settings("pos")


@pytest.mark.parametrize("secret", [DEV_SECRET, "x", "a-secret-of-31-bytes-is-too-sho"])
def test_production_refuses_a_public_or_short_secret(monkeypatch, secret):
    monkeypatch.setenv("SENTRA_ENV", "production")
    monkeypatch.setenv("SENTRA_POS_DATABASE_URL", "postgresql://x@db/pos")
    monkeypatch.setenv("SENTRA_QRIS_CALLBACK_SECRET", "q" * 48)
    monkeypatch.setenv("SENTRA_JWT_SECRET", secret)
    with pytest.raises(ConfigError, match="SENTRA_JWT_SECRET is too weak"):
        load_settings("pos")
    monkeypatch.setenv("SENTRA_JWT_SECRET", "k" * 32)
    assert load_settings("pos").jwt_secret == "k" * 32


def test_development_warns_whenever_it_runs_on_the_public_development_secret(monkeypatch, caplog):
    monkeypatch.delenv("SENTRA_ENV", raising=False)
    monkeypatch.delenv("SENTRA_JWT_SECRET", raising=False)
    with caplog.at_level("WARNING", logger="shared.config"):
        settings = load_settings("pos")
    assert settings.jwt_secret == DEV_SECRET
    assert any("SENTRA_JWT_SECRET is the public development secret" in r.getMessage() for r in caplog.records)


def test_production_refuses_the_cheapest_password_hashing_and_any_unknown_cost(monkeypatch):
    monkeypatch.setenv("SENTRA_ENV", "production")
    monkeypatch.setenv("SENTRA_POS_DATABASE_URL", "postgresql://x@db/pos")
    monkeypatch.setenv("SENTRA_QRIS_CALLBACK_SECRET", "q" * 48)
    monkeypatch.setenv("SENTRA_JWT_SECRET", "k" * 32)
    assert load_settings("pos").password_hashing == "standard"
    monkeypatch.setenv("SENTRA_PASSWORD_HASHING", "cheapest")
    with pytest.raises(ConfigError, match="SENTRA_PASSWORD_HASHING=cheapest is for tests"):
        load_settings("pos")
    monkeypatch.setenv("SENTRA_ENV", "test")
    assert load_settings("pos").password_hashing == "cheapest"
    monkeypatch.setenv("SENTRA_PASSWORD_HASHING", "fast")
    with pytest.raises(ConfigError, match="standard or cheapest"):
        load_settings("pos")
