"""What the Redis transport lets through to kombu and what it hands to the quarantine task."""

import base64
import json

from shared.redis_transport import problem_with, quarantine_message


def _celery_message(body: object, content_type: str = "application/json") -> bytes:
    return json.dumps(
        {
            "body": base64.b64encode(json.dumps(body).encode()).decode(),
            "content-type": content_type,
            "headers": {"task": "inventory.on_sale_completed", "id": "1"},
            "properties": {"delivery_tag": "t", "body_encoding": "base64"},
        }
    ).encode()


def test_a_celery_json_message_passes_and_anything_else_is_named_as_poison():
    assert problem_with(_celery_message([[[]], {}, {}])) is None
    assert problem_with(b"\xff not json").startswith("not JSON")
    assert problem_with(b"[1, 2]").startswith("not a kombu message")
    assert problem_with(json.dumps({"body": "x"})).startswith("not a kombu message")
    assert "content type" in problem_with(
        _celery_message([[[]], {}, {}], content_type="application/x-python-serialize")
    )
    assert problem_with(_celery_message({"not": "a list"})) == "body is not [args, kwargs, embed]"


def test_poison_becomes_a_well_formed_call_of_its_queues_quarantine_task():
    message = quarantine_message(b"\xff raw", "inventory", "not JSON")
    assert problem_with(json.dumps(message)) is None
    assert message["headers"]["task"] == "inventory.quarantine"
    args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    assert args == ["\\xff raw", "inventory", "not JSON"]
