"""Kombu's Redis transport, made safe against poison on a queue.

Kombu's Redis channel decodes what it pops from a queue (``json.loads``) in its event loop: anything that is not a
kombu message (a raw ``LPUSH`` of text, truncated JSON, a JSON value without ``body``/``properties``) raises there
and stops the worker (``Unrecoverable error: JSONDecodeError``), and a message whose body Celery cannot decode is
logged and acknowledged, i.e. dropped. This transport checks each popped item before kombu sees it: an item that
is not a well-formed Celery JSON message is handed to the queue's quarantine task instead (``<queue>.quarantine``,
registered by :func:`shared.celery_factory.register_consumers`), which stores it in the service's dead letters.

Used by every Celery app of the platform (``broker_transport`` in :func:`shared.celery_factory.make_celery`).
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from typing import Any

from kombu.transport import redis as kombu_redis

log = logging.getLogger(__name__)

#: Longest raw text kept of a poison message (the rest is cut; the dead letter says how long it was).
QUARANTINE_MAX_CHARS = 100_000


def _text(item: bytes | str) -> str:
    """``item`` as text (kombu's ``bytes_to_str``, typed): UTF-8, strict."""
    return item.decode("utf-8") if isinstance(item, bytes) else item


def quarantine_task(queue: str) -> str:
    """The task that stores poison found on ``queue`` (each service's queue is named after the service)."""
    return f"{queue}.quarantine"


def problem_with(item: bytes | str) -> str | None:
    """Why ``item`` (as popped from a queue) is not a Celery JSON message of protocol 2, or ``None`` when it is."""
    try:
        message = json.loads(_text(item))
    except (ValueError, UnicodeDecodeError) as exc:
        return f"not JSON: {exc}"
    if not isinstance(message, dict):
        return "not a kombu message (a JSON object)"
    properties, headers = message.get("properties"), message.get("headers")
    if not isinstance(properties, dict) or "delivery_tag" not in properties or not isinstance(headers, dict):
        return "not a kombu message (no properties, delivery tag or headers)"
    if not isinstance(headers.get("task"), str):
        return "not a Celery task message (no task header)"
    if message.get("content-type") != "application/json":
        return f"content type {message.get('content-type')!r} is not accepted (JSON only)"
    try:
        body = message["body"]
        if properties.get("body_encoding") == "base64":
            body = base64.b64decode(body)
        decoded = json.loads(_text(body))
    except (KeyError, TypeError, ValueError) as exc:
        return f"body is not JSON: {exc!r}"
    if not (isinstance(decoded, list) and len(decoded) == 3 and isinstance(decoded[0], list)):
        return "body is not [args, kwargs, embed]"
    return None


def quarantine_message(item: bytes | str, queue: str, problem: str) -> dict[str, Any]:
    """A well-formed Celery message that calls ``<queue>.quarantine(raw, queue, problem)`` with ``item`` as text."""
    raw = item.decode("utf-8", errors="backslashreplace") if isinstance(item, bytes) else item
    if len(raw) > QUARANTINE_MAX_CHARS:
        problem = f"{problem} (first {QUARANTINE_MAX_CHARS} of {len(raw)} characters kept)"
        raw = raw[:QUARANTINE_MAX_CHARS]
    task_id = str(uuid.uuid4())
    body = json.dumps([[raw, queue, problem], {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}])
    return {
        "body": base64.b64encode(body.encode()).decode(),
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {
            "lang": "py",
            "task": quarantine_task(queue),
            "id": task_id,
            "root_id": task_id,
            "parent_id": None,
            "group": None,
            "retries": 0,
            "eta": None,
            "expires": None,
            "timelimit": [None, None],
            "argsrepr": "(poison)",
            "kwargsrepr": "{}",
            "origin": "sentra-quarantine",
            "ignore_result": True,
        },
        "properties": {
            "correlation_id": task_id,
            "reply_to": "",
            "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": queue},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": str(uuid.uuid4()),
        },
    }


def checked(item: bytes | str, queue: str) -> dict[str, Any]:
    """The kombu message for ``item``: itself when well formed, else its quarantine message."""
    problem = problem_with(item)
    if problem is None:
        message: dict[str, Any] = json.loads(_text(item))
        return message
    log.error("poison on queue %s (%s): handed to %s", queue, problem, quarantine_task(queue))
    return quarantine_message(item, queue, problem)


class QoS(kombu_redis.QoS):
    """Kombu's Redis QoS, except that it does not stop the worker when the broker connection is already gone.

    When Redis goes away while a task runs, Celery closes the broker connection; kombu may have dropped the
    connection's parameters first, and then putting the unacknowledged messages back (``restore_unacked``, as
    the channel closes) and the running task's late acknowledgement both reach for them (``AttributeError:
    'NoneType' object has no attribute 'hostname'``), which Celery treats as an unrecoverable error: the worker
    stops. Here both are skipped with a warning instead. The messages stay in Redis's unacknowledged index, from
    which any worker puts them back after the visibility timeout (or, if Redis lost its data, the producer's
    outbox publishes them again), and every consumer de-duplicates, so a message settled twice or late is safe.
    """

    def _connection_gone(self) -> bool:
        return getattr(self.channel.connection, "client", None) is None

    def restore_unacked(self, client: Any = None) -> None:
        if self._connection_gone():
            log.warning("unacknowledged messages left for the visibility timeout: the broker connection is gone")
            return
        super().restore_unacked(client)  # type: ignore[no-untyped-call]

    def ack(self, delivery_tag: Any) -> None:
        if self._connection_gone():
            log.warning("acknowledgement of %s dropped: the broker connection is gone", delivery_tag)
            return
        super().ack(delivery_tag)  # type: ignore[no-untyped-call]

    def reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        if self._connection_gone():
            log.warning("rejection of %s dropped: the broker connection is gone", delivery_tag)
            return
        super().reject(delivery_tag, requeue=requeue)  # type: ignore[no-untyped-call]


class Channel(kombu_redis.Channel):
    """Kombu's Redis channel with every popped item checked (:func:`checked`) before it is delivered, and
    messages settled through :class:`QoS`."""

    QoS = QoS

    def _brpop_read(self, **options: Any) -> bool:
        # Kombu 5.x ``Channel._brpop_read`` with ``loads`` replaced by :func:`checked`.
        try:
            try:
                dest__item = self.client.parse_response(self.client.connection, "BRPOP", **options)
            except self.connection_errors:
                self.client.connection.disconnect()
                raise
            if dest__item:
                dest, item = dest__item
                dest = _text(dest).rsplit(self.sep, 1)[0]
                self._queue_cycle.rotate(dest)
                self.connection._deliver(checked(item, dest), dest)
                return True
            raise kombu_redis.Empty()
        finally:
            self._in_poll = None  # type: ignore[assignment]  # kombu's own reset
            flush = getattr(self, "_flush_brpop_reauth", None)
            if flush is not None:
                flush()

    def _get(self, queue: Any, timeout: Any = None) -> Any:
        # Kombu 5.x ``Channel._get`` with ``loads`` replaced by :func:`checked`.
        with self.conn_or_acquire() as client:
            for pri in self.priority_steps:
                item = client.rpop(self._q_for_pri(queue, pri))  # type: ignore[no-untyped-call]
                if item:
                    self._maybe_update_queues_expire(client, queue)  # type: ignore[no-untyped-call]
                    return checked(item, queue)
            self._maybe_update_queues_expire(client, queue)  # type: ignore[no-untyped-call]
            raise kombu_redis.Empty()


class Transport(kombu_redis.Transport):
    """Kombu's Redis transport using :class:`Channel`."""

    Channel = Channel
