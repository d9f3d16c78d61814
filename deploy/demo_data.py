"""The centre's opening set for ``make run``: Kabupaten Bekasi UMKM producers, their products and stock,
two registers, and demo logins. Loaded once, through the services' own APIs (never their databases).

The producers and products are illustrative demo data, not real businesses.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

import requests

from services.gateway import accounts
from shared.auth import Principal, issue_access_token
from shared.config import load_settings
from shared.db import utcnow

SUPPLIERS = [
    {
        "key": "dodol",
        "business_name": "Dodol Betawi Mpok Yati",
        "owner_name": "Yati Suryani",
        "phone": "081311120001",
        "address": "Jl. Raya Setu No. 12, Setu, Kab. Bekasi",
    },
    {
        "key": "kerupuk",
        "business_name": "Kerupuk Kulit Cikarang Jaya",
        "owner_name": "Hendra Wijaya",
        "phone": "081311120002",
        "address": "Kp. Pasir Gombong, Cikarang Utara, Kab. Bekasi",
    },
    {
        "key": "kopi",
        "business_name": "Kopi Sukamakmur",
        "owner_name": "Asep Saepudin",
        "phone": "081311120003",
        "address": "Desa Sukaharja, Sukamakmur, Kab. Bekasi",
    },
    {
        "key": "kue",
        "business_name": "Kue Kering Bu Ratna Tambun",
        "owner_name": "Ratna Dewi",
        "phone": "081311120004",
        "address": "Perum Griya Asri, Tambun Selatan, Kab. Bekasi",
    },
    {
        "key": "batik",
        "business_name": "Batik Bekasi Tarumanegara",
        "owner_name": "Siti Aminah",
        "phone": "081311120005",
        "address": "Jl. Raya Serang-Cibarusah, Cikarang Selatan, Kab. Bekasi",
    },
]

PRODUCTS = [
    ("dodol", "Dodol Betawi Original 250 g", "makanan", "pack", 25_000, "8991234500010"),
    ("dodol", "Dodol Betawi Durian 250 g", "makanan", "pack", 30_000, None),
    ("kerupuk", "Kerupuk Kulit Sapi 200 g", "makanan", "pack", 22_000, None),
    ("kerupuk", "Keripik Singkong Balado 150 g", "makanan", "pack", 15_000, None),
    ("kerupuk", "Sambal Bawang Khas Bekasi 150 ml", "makanan", "pcs", 28_000, None),
    ("kopi", "Kopi Robusta Sukamakmur 200 g", "minuman", "pack", 45_000, None),
    ("kopi", "Kopi Arabika Bekasi 100 g", "minuman", "pack", 55_000, None),
    ("kue", "Kembang Goyang 250 g", "makanan", "pack", 27_500, None),
    ("kue", "Kue Akar Kelapa 250 g", "makanan", "pack", 25_000, None),
    ("batik", "Kain Batik Bekasi Motif Kembang Kelapa", "kerajinan", "pcs", 350_000, None),
    ("batik", "Sarung Tangan Rajut", "fashion", "pcs", 35_000, None),
]

LOGINS = [
    ("admin", "Admin Sentra", "admin", "admin123", None),
    ("manajer", "Dewi (Manajer)", "manager", "manajer123", None),
    ("kasir", "Rudi (Kasir)", "cashier", "kasir123", None),
]


SEED_PRINCIPAL = Principal(user_id="demo-seed", name="Demo seed", role="admin")


class Seeder:
    def __init__(self, env: dict[str, str]):
        self.env = env
        settings = load_settings("gateway")
        self.urls = settings.service_urls
        self.secret = settings.jwt_secret
        self.http = requests.Session()
        self.marker = Path(env["SENTRA_DATA_DIR"]) / "demo-data.json"

    def call(self, service: str, method: str, path: str, retry_on_422_field: str | None = None, **kwargs) -> dict:
        deadline = time.monotonic() + 60
        while True:
            token = issue_access_token(self.secret, SEED_PRINCIPAL)  # what the gateway would forward
            response = self.http.request(
                method, self.urls[service] + path, headers={"Authorization": f"Bearer {token}"}, timeout=10, **kwargs
            )
            if response.ok:
                return response.json() if response.content else {}
            waiting_for_event = (
                retry_on_422_field
                and response.status_code == 422
                and retry_on_422_field in (response.json().get("errors") or {})
            )
            if waiting_for_event and time.monotonic() < deadline:
                time.sleep(0.5)  # the supplier.registered event has not reached this service yet
                continue
            raise RuntimeError(f"{method} {service}{path} → {response.status_code}: {response.text[:500]}")

    def wait_until_ready(self, timeout: float = 120) -> None:
        """Wait until every service's ``/readyz`` answers 200 (its database, Redis and the services behind the
        gateway), saying so in one line per service."""
        deadline = time.monotonic() + timeout
        pending = {"inventory", "pos", "suppliers", "gateway"}
        while pending and time.monotonic() < deadline:
            for service in sorted(pending):
                try:
                    if requests.get(self.urls[service] + "/readyz", timeout=2).status_code == 200:
                        pending.discard(service)
                        print(f"  {service:<10} ready at {self.urls[service]}", flush=True)
                except requests.RequestException:
                    pass
            time.sleep(0.5)
        if pending:
            raise RuntimeError(f"not ready after {timeout}s: {', '.join(sorted(pending))}")

    def seed(self) -> dict:
        if self.marker.exists():
            return json.loads(self.marker.read_text())
        supplier_ids = {}
        for supplier in SUPPLIERS:
            body = {k: v for k, v in supplier.items() if k != "key"}
            supplier_ids[supplier["key"]] = self.call("suppliers", "POST", "/suppliers", json=body)["id"]
        products = []
        for key, name, category, unit, price, barcode in PRODUCTS:
            body = {
                "name": name,
                "category": category,
                "unit": unit,
                "price": price,
                "supplier_id": supplier_ids[key],
                "reorder_point": 5,
            }
            if barcode:
                body["barcode"] = barcode
            products.append(self.call("inventory", "POST", "/products", retry_on_422_field="supplier_id", json=body))
        today = utcnow().date()
        for key, supplier_id in supplier_ids.items():
            lines = []
            for product in products:
                if product["supplier_id"] != supplier_id:
                    continue
                line = {"product_id": product["id"], "qty": 24, "lot_code": f"{key.upper()}-{today:%y%m%d}"}
                if product["category"] in ("makanan", "minuman"):
                    line["expiry_date"] = (today + timedelta(days=120)).isoformat()
                lines.append(line)
            self.call("inventory", "POST", "/intakes", json={"supplier_id": supplier_id, "lines": lines})
        for code in ("R01", "R02"):
            self.call("pos", "POST", "/registers", json={"code": code, "name": f"Kasir {code[-1]}"})
        logins = list(LOGINS) + [
            (s["key"], s["business_name"], "supplier", f"{s['key']}123", supplier_ids[s["key"]]) for s in SUPPLIERS
        ]
        for username, name, role, password, supplier_id in logins:
            command = ["create-user", "--username", username, "--name", name, "--role", role, "--password", password]
            if supplier_id:
                command += ["--supplier-id", supplier_id]
            with contextlib.redirect_stdout(io.StringIO()):  # "created cashier kasir (…)" is not news here
                if accounts.main(command) != 0:
                    raise RuntimeError(f"could not create the demo login {username}")
        result = {
            "logins": [{"username": u, "password": p, "role": r} for u, _n, r, p, _s in logins],
            "products": [{"name": p["name"], "barcode": p["barcode"], "price": p["price"]} for p in products],
        }
        self.marker.write_text(json.dumps(result, indent=2))
        return result


def seed_when_ready(env: dict[str, str]) -> None:
    """Wait for the services, load the demo data once, and print where to go and how to log in."""
    seeder = Seeder(env)
    try:
        seeder.wait_until_ready()
        result = seeder.seed()
    except Exception as exc:  # the platform keeps running; the developer sees why the demo data is missing
        print(f"\n!! demo data not loaded: {exc}\n", flush=True)
        return
    print(banner(result, seeder.urls["gateway"], seeder.marker.parent), flush=True)


def banner(result: dict, gateway: str, data_dir: Path) -> str:
    """Where to go, the demo logins, barcodes to scan, where the data lives and how to stop or reset."""
    logins = [f"  {login['role']:<9} {login['username']:<10} / {login['password']}" for login in result["logins"]]
    return "\n".join(
        [
            "",
            "=" * 64,
            f"  Sentra is running: {gateway}",
            "  Demo logins (role, username / password):",
            *logins,
            "  Barcodes to scan at the counter:",
            *[f"    {p['barcode']}  {p['name']}" for p in result["products"][:4]],
            f"  Data: {data_dir} (delete it, or `make clean`, for a fresh start)",
            "  Ctrl-C stops everything; `make demo-logins` shows this again.",
            "=" * 64,
            "",
        ]
    )


def show_logins(env: dict[str, str]) -> int:
    """``make demo-logins``: the banner again, from what the last ``make run`` loaded."""
    from deploy.dev import process_environment

    seeder = Seeder(process_environment() | env)
    if not seeder.marker.exists():
        print(f"No demo data in {seeder.marker.parent} yet: run `make run` first.", file=sys.stderr)
        return 1
    print(banner(json.loads(seeder.marker.read_text()), seeder.urls["gateway"], seeder.marker.parent))
    return 0


if __name__ == "__main__":
    import os

    if sys.argv[1:] == ["--logins"]:
        sys.exit(show_logins(dict(os.environ)))
    seed_when_ready(dict(os.environ))
