"""Small timing helpers: medians of repeated batches, loopback HTTP load."""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
from collections.abc import Callable

__all__ = ["cpu_seconds", "http_rps", "per_call_us"]

_TICKS = os.sysconf("SC_CLK_TCK")


def per_call_us(fn: Callable[[int], None], n: int, rounds: int = 7) -> float:
    """Median over ``rounds`` of the time per call, in microseconds, for ``fn(i)``."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for i in range(n):
            fn(i)
        samples.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(samples)


async def _conn(host: str, port: int, request: bytes, stop: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    done = 0
    try:
        while time.perf_counter() < stop:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head[:200].decode(errors="replace"))
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            done += 1
    finally:
        writer.close()
        counts.append(done)


def http_rps(port: int, request: bytes, seconds: float = 3.0, connections: int = 16) -> float:
    """Requests per second over keep-alive connections on loopback (bounded in time)."""

    async def run() -> float:
        counts: list[int] = []
        start = time.perf_counter()
        stop = start + seconds
        await asyncio.gather(
            *(_conn("127.0.0.1", port, request, stop, counts) for _ in range(connections))
        )
        return sum(counts) / (time.perf_counter() - start)

    return asyncio.run(run())


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its children (gunicorn's worker), in seconds."""
    total = 0.0
    with contextlib.suppress(OSError):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        total += (int(fields[11]) + int(fields[12])) / _TICKS
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
        total += sum(cpu_seconds(child) for child in children)
    return total
