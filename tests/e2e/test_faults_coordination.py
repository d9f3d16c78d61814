"""Fault tests, coordination: while a cashier keeps checking out, a consumer worker is SIGKILLed or SIGSTOPped past
the visibility timeout, Redis is killed and restarts from its append-only file or comes back empty, or a consumer's
database is out of service; and a sale is made while Redis is down. After each, every sale the POS acknowledged is
applied exactly once at inventory and at suppliers within a minute, the reconciliation agrees, with nothing in the
dead letters: lost messages are republished by the POS outbox (rows its consumers did not confirm), messages
handed out twice are de-duplicated, and failures are retried, never dropped.

Deadlines are short here (a row unconfirmed for 2 s is published again; inventory's writers give up on a locked
SQLite database after 1 s), so each test runs in well under a minute. The hung worker's test waits out the
broker's visibility timeout, there the shortest a deployment may set (:data:`HUNG_VISIBILITY_TIMEOUT`) and with
it everything derived from it: the task time limits, the retry cap, the restore scans
(:class:`shared.celery_factory.Deadlines`)."""

from __future__ import annotations

import json
import time

import pytest

from shared.celery_factory import Deadlines
from shared.config import VISIBILITY_TIMEOUT_BOUNDS
from tests.e2e.convergence import SalesFlow, assert_converged, backlog
from tests.e2e.counter import PRICE, balance, checkout, on_hand, open_shop
from tests.support import database_refusing, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CONSUMERS = ("inventory", "suppliers")
#: How long a consumer's database stays out of service: several retries of each event with its backoff (at most
#: 2, 4, 8 s ..., with jitter), well within its :data:`shared.messaging.MAX_ATTEMPTS`.
OUTAGE_SECONDS = 15
#: The hung worker test's visibility timeout, in every service (any worker hands out again what is past it).
HUNG_VISIBILITY_TIMEOUT = VISIBILITY_TIMEOUT_BOUNDS[0]
#: How often, at most, kombu hands out again the unacknowledged messages older than the visibility timeout: a scan
#: every ``unacked_restore_interval``, acted on every time (``unacked_restore_throttle`` 1, see
#: :func:`shared.celery_factory.make_celery`).
RESTORE_SWEEP_SECONDS = Deadlines(HUNG_VISIBILITY_TIMEOUT).restore_interval


def overrides(**every_service) -> dict[str, dict]:
    """The platform's settings here: short deadlines, and ``every_service`` in each service."""
    fast = {"confirm_deadline": 2.0, **every_service}
    return {"pos": fast, "suppliers": fast, "inventory": {**fast, "db_busy_timeout": 1.0}}


@pytest.fixture
def platform_overrides():
    return overrides()


@pytest.fixture
def shop(platform):
    return open_shop(platform, stock=1_000)


def test_consumer_workers_sigkilled_while_sales_flow_lose_no_sale(platform, shop, start_workers):
    flow = SalesFlow(platform, shop).start()
    flow.wait_for(10)
    for service in CONSUMERS:
        platform.workers[service].process.kill()  # SIGKILL: whatever it had popped is never acknowledged
    flow.wait_for(len(flow.sales) + 10)
    # What the supervisor does:
    platform.workers.update(start_workers({service: platform.settings[service] for service in CONSUMERS}))
    flow.wait_for(len(flow.sales) + 10)
    sales = flow.stop()
    assert_converged(platform, shop, sales)


def test_redis_restarted_empty_loses_no_sale(platform, shop, start_workers):
    flow = SalesFlow(platform, shop).start()
    flow.wait_for(5)
    for service in CONSUMERS:
        platform.workers[service].process.kill()  # the sales of the next seconds wait in Redis...
    flow.wait_for(len(flow.sales) + 10)
    platform.redis.stop()  # ...which restarts without its data
    platform.redis.wipe()
    platform.redis.start()
    platform.workers.update(start_workers({service: platform.settings[service] for service in CONSUMERS}))
    flow.wait_for(len(flow.sales) + 10)
    sales = flow.stop()
    assert_converged(platform, shop, sales)
    eventually(
        lambda: backlog(platform, "pos")["outbox_unconfirmed"] == 0,
        timeout=30,
        message="every POS outbox row confirmed by its consumer",
    )


