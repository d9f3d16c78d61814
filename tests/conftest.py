"""Shared fixtures: a private Redis server, databases on SQLite and (when configured) PostgreSQL, service
apps with their migrations applied, tokens for every role, and real worker processes."""

from __future__ import annotations

import fcntl
import os
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from shared.auth import Principal, issue_access_token
from shared.messaging import stop_every_relay
from tests.support import (
    POSTGRES_URL_ENV,
    TEST_JWT_SECRET,
    MigratedTemplates,
    PostgresDatabases,
    RedisServer,
    WorkerProcess,
    settings_for,
    start_together,
)

pytest_plugins = ["tests.pos_support", "tests.suppliers_support"]
#: Speed is measured by the benchmarks, never by a test: no per-example deadline (a loaded CI machine would fail
#: a correct property on time alone).
hypothesis_settings.register_profile("sentra", deadline=None)
hypothesis_settings.load_profile("sentra")

BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get(POSTGRES_URL_ENV) else [])


#: How many of the run's processes start with a share of the slow tests: while one of them runs a slow test, the
#: other sets up its next one (the slow tests' set-up, a platform of apps and workers, is half their time).
SLOW_TEST_PROCESSES = 2


@pytest.hookimpl(trylast=True)  # after ``-m``/``-k`` have taken their tests out: the shares are of what is left
def pytest_collection_modifyitems(config, items):
    """Run the longest kinds of test first: the slow fault and ``make run`` tests, then the end-to-end and browser
    tests, then the rest (a stable sort: files and parameters keep their order within a kind).

    ``make test`` hands the tests out with pytest-xdist's work stealing: each process starts with an equal,
    contiguous share of this list, and one that runs out takes the last half of the longest queue. Under it the
    slow tests (mostly waiting: for a timeout, an outage, an idle minute) are dealt to the head of the first
    :data:`SLOW_TEST_PROCESSES` shares, so they start at once while the other processes work through the rest,
    and none of them is left to start last on an idle machine. Their calls still run one at a time
    (:func:`pytest_runtest_call`)."""
    items.sort(key=_start_order)
    processes = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if processes > 1 and config.getoption("dist", None) == "worksteal":
        items[:] = _deal_slow_tests(items, processes, min(SLOW_TEST_PROCESSES, processes))


def _start_order(item) -> int:
    if item.get_closest_marker("slow"):
        return 0
    if item.get_closest_marker("e2e") or item.get_closest_marker("browser"):
        return 1
    return 2


def _deal_slow_tests(items: list, processes: int, dealt_to: int) -> list:
    """``items`` (slow tests first) reordered so that the first ``dealt_to`` of the ``processes`` shares, as work
    stealing divides them at the start, each begin with every ``dealt_to``-th slow test (best effort: slow tests
    that outnumber a share spill into the next)."""
    slow = [item for item in items if item.get_closest_marker("slow")]
    rest = items[len(slow) :]
    ordered: list = []
    for share in range(processes):
        size = (len(items) - len(ordered)) // (processes - share)  # as the scheduler divides what is left
        head = slow[share::dealt_to] if share < dealt_to else []
        taken = max(0, size - len(head))
        ordered += head + rest[:taken]
        rest = rest[taken:]
    return ordered + rest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A slow end-to-end test's call holds a lock all the test processes of the run share: those tests time a
    platform's recovery from a fault (a Redis restart, an outage, a hung worker), and two at a time on two cores
    one of them once missed its convergence deadline. Their set-up and tear-down (starting and stopping apps and
    workers) need no lock, nor does a slow test of one service and its process's own Redis (an integration test
    that stops that Redis), which would otherwise sit idle behind a minute-long fault test."""
    exclusive = item.get_closest_marker("slow") is not None and item.get_closest_marker("e2e") is not None
    if not exclusive or "PYTEST_XDIST_TESTRUNUID" not in os.environ:
        return (yield)
    lock_path = Path(tempfile.gettempdir()) / f"sentra-slow-tests-{os.environ['PYTEST_XDIST_TESTRUNUID']}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return (yield)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server of the tests' own on a free port (stopped at the end of the run)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def test_redis(redis_server):
    """The run's Redis as a test finds it: no worker seen draining its queue yet. A sweep stamps the time it
    drained a queue (``QUEUE_DRAINED_KEY``), and a stamp left by an earlier test goes stale while later tests
    run, so readiness would report that queue stalled."""
    from shared.celery_factory import QUEUE_DRAINED_KEY

    client = redis_server.client()
    stamps = list(client.scan_iter(QUEUE_DRAINED_KEY.format(service="*")))
    if stamps:
        client.delete(*stamps)
    client.close()
    return redis_server


@pytest.fixture(scope="session")
def postgres_databases():
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        yield None
        return
    databases = PostgresDatabases(url)
    yield databases
    databases.drop_all()


@pytest.fixture(autouse=True)
def _drop_the_tests_databases(postgres_databases):
    """(PostgreSQL) When a test ends, its databases go, and with them every connection its apps still hold. Their
    outbox relays stop first: a relay woken by the test's last commit would otherwise fail on a database gone and
    log the traceback while the next test builds its apps. (Python 3.11 formats a traceback with ``ast.parse``,
    which is not safe in two threads at once: werkzeug compiling the next app's routes then failed with
    ``SystemError: AST constructor recursion depth mismatch``.)"""
    yield
    if postgres_databases is not None:
        stop_every_relay()
        postgres_databases.drop_test_databases()


@pytest.fixture(params=BACKENDS)
def backend(request):
    """The database engine a test runs on: always SQLite; PostgreSQL too when SENTRA_TEST_POSTGRES_URL is set."""
    return request.param


@pytest.fixture
def make_database_url(backend, tmp_path, postgres_databases):
    """``make_database_url(service)`` → a fresh, empty database URL for ``service`` on the current backend."""

    def make(service: str) -> str:
        if backend == "postgres":
            return postgres_databases.create()
        return f"sqlite:///{tmp_path / (service + '.db')}"

    return make


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory, postgres_databases):
    """Every service's migrations, run once per backend into a template that tests get copies of."""
    return MigratedTemplates(tmp_path_factory.mktemp("templates"), postgres_databases)


