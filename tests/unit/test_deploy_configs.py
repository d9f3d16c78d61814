"""The deployment files are kept correct by reading them (Docker cannot run here)."""

from __future__ import annotations

import importlib.util
import re
import shlex

import yaml
from honcho.environ import parse_procfile

from shared.config import PROJECT_ROOT, SERVICES

COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
PROCFILE = parse_procfile((PROJECT_ROOT / "Procfile").read_text())


def _module_exists(dotted: str) -> bool:
    return importlib.util.find_spec(dotted) is not None


def _targets(command: list[str]) -> list[str]:
    """The Python modules a gunicorn/celery command line would import."""
    modules = []
    for i, word in enumerate(command):
        if ":create_app()" in word:
            modules.append(word.split(":")[0])
        if word == "-A":
            modules.append(command[i + 1])
    return modules


def test_every_compose_command_points_at_a_module_that_exists():
    for name, service in COMPOSE["services"].items():
        command = service.get("command")
        if name in ("postgres", "redis"):
            continue
        targets = _targets(command)
        assert targets, f"{name} runs neither a web app nor a Celery app"
        for module in targets:
            assert _module_exists(module), f"{name}: {module} does not exist"


def test_every_procfile_process_points_at_a_module_that_exists():
    assert set(PROCFILE.processes) >= {"redis", "beat", *SERVICES, *(f"{s}_worker" for s in SERVICES if s != "gateway")}
    for name, command in PROCFILE.processes.items():
        for module in _targets(shlex.split(command)):
            assert _module_exists(module), f"Procfile {name}: {module} does not exist"


def test_only_the_gateway_publishes_a_port_and_there_is_exactly_one_beat():
    published = [name for name, service in COMPOSE["services"].items() if service.get("ports")]
    assert published == ["gateway"]
    beats = [name for name, service in COMPOSE["services"].items() if "beat" in (service.get("command") or [])]
    assert beats == ["beat"]


def test_each_worker_consumes_only_its_own_queue():
    for service in ("inventory", "pos", "suppliers"):
        command = COMPOSE["services"][f"{service}-worker"]["command"]
        assert command[command.index("-Q") + 1] == service
        assert f"services.{service}.worker" in command


def test_tests_procfile_and_compose_start_workers_with_one_command_line_on_the_prefork_pool():
    """acks_late + reject_on_worker_lost redeliver a task whose pool child died, and the hard time limit kills
    a child: both need the prefork pool, in production and in the tests alike."""
    from tests.support import expand_defaults, worker_command

    for service in ("inventory", "pos", "suppliers"):
        procfile = shlex.split(PROCFILE.processes[f"{service}_worker"])
        assert COMPOSE["services"][f"{service}-worker"]["command"] == procfile
        assert procfile[procfile.index("--pool") + 1] == "prefork"
        assert worker_command(service)[3:] == [expand_defaults(word) for word in procfile[1:]]


def test_each_service_has_its_own_postgres_database():
    urls = {s: COMPOSE["x-sentra"]["environment"][f"SENTRA_{s.upper()}_DATABASE_URL"] for s in SERVICES}
    databases = {url.rsplit("/", 1)[1] for url in urls.values()}
    assert len(databases) == len(SERVICES)
    created = set(re.findall(r"CREATE DATABASE (\w+);", (PROJECT_ROOT / "deploy/postgres-init.sql").read_text()))
    assert databases == created


def test_secrets_have_no_default_in_the_production_deployment():
    env = COMPOSE["x-sentra"]["environment"]
    for key in ("SENTRA_JWT_SECRET", "SENTRA_QRIS_CALLBACK_SECRET"):
        assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", env[key]), f"{key} must be required, not defaulted"
    assert env["SENTRA_ENV"] == "production"


def test_production_redis_keeps_messages_on_disk_and_never_evicts():
    conf = dict(
        line.split(None, 1)
        for line in (PROJECT_ROOT / "deploy/redis.conf").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert conf["appendonly"] == "yes"
    assert conf["maxmemory-policy"] == "noeviction"


def test_the_image_copies_everything_the_commands_need():
    dockerfile = (PROJECT_ROOT / "deploy/Dockerfile").read_text()
    for path in ("shared", "services", "deploy", "pyproject.toml"):
        assert f"COPY {path}" in dockerfile, f"the image lacks {path}"
    assert (PROJECT_ROOT / "deploy/entrypoint.sh").stat().st_mode & 0o111