def test_redis_killed_and_restarted_from_its_append_only_file_loses_no_sale(platform, shop, start_workers):
    flow = SalesFlow(platform, shop).start()
    flow.wait_for(5)
    for service in CONSUMERS:
        platform.workers[service].process.kill()
    flow.wait_for(len(flow.sales) + 10)
    platform.redis.kill()  # the last second of writes may not be in the append-only file
    time.sleep(1)
    platform.redis.start()
    platform.workers.update(start_workers({service: platform.settings[service] for service in CONSUMERS}))
    flow.wait_for(len(flow.sales) + 10)
    sales = flow.stop()
    assert_converged(platform, shop, sales)


def test_a_sale_made_while_redis_is_down_is_accepted_and_its_effects_arrive_after_redis_returns(platform, shop):
    platform.redis.stop()
    try:
        sale = checkout(platform, shop, qty=4)
        assert sale["receipt_no"]
        assert on_hand(platform, shop) == 1_000
    finally:
        platform.redis.start()
    eventually(lambda: on_hand(platform, shop) == 996, timeout=90, message="stock decremented after Redis returned")
    eventually(
        lambda: balance(platform, shop) == 4 * PRICE - 4 * PRICE // 5,
        timeout=60,
        message="supplier credited after Redis returned",
    )
    assert_converged(platform, shop, [sale], expected={sale["id"]: 4})


def _unacknowledged(platform, queue: str) -> set[bytes]:
    """Delivery tags of the messages taken from ``queue`` and not yet acknowledged (kombu's ``unacked`` hash, whose
    entries are handed out again once older than the visibility timeout)."""
    client = platform.redis.client()
    return {tag for tag, held in client.hgetall("unacked").items() if json.loads(held)[2] == queue}


@pytest.mark.parametrize("platform_overrides", [overrides(visibility_timeout=HUNG_VISIBILITY_TIMEOUT)])
def test_consumer_workers_stopped_past_the_visibility_timeout_lose_and_double_no_sale(platform, shop):
    """Sales come at a busy afternoon's pace (two a second, eight counters each selling every four seconds): the
    backlog of the minute the consumers hang is then drained well within the minute after they resume."""
    flow = SalesFlow(platform, shop, pace=0.5).start()
    flow.wait_for(10)
    for service in CONSUMERS:
        platform.workers[service].pause()  # SIGSTOP: hung, holding what it took
    stopped_at = time.monotonic()
    held = set().union(*(_unacknowledged(platform, service) for service in CONSUMERS))
    try:
        flow.wait_for(len(flow.sales) + 10)  # the POS keeps selling; its outbox keeps republishing
        eventually(
            lambda: (
                time.monotonic() - stopped_at > HUNG_VISIBILITY_TIMEOUT
                and not held & set().union(*(_unacknowledged(platform, service) for service in CONSUMERS))
            ),
            timeout=HUNG_VISIBILITY_TIMEOUT + RESTORE_SWEEP_SECONDS + 30,
            interval=1,
            message="past the visibility timeout, what the hung workers held handed out again",
        )
    finally:
        for service in CONSUMERS:
            platform.workers[service].resume()  # SIGCONT: they finish what they held, then the copies
    flow.wait_for(len(flow.sales) + 10)
    sales = flow.stop()
    assert_converged(platform, shop, sales)


def test_a_consumer_database_out_of_service_loses_no_sale(platform, shop):
    flow = SalesFlow(platform, shop).start()
    flow.wait_for(5)
    with database_refusing(platform.settings["inventory"].database_url):
        began = time.monotonic()
        flow.wait_for(len(flow.sales) + 20, timeout=OUTAGE_SECONDS)
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - began)))  # the outage's length, not a wait
    flow.wait_for(len(flow.sales) + 5)
    sales = flow.stop()
    assert_converged(platform, shop, sales)
