"""``make run`` from a fresh data directory: every service ready, demo data loaded, Ctrl-C stops everything."""

from __future__ import annotations

import psutil
import pytest
import requests

from tests.support import DevStack, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def stack(tmp_path):
    stack = DevStack(tmp_path / "var")
    stack.start()
    yield stack
    stack.stop()


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

    children = psutil.Process(stack.process.pid).children(recursive=True)
    assert stack.stop() is not None
    eventually(
        lambda: not any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE for child in children),
        timeout=30,
        message="every process stopped after Ctrl-C",
    )