@pytest.fixture
def make_settings(backend, tmp_path, migrated_templates, test_redis):
    """``make_settings(service)`` → settings on a fresh migrated database and the test Redis."""

    def make(service: str, **overrides):
        database_url = migrated_templates.database(backend, service, tmp_path)
        return settings_for(service, database_url, test_redis.url, **overrides)

    return make


@pytest.fixture
def token():
    """``token(role, supplier_id=None, user_id=...)`` → a bearer header dict with an access token signed like the
    gateway's (valid for the length of any test)."""

    def make(role: str, supplier_id: str | None = None, user_id: str | None = None, name: str | None = None):
        principal = Principal(
            user_id=user_id or f"{role}-user", name=name or role.title(), role=role, supplier_id=supplier_id
        )
        return {"Authorization": f"Bearer {issue_access_token(TEST_JWT_SECRET, principal, timedelta(hours=1))}"}

    return make


@pytest.fixture
def start_workers(tmp_path):
    """``start_workers({service: settings}, beat="pos")`` → ``{service: worker}``, running celery worker
    subprocesses started together (the one of ``beat`` also runs the beat); stopped when the test ends."""
    workers: list[WorkerProcess] = []

    def start(settings: dict, beat: str | None = None) -> dict[str, WorkerProcess]:
        started = {
            service: WorkerProcess(one, Path(tmp_path) / f"{service}-worker.log", beat=service == beat)
            for service, one in settings.items()
        }
        workers.extend(started.values())
        start_together(started.values())
        return started

    yield start
    for worker in workers:
        worker.discard()


@pytest.fixture
def start_worker(start_workers):
    """``start_worker(settings, beat=False)`` → a running celery worker subprocess for that service."""

    def start(settings, beat: bool = False) -> WorkerProcess:
        return start_workers({settings.service: settings}, beat=settings.service if beat else None)[settings.service]

    return start


@pytest.fixture
def make_messaging_runtime(make_database_url, test_redis):
    """``make_messaging_runtime(**settings)`` → a runtime acting as the suppliers service on a database holding
    only the shared messaging tables."""
    from sqlalchemy import MetaData

    from shared.messaging import Messaging
    from shared.runtime import build_runtime

    runtimes = []

    def make(**overrides):
        metadata = MetaData()
        settings = settings_for("suppliers", make_database_url("messaging"), test_redis.url, **overrides)
        runtime = build_runtime(settings, Messaging(metadata, "suppliers"))
        metadata.create_all(runtime.engine)
        runtimes.append(runtime)
        return runtime

    yield make
    for runtime in runtimes:
        runtime.engine.dispose()


@pytest.fixture
def messaging_runtime(make_messaging_runtime):
    """A runtime acting as the suppliers service on a database holding only the shared messaging tables (a writer
    waits at most a second for a lock, so a test can hold the lock as an outage would)."""
    return make_messaging_runtime(db_busy_timeout=1.0)


@pytest.fixture(scope="session")
def running_centres(tmp_path_factory, migrated_templates):
    """The :class:`tests.running_centre.RunningCentre` of each backend, started when a test first asks for it (the
    browser tests' ``centre``, the end-to-end tests' ``shared_platform``)."""
    from tests.running_centre import RunningCentre

    centres: dict[str, RunningCentre] = {}

    def get(backend: str) -> RunningCentre:
        if backend not in centres:
            centres[backend] = RunningCentre(backend, tmp_path_factory.mktemp(f"centre-{backend}"), migrated_templates)
        return centres[backend]

    yield get
    for running in centres.values():
        running.stop()
