"""The Celery settings that at-least-once delivery on Redis depends on (DESIGN.md §2)."""

import pytest

from shared.celery_factory import Deadlines, deadlines_of, make_celery, retry_countdown
from shared.config import ConfigError, load_settings


def test_tasks_are_acknowledged_late_redelivered_on_worker_loss_and_prefetched_one_at_a_time():
    conf = make_celery("pos", "redis://127.0.0.1:1/0").conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_ignore_result
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"


@pytest.mark.parametrize("seconds", [12.0, 60.0, 3600.0])
def test_the_visibility_timeout_is_the_same_everywhere_and_longer_than_any_task_or_retry_delay(seconds):
    conf = make_celery("pos", "redis://127.0.0.1:1/0", Deadlines(seconds)).conf
    timeouts = {
        conf.broker_transport_options["visibility_timeout"],
        conf.result_backend_transport_options["visibility_timeout"],
        conf.visibility_timeout,
    }
    assert timeouts == {seconds}
    # a retried task waits out its countdown unacknowledged in the worker, then runs: both inside the timeout
    deadlines = Deadlines(seconds)
    assert deadlines.max_retry_countdown + conf.task_time_limit < seconds
    assert conf.task_soft_time_limit < conf.task_time_limit
    # a message past the timeout is looked for at every scan, several times within the timeout
    assert conf.broker_transport_options["unacked_restore_throttle"] == 1
    assert conf.broker_transport_options["unacked_restore_interval"] < seconds / 2


def test_the_default_deadlines_are_a_minute_half_a_minute_between_retries_and_25_s_a_task():
    app = make_celery("pos", "redis://127.0.0.1:1/0")
    conf = app.conf
    assert deadlines_of(app) == Deadlines(60.0)
    assert (conf.visibility_timeout, conf.task_time_limit, conf.task_soft_time_limit) == (60.0, 25.0, 20.0)
    assert Deadlines().max_retry_countdown == 30.0


def test_the_visibility_timeout_setting_is_read_and_refused_outside_its_bounds(monkeypatch):
    monkeypatch.setenv("SENTRA_VISIBILITY_TIMEOUT", "15")
    assert load_settings("pos").visibility_timeout == 15.0
    for refused in ("11.9", "3601", "nan", "inf", "-60", "a minute"):
        monkeypatch.setenv("SENTRA_VISIBILITY_TIMEOUT", refused)
        with pytest.raises(ConfigError, match="SENTRA_VISIBILITY_TIMEOUT"):
            load_settings("pos")


def test_publishing_is_bounded_so_a_request_never_hangs_on_a_dead_broker():
    options = make_celery("pos", "redis://127.0.0.1:1/0").conf.broker_transport_options
    assert options["max_retries"] <= 3
    assert options["socket_timeout"] <= 5 and options["socket_connect_timeout"] <= 5


def test_every_app_uses_the_redis_transport_that_hands_poison_to_the_dead_letters():
    assert make_celery("pos", "redis://127.0.0.1:1/0").conf.broker_transport == "shared.redis_transport:Transport"


def test_the_one_beat_sweeps_each_outbox_releases_parked_events_purges_and_scans_alerts_on_the_owners_queue():
    schedule = make_celery("beat", "redis://127.0.0.1:1/0").conf.beat_schedule
    assert {entry["task"]: entry["options"]["queue"] for entry in schedule.values()} == {
        "inventory.outbox_sweep": "inventory",
        "pos.outbox_sweep": "pos",
        "suppliers.outbox_sweep": "suppliers",
        "inventory.release_parked": "inventory",
        "pos.release_parked": "pos",
        "suppliers.release_parked": "suppliers",
        "inventory.purge": "inventory",
        "pos.purge": "pos",
        "suppliers.purge": "suppliers",
        "inventory.scan_alerts": "inventory",
    }


def test_retry_delays_grow_with_jitter_and_never_exceed_the_cap():
    deadlines = Deadlines()
    delays = [retry_countdown(attempt, deadlines) for attempt in range(1, 20) for _ in range(20)]
    assert all(0.5 <= delay <= deadlines.max_retry_countdown for delay in delays)
    assert len({round(d, 3) for d in delays}) > 100  # jittered, not a fixed schedule
