"""Resident memory of the whole ``make run`` stack at idle (target: under 1 GiB in total).

Usage: ``.venv/bin/python bench/memory.py`` — starts the stack on free ports in a scratch directory, waits
until every /readyz answers and the demo data is loaded, lets it idle, sums the resident set size of every
process of the stack, prints a table, and stops it.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import DevStack, eventually

LIMIT = 1024**3


def _role(process: psutil.Process) -> str:
    cmdline = " ".join(process.cmdline())
    for marker in ("redis-server", "gateway", "inventory", "pos", "suppliers", "beat", "deploy.dev"):
        if marker in cmdline:
            kind = "worker" if " worker" in cmdline else ("web" if "gunicorn" in cmdline else "")
            return f"{marker} {kind}".strip()
    return cmdline[:40]


def main(idle_seconds: float = 15) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        stack = DevStack(Path(scratch) / "var")
        stack.start()
        try:
            eventually(stack.ready, timeout=120, interval=1, message="stack ready")
            eventually(lambda: "Sentra is running" in stack.log(), timeout=120, interval=1, message="demo data")
            time.sleep(idle_seconds)
            root = psutil.Process(stack.process.pid)
            per_role: dict[str, int] = defaultdict(int)
            for process in [root, *root.children(recursive=True)]:
                try:
                    per_role[_role(process)] += process.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
        finally:
            stack.stop()
    total = sum(per_role.values())
    for role, rss in sorted(per_role.items(), key=lambda item: -item[1]):
        print(f"{role:<28} {rss / 2**20:8.1f} MiB")
    print(
        f"{'total':<28} {total / 2**20:8.1f} MiB  (limit {LIMIT / 2**20:.0f} MiB) "
        f"-> {'OK' if total < LIMIT else 'OVER'}"
    )
    return 0 if total < LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
