"""``make run`` (``python -m deploy.dev``, what its recipe runs) from a fresh data directory: every service ready,
demo data loaded, a quiet terminal that ends with the banner, a killed process started again, Ctrl-C stops
everything with exit code 0; a taken port named with the variable that moves it; Ctrl-C in a real terminal."""

from __future__ import annotations

import os
import pty
import re
import select
import socket
import subprocess
import sys
import time

import psutil
import pytest
import requests

from shared.celery_factory import SWEEP_EVERY
from shared.config import PROJECT_ROOT
from tests.support import DevStack, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

#: How long the idle platform is watched (each service's outbox sweep, the beat's most frequent task, runs four
#: times meanwhile), and the most log lines it may print in that time (fewer than 5 a minute).
IDLE_WATCH_SECONDS = 4 * SWEEP_EVERY.total_seconds()
IDLE_LINES_ALLOWED = 1
#: A line a newcomer would read as trouble.
TROUBLE = re.compile(r"warning|error|traceback|exception", re.IGNORECASE)


@pytest.fixture
def stack(tmp_path):
    stack = DevStack(tmp_path / "var")
    stack.start()
    yield stack
    stack.stop()


def printed_lines(stack: DevStack) -> list[str]:
    return [line for line in stack.log().splitlines() if line.strip()]


def _process_running(stack, module: str) -> psutil.Process | None:
    """The celery process of ``module`` under ``make run`` (not its supervisor), if one runs."""
    for child in psutil.Process(stack.process.pid).children(recursive=True):
        try:
            cmdline = child.cmdline()
        except psutil.Error:
            continue
        if module in cmdline and "deploy.supervise" not in cmdline and child.status() != psutil.STATUS_ZOMBIE:
            return child
    return None


def test_make_run_serves_everything_quietly_ends_with_the_banner_restarts_what_dies_and_stops_cleanly(stack):
    eventually(stack.ready, timeout=120, interval=1, message="all /readyz answer 200")
    eventually(lambda: "Sentra is running" in stack.log(), timeout=120, interval=1, message="demo data loaded")
    gateway = stack.urls["gateway"]
    login = requests.post(f"{gateway}/api/auth/login", json={"username": "kasir", "password": "kasir123"}, timeout=10)
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    registers = requests.get(f"{gateway}/api/pos/registers", headers=headers, timeout=10)
    assert registers.status_code == 200 and len(registers.json()) >= 1
    scanned = requests.get(f"{gateway}/api/pos/catalogue/barcode/8991234500010", headers=headers, timeout=10)
    assert scanned.status_code == 200 and scanned.json()["price"] == 25_000
    assert requests.get(f"{gateway}/login", timeout=10).status_code == 200

    at_banner = printed_lines(stack)
    banner_end = max(i for i, line in enumerate(at_banner) if line.startswith("=" * 20))
    assert len(at_banner) - banner_end <= 3, at_banner[banner_end:]  # the banner closes what was printed
    time.sleep(IDLE_WATCH_SECONDS)  # the platform idles: the sweeps and beat must not fill the terminal
    while_idle = printed_lines(stack)[len(at_banner) :]
    assert len(while_idle) <= IDLE_LINES_ALLOWED, while_idle
    assert [line for line in printed_lines(stack) if TROUBLE.search(line)] == []

    worker = _process_running(stack, "services.inventory.worker")
    worker.kill()  # SIGKILL, as the OOM killer would: its supervisor starts it again
    restarted = eventually(
        lambda: (found := _process_running(stack, "services.inventory.worker")) and found.pid != worker.pid and found,
        timeout=60,
        interval=0.5,
        message="the killed worker started again",
    )
    assert restarted.is_running()
    eventually(stack.ready, timeout=60, interval=1, message="all /readyz answer 200 again")

    children = psutil.Process(stack.process.pid).children(recursive=True)
    assert stack.stop() == 0
    eventually(
        lambda: not any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE for child in children),
        timeout=30,
        message="every process stopped after Ctrl-C",
    )


def test_make_run_names_a_taken_port_and_the_variable_that_moves_it(tmp_path):
    stack = DevStack(tmp_path / "var")
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind(("127.0.0.1", stack.ports["gateway"]))
    taken.listen()
    try:
        stack.start()
        assert stack.process.wait(60) == 1
    finally:
        taken.close()
        stack.stop()
    message = stack.log()
    assert f"port {stack.ports['gateway']}" in message and "SENTRA_GATEWAY_PORT" in message
    assert "Traceback" not in message


def test_make_demo_logins_prints_the_banner_again(tmp_path):
    """After a ``make run`` has loaded the demo data, the banner comes back on request."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    (data_dir / "demo-data.json").write_text(
        '{"logins": [{"username": "kasir", "password": "kasir123", "role": "cashier"}], "products": []}'
    )
    shown = subprocess.run(
        [sys.executable, "-m", "deploy.demo_data", "--logins"],
        cwd=PROJECT_ROOT,
        env={"SENTRA_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert "Sentra is running" in shown.stdout and "kasir      / kasir123" in shown.stdout


def test_ctrl_c_in_a_terminal_ends_make_run_itself_with_exit_code_0(tmp_path):
    """What the newcomer types: ``make run`` in a terminal, then Ctrl-C. The terminal's interrupt reaches the
    platform alone, which stops every process, and make exits 0 with no error line."""
    stack = DevStack(tmp_path / "var")  # only for its free ports and scratch data dir
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRA_")}
    env.update(SENTRA_DATA_DIR=str(stack.data_dir), SENTRA_REDIS_URL=f"redis://127.0.0.1:{stack.ports['redis']}/0")
    for name, url in stack.urls.items():
        env[f"SENTRA_{name.upper()}_PORT"] = str(stack.ports[name])
        env[f"SENTRA_{name.upper()}_URL"] = url
    pid, terminal = pty.fork()
    if pid == 0:  # the child: a shell in the new terminal, as a developer has
        os.chdir(PROJECT_ROOT)
        os.execvpe("bash", ["bash", "-c", "make run; echo MAKE_EXIT=$?"], env)
    screen = bytearray()

    def read_for(seconds: float, until: bytes | None = None) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not (until and until in screen):
            if select.select([terminal], [], [], 0.5)[0]:
                try:
                    screen.extend(os.read(terminal, 65536))
                except OSError:
                    return

    read_for(180, until=b"make demo-logins")
    assert b"Sentra is running" in screen, screen.decode(errors="replace")[-2000:]
    os.write(terminal, b"\x03")  # Ctrl-C
    read_for(60, until=b"MAKE_EXIT=")
    os.waitpid(pid, 0)
    text = screen.decode(errors="replace")
    assert "MAKE_EXIT=0" in text, text[-2000:]
    assert "make: ***" not in text
