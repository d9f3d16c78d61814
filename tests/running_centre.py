"""One running platform per backend for the whole test run, shared by every test that leaves it working: the
four services over real HTTP behind the gateway and the three workers on a Redis of their own (starting them is
most of such a test's cost), put back as just started before each test."""

from __future__ import annotations

from dataclasses import dataclass, replace

import requests

from tests.support import (
    DatabaseSnapshot,
    RedisServer,
    ServedApp,
    WorkerProcess,
    broker_idle,
    eventually,
    free_port,
    settings_for,
    start_together,
)


@dataclass
class Centre:
    """The running platform seen from outside: the gateway URL and a manager's API session through it."""

    url: str
    apps: dict
    manager: requests.Session

    @property
    def api(self) -> str:
        return f"{self.url}/api"

    def token(self, username: str, password: str) -> dict:
        response = requests.post(f"{self.api}/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def add_user(self, username, name, role, password, supplier_id=None) -> None:
        from services.gateway import accounts

        with self.apps["gateway"].extensions["sentra"].transaction() as session:
            accounts.upsert_user(session, username, name, role, password, supplier_id)


class RunningCentre:
    """The four services over real HTTP behind the gateway and the three workers on a Redis of their own,
    started once per backend for the whole run: starting them is most of a browser or end-to-end test's cost.

    Before each test (:meth:`fresh`) the broker is left to finish what the last test sent, then every database
    goes back to its state at start-up (migrated, with the logins ``manajer`` and ``kasir``), so a test sees the
    centre as if it had just been started. Should the broker not fall idle (a test left events retrying), its
    queues are emptied and the workers started again."""

    SERVICES = ("gateway", "inventory", "pos", "suppliers")
    WORKER_SERVICES = ("inventory", "pos", "suppliers")

    def __init__(self, backend: str, directory, templates):
        from services.gateway import create_app as gateway_app
        from services.inventory import create_app as inventory_app
        from services.pos import create_app as pos_app
        from services.suppliers import create_app as suppliers_app

        factories = {"gateway": gateway_app, "inventory": inventory_app, "pos": pos_app, "suppliers": suppliers_app}
        self.redis = RedisServer(directory / "redis")
        self.redis.start()
        ports = {service: free_port() for service in self.SERVICES}
        self.urls = urls = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
        self.settings = settings = {
            service: replace(
                settings_for(service, templates.database(backend, service, directory, for_run=True), self.redis.url),
                service_urls=urls,
            )
            for service in self.SERVICES
        }
        apps = {service: factories[service](settings[service]) for service in self.SERVICES}
        self.served = [ServedApp(apps[service], ports[service]) for service in self.SERVICES]
        #: The worker process of each service.
        self.workers = {
            service: WorkerProcess(settings[service], directory / f"{service}-worker.log")
            for service in self.WORKER_SERVICES
        }
        start_together(list(self.workers.values()))
        self.centre = Centre(url=urls["gateway"], apps=apps, manager=requests.Session())
        self.centre.add_user("manajer", "Dewi Manajer", "manager", "manajer-pass-1")
        self.centre.add_user("kasir", "Rudi Kasir", "cashier", "kasir-pass-1")
        self.snapshots = [DatabaseSnapshot(app.extensions["sentra"].engine) for app in apps.values()]
        self.used = False

    def fresh(self) -> Centre:
        """The centre as just started (see the class)."""
        if self.used:
            try:
                eventually(lambda: broker_idle(self.redis.client()), timeout=15, message="the broker idle")
            except AssertionError:
                self._restart_workers_on_an_empty_broker()
            for snapshot in self.snapshots:
                snapshot.restore()
        self.used = True
        self.centre.manager = requests.Session()
        self.centre.manager.headers.update(self.centre.token("manajer", "manajer-pass-1"))
        return self.centre

    def _restart_workers_on_an_empty_broker(self) -> None:
        for worker in self.workers.values():
            worker.discard()
        self.redis.client().flushall()
        start_together(list(self.workers.values()))

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.discard()
        for server in self.served:
            server.stop()
        self.redis.stop()
