"""Run one process of ``make run`` and start it again whenever it dies: ``python -m deploy.supervise NAME -- CMD``.

honcho (which runs the ``Procfile``) restarts nothing: a worker killed by the OOM killer or a Redis that crashed
would stay down, and the queues would wait. Each ``Procfile`` line runs its command under this small loop instead:
the command is restarted after it exits (after 1 s, doubling while it keeps dying quickly, at most 30 s), until
the supervisor itself is asked to stop (SIGTERM or SIGINT, which honcho sends to the whole process group on
Ctrl-C): then it waits for the command to exit and exits with its code. Compose does the same with
``restart: unless-stopped``.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

#: A run shorter than this counts as dying quickly (the restart delay doubles).
STABLE_AFTER = 30.0
FIRST_DELAY = 1.0
MAX_DELAY = 30.0


def supervise(name: str, command: list[str]) -> int:
    """Run ``command`` until asked to stop; returns the exit code of its last run."""
    stopping = threading.Event()
    child: subprocess.Popen[bytes] | None = None

    def stop(signum: int, _frame: object) -> None:
        stopping.set()
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    delay = FIRST_DELAY
    while True:
        started = time.monotonic()
        child = subprocess.Popen(command)
        code = child.wait()
        if stopping.is_set():
            return code
        delay = FIRST_DELAY if time.monotonic() - started > STABLE_AFTER else min(delay * 2, MAX_DELAY)
        print(f"supervise: {name} exited with {code}; starting it again in {delay:.0f}s", file=sys.stderr, flush=True)
        if stopping.wait(delay):
            return code


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m deploy.supervise NAME -- COMMAND [ARG ...]", file=sys.stderr)
        return 2
    return supervise(argv[0], argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
