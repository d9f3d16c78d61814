"""The platform for end-to-end tests: the four web apps served over real HTTP on free ports, real worker
processes for inventory, pos and suppliers (one of them running the beat), one private Redis: the run's shared
one (:func:`shared_platform`) for tests that leave it working, one of its own (:func:`platform`) for a test that
breaks it (the fault tests: workers killed, Redis restarted, a database out of service)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest
import requests

from tests.support import ServedApp, free_port


@dataclass
class Platform:
    urls: dict[str, str]
    settings: dict
    apps: dict
    redis: object
    #: The worker process of each service (the POS one also runs the beat).
    workers: dict = field(default_factory=dict)
    http: requests.Session = field(default_factory=requests.Session)

    def runtime(self, service: str):
        return self.apps[service].extensions["sentra"]

    def api(self, service: str) -> str:
        """The URL prefix of ``service``'s API behind the gateway."""
        return f"{self.urls['gateway']}/api/{service}"


WORKER_SERVICES = ("inventory", "pos", "suppliers")


@pytest.fixture
def platform_overrides() -> dict[str, dict]:
    """Settings per service on top of the test defaults (a module overrides this fixture, e.g. the fault tests'
    short confirmation deadline)."""
    return {}


@pytest.fixture
def platform(make_settings, redis_server, start_workers, platform_overrides):
    """A platform of the test's own, with the module's ``platform_overrides``."""
    from services.gateway import create_app as gateway_app
    from services.inventory import create_app as inventory_app
    from services.pos import create_app as pos_app
    from services.suppliers import create_app as suppliers_app

    factories = {"inventory": inventory_app, "pos": pos_app, "suppliers": suppliers_app, "gateway": gateway_app}
    ports = {service: free_port() for service in factories}
    urls = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
    settings = {
        service: replace(make_settings(service, **platform_overrides.get(service, {})), service_urls=urls)
        for service in factories
    }
    apps = {service: factory(settings[service]) for service, factory in factories.items()}
    served = [ServedApp(app, ports[service]) for service, app in apps.items()]
    redis_server.client().flushall()  # no messages left over from earlier tests
    workers = start_workers({service: settings[service] for service in WORKER_SERVICES}, beat="pos")
    yield Platform(urls=urls, settings=settings, apps=apps, redis=redis_server, workers=workers)
    for app in served:
        app.stop()


@pytest.fixture
def shared_platform(backend, running_centres) -> Platform:
    """The run's platform of ``backend``, started once and shared with the browser tests, its databases and
    broker as just started (:class:`tests.running_centre.RunningCentre`): for a test that leaves it working."""
    running = running_centres(backend)
    running.fresh()
    return Platform(
        urls=running.urls,
        settings=running.settings,
        apps=running.centre.apps,
        redis=running.redis,
        workers=running.workers,
    )
