"""The load client of ``bench_results``: signed slash commands over HTTP/1.1, from its own process.

Why a separate process and asyncio: a client thread pool inside the server's process fights it
for the GIL, and the latency it measures is mostly its own queueing. One event loop can keep
50 connections busy on one core while the server has the rest of the machine.

Run by ``bench_results``, not by hand; the signing secret comes in ``BENCH_SIGNING_SECRET``
(Slack) or the Ed25519 seed in ``BENCH_DISCORD_SEED`` (hex, ``--platform discord``: the
interaction ``/results`` as Discord POSTs it, signed over timestamp + body)::

    python -m benchmarks._results_client --url http://127.0.0.1:PORT/slack/events \
        --requests 2000 --concurrency 20 [--text alabama] [--warmup 40] [--fresh-connections] [--platform discord]

Prints one JSON object: ``latencies_ms`` (measured requests only, in completion order),
``wall_s``, ``statuses`` (status → count), ``bodies`` (distinct response bodies → count, at most
``MAX_BODIES``) and ``errors`` (transport failures, as text).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from nacl.signing import SigningKey

from tests.fakes.discord_signing import command, encode
from tests.fakes.slack_signing import signed_headers, slash_body

MAX_BODIES = 20
TIMEOUT_S = 30.0


@dataclass
class Tally:
    """What the measured requests produced; warm-up requests are checked but not timed."""

    latencies_ms: list[float] = field(default_factory=list)
    spans: list[tuple[float, float]] = field(default_factory=list)  # (sent, answered), epoch seconds
    statuses: Counter[int] = field(default_factory=Counter)
    bodies: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def record(self, status: int, body: bytes) -> None:
        self.statuses[status] += 1
        text = body.decode("utf-8", "replace")
        if text in self.bodies or len(self.bodies) < MAX_BODIES:
            self.bodies[text] += 1


class Connection:
    """One keep-alive HTTP/1.1 connection; reopens when the server closes it (wsgiref does)."""

    def __init__(self, host: str, port: int, fresh: bool) -> None:
        self.host, self.port, self.fresh = host, port, fresh
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        version, status = lines[0].split(" ", 2)[:2]
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await _read_chunked(self.reader)
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if self.fresh or version == "HTTP/1.0" or headers.get("connection", "").lower() == "close":
            await self.close()
        return int(status), body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def build_request(host: str, port: int, path: str, body: str, secret: str, discord: SigningKey | None = None) -> bytes:
    """Signed now, as Slack (or Discord) signs each delivery; the server verifies every one."""
    headers = discord_headers(body, discord) if discord is not None else signed_headers(body, secret)
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        f"Content-Length: {len(body.encode())}",
        "Connection: keep-alive",
    ]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n" + body).encode()


def discord_headers(body: str, key: SigningKey) -> dict[str, str]:
    stamp = str(int(time.time()))
    signature = key.sign(stamp.encode() + body.encode()).signature.hex()
    return {"Content-Type": "application/json", "X-Signature-Ed25519": signature, "X-Signature-Timestamp": stamp}


async def run(
    url: str,
    total: int,
    concurrency: int,
    text: str,
    secret: str,
    warmup: int,
    fresh: bool,
    duration: float | None = None,
    discord: SigningKey | None = None,
    stop_file: str | None = None,
) -> tuple[Tally, float]:
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
    body = encode(command(text)).decode() if discord is not None else slash_body(text)
    tally = Tally()
    connections = [Connection(host, port, fresh) for _ in range(concurrency)]

    deadline: list[float] = []  # set for the measured phase when --duration is given

    async def worker(conn: Connection, queue: list[bool]) -> None:
        while queue:
            if deadline and time.perf_counter() >= deadline[0]:
                return
            timed = queue[-1] if deadline else queue.pop()  # a timed run never empties its queue
            request = build_request(host, port, path, body, secret, discord)
            sent = time.time()
            started = time.perf_counter()
            try:
                status, answer = await asyncio.wait_for(conn.post(request), TIMEOUT_S)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                tally.errors.append(f"{type(exc).__name__}: {exc}")
                await conn.close()
                continue
            elapsed = time.perf_counter() - started
            if timed:
                tally.latencies_ms.append(elapsed * 1000)
                tally.spans.append((sent, sent + elapsed))
                tally.record(status, answer)
            elif status != 200:
                tally.errors.append(f"warm-up request answered {status}: {answer[:200]!r}")

    # Warm-up first (Bolt's one auth.test, the first decode, every server thread), untimed.
    warm = [False] * warmup
    await asyncio.gather(*(worker(c, warm) for c in connections))
    measured = [True] * total
    started = time.perf_counter()
    if duration is not None:
        deadline.append(started + duration)
    watcher = asyncio.create_task(_stop_when(stop_file, deadline)) if stop_file and deadline else None
    await asyncio.gather(*(worker(c, measured) for c in connections))
    wall = time.perf_counter() - started
    if watcher is not None:
        watcher.cancel()
    for conn in connections:
        await conn.close()
    return tally, wall


async def _stop_when(stop_file: str, deadline: list[float]) -> None:
    """A timed run ends early once ``stop_file`` exists (the bench saw what it waited for)."""
    while not os.path.exists(stop_file):
        await asyncio.sleep(0.1)
    deadline[0] = time.perf_counter()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="bench_results' load client (run by bench_results)")
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--text", default="alabama")
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--fresh-connections", action="store_true", help="a new TCP connection per request")
    parser.add_argument("--duration", type=float, help="measure for this many seconds instead of --requests")
    parser.add_argument("--platform", choices=("slack", "discord"), default="slack")
    parser.add_argument("--stop-file", help="with --duration: stop as soon as this file exists")
    args = parser.parse_args(argv)
    secret = os.environ.get("BENCH_SIGNING_SECRET") or ""
    seed = os.environ.get("BENCH_DISCORD_SEED") or ""
    if args.platform == "slack" and not secret:
        print("BENCH_SIGNING_SECRET is not set", file=sys.stderr)
        return 2
    if args.platform == "discord" and not seed:
        print("BENCH_DISCORD_SEED is not set", file=sys.stderr)
        return 2
    discord = SigningKey(bytes.fromhex(seed)) if args.platform == "discord" else None
    cpu = time.process_time()
    tally, wall = asyncio.run(
        run(
            args.url,
            args.requests,
            args.concurrency,
            args.text,
            secret,
            args.warmup,
            args.fresh_connections,
            args.duration,
            discord,
            args.stop_file,
        )
    )
    json.dump(
        {
            "latencies_ms": tally.latencies_ms,
            "spans": tally.spans,
            "wall_s": wall,
            "statuses": {str(k): v for k, v in tally.statuses.items()},
            "bodies": dict(tally.bodies),
            "errors": tally.errors[:50],
            "error_count": len(tally.errors),
            "client_cpu_s": time.process_time() - cpu,  # warm-up included, as in the server's figure
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
