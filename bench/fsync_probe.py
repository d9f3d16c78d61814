"""How long the disk takes to make a small write durable: the wait every PostgreSQL commit shares (its WAL flush).

Usage::

    .venv/bin/python bench/fsync_probe.py [--dir /var/lib/postgresql] [--seconds 30]

Appends 8 KiB to a scratch file in ``--dir`` (put it on the disk that holds PostgreSQL's WAL) and ``fdatasync``\\ s
it about a hundred times a second, then prints the latency percentiles and how many took over 50 ms. A checkout
waits for one such flush; a flush that stalls for 200 ms stalls every commit waiting behind it, which is what a
paced run's checkout p99 shows when the disk stalls (``bench/README.md``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def probe(directory: str, seconds: float) -> list[float]:
    """The milliseconds each ``fdatasync`` of an 8 KiB append took, for ``seconds``."""
    block, latencies = b"x" * 8192, []
    with tempfile.NamedTemporaryFile(dir=directory, prefix="fsync_probe_") as scratch:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            os.write(scratch.fileno(), block)
            started = time.perf_counter()
            os.fdatasync(scratch.fileno())
            latencies.append((time.perf_counter() - started) * 1000)
            time.sleep(0.01)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default=".", help="a directory on the disk to probe")
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    latencies = sorted(probe(args.dir, args.seconds))

    def percentile(pct: float) -> float:
        return latencies[min(len(latencies) - 1, round(pct / 100 * (len(latencies) - 1)))]

    print(
        f"{len(latencies)} fdatasyncs: p50 {percentile(50):.2f} ms  p99 {percentile(99):.2f} ms"
        f"  p99.9 {percentile(99.9):.1f} ms  max {latencies[-1]:.1f} ms"
        f"  over 50 ms: {sum(latency > 50 for latency in latencies)}"
    )


if __name__ == "__main__":
    main()
