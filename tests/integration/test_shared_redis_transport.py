"""The Redis transport against a real Redis: a broker connection that is gone while a message is unsettled."""

import logging

import pytest
from kombu import Connection
from kombu.transport import redis as kombu_redis

from shared.redis_transport import Transport

CELERY_BODY = [[{"event_id": "e-1"}], {}, {}]


def _take_one(connection: Connection, queue_name: str):
    """A Celery-shaped message put on ``queue_name`` and taken off it, unacknowledged."""
    queue = connection.SimpleQueue(queue_name)
    queue.put(CELERY_BODY, headers={"task": "test.settle"}, serializer="json")
    return queue.get(timeout=5)


def _connection_gone(connection: Connection, message) -> None:
    """The state Celery's consumer leaves when Redis goes away mid-task: the transport has lost its connection
    parameters, then the channel is closed (which puts unacknowledged messages back), then the task settles."""
    connection._do_close_transport()
    message.channel.close()


def test_a_worker_whose_broker_connection_is_gone_mid_task_lives_and_the_message_comes_back(redis_server, caplog):
    redis = redis_server.client()
    redis.delete("settle-late", "unacked", "unacked_index")
    connection = Connection(redis_server.url, transport=Transport)
    taken = _take_one(connection, "settle-late")
    with caplog.at_level(logging.WARNING, logger="shared.redis_transport"):
        _connection_gone(connection, taken)
        taken.ack()
    assert "left for the visibility timeout" in caplog.text and "acknowledgement" in caplog.text
    assert redis.hlen("unacked") == 1, "the message waits in the unacknowledged index"
    with Connection(redis_server.url, transport=Transport, transport_options={"visibility_timeout": 0}) as again:
        channel = again.channel()
        channel.qos.restore_visible(interval=1)
        back = again.SimpleQueue("settle-late", channel=channel).get(timeout=5)
        assert back.payload == CELERY_BODY, "after the visibility timeout the message comes again"
        back.ack()
    assert redis.llen("settle-late") == 0 and redis.hlen("unacked") == 0


def test_kombus_own_transport_stops_the_worker_in_that_state(redis_server):
    """Why :class:`shared.redis_transport.QoS` exists (when this fails, kombu has fixed it and the QoS may go)."""
    redis_server.client().delete("settle-late-kombu", "unacked", "unacked_index")
    connection = Connection(redis_server.url, transport=kombu_redis.Transport)
    taken = _take_one(connection, "settle-late-kombu")
    with pytest.raises(AttributeError, match="hostname"):
        _connection_gone(connection, taken)
