"""``make run`` from a fresh data directory: every service ready, demo data loaded, a killed process started again,
Ctrl-C stops everything."""

from __future__ import annotations

import psutil
import pytest
import requests

from tests.support import DevStack, eventually

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(tmp_path):
    stack = DevStack(tmp_path / "var")
    stack.start()
    yield stack
    stack.stop()


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


def test_make_run_serves_the_gateway_with_every_service_ready_and_the_demo_data_loaded(stack):
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
    assert stack.stop() is not None
    eventually(
        lambda: not any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE for child in children),
        timeout=30,
        message="every process stopped after Ctrl-C",
    )
