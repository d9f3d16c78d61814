"""Gunicorn settings for every Sentra web app in production (override with GUNICORN_* env)."""

import os
import sys

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
errorlog = "-"
#: gunicorn's own lines (booting, workers) follow the platform's level; ``make run`` keeps it at WARNING.
loglevel = os.environ.get("SENTRA_LOG_LEVEL", "INFO").lower()


def post_fork(server, worker):
    """A 1 ms GIL switch interval instead of Python's 5 ms: a short request (a barcode lookup) that arrives while
    a checkout thread runs gets the interpreter sooner. Measured in bench/README.md (POS section)."""
    sys.setswitchinterval(0.001)
