"""The web process for ``bench_results``, started the way production starts it.

``gunicorn`` runs the Procfile's ``web`` command as written (only the bind address and, when
asked, the worker and thread counts change), so the benchmark measures what Heroku runs.
``serve`` runs ``python -m bot serve`` as the one-command deployment runs it: gunicorn's web
app, with the poller and delivery in a process of their own that serve supervises
(``PORT``/``HOST`` in its environment); the web process CPU it reports includes that child's.
``wsgiref`` serves the same ``bot.wsgi:application`` with the threaded server the tests use, for
comparison; ``python -m benchmarks._results_server --port N`` is that server's entry point.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "Procfile"
HOST = "127.0.0.1"


def free_port() -> int:
    """A loopback port free right now (the server binds it a moment later; a clash fails loudly)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def procfile_web(procfile: Path = PROCFILE) -> list[str]:
    """The ``web:`` command of the Procfile, split as a shell would."""
    for line in procfile.read_text(encoding="utf-8").splitlines():
        name, _, command = line.partition(":")
        if name.strip() == "web":
            return shlex.split(command)
    raise SystemExit(f"{procfile} has no web: process")


def _set_option(args: list[str], flag: str, value: str) -> list[str]:
    """``args`` with ``flag``'s value replaced (either ``--flag v`` or ``--flag=v``), or appended."""
    out, i, done = [], 0, False
    while i < len(args):
        arg = args[i]
        if arg == flag and i + 1 < len(args):
            out += [flag, value]
            i, done = i + 2, True
            continue
        if arg.startswith(flag + "="):
            out.append(f"{flag}={value}")
            i, done = i + 1, True
            continue
        out.append(arg)
        i += 1
    return out if done else out[:-1] + [flag, value, out[-1]]


def gunicorn_command(port: int, workers: int | None = None, threads: int | None = None) -> list[str]:
    """The Procfile's web command, bound to loopback, with this venv's interpreter."""
    args = procfile_web()
    if not args or Path(args[0]).name != "gunicorn":
        raise SystemExit(f"the Procfile's web process is not gunicorn: {shlex.join(args)}")
    args = _set_option(args[1:], "--bind", f"{HOST}:{port}")
    if workers is not None:
        args = _set_option(args, "--workers", str(workers))
    if threads is not None:
        args = _set_option(args, "--threads", str(threads))
    return [sys.executable, "-m", "gunicorn", *args]


def serve_command(config: Path) -> list[str]:
    """``python -m bot serve``; it takes its port from ``PORT`` (see ``serve_env``)."""
    return [sys.executable, "-m", "bot", "serve", "--config", str(config)]


def serve_env(port: int) -> dict[str, str]:
    """INFO, as ``serve`` runs in production: its line per ``/results`` is part of the request's cost."""
    return {"PORT": str(port), "HOST": HOST, "LOG_LEVEL": "INFO"}


def wsgiref_command(port: int) -> list[str]:
    return [sys.executable, "-m", "benchmarks._results_server", "--port", str(port)]


@contextmanager
def web_process(
    command: list[str], port: int, env: Mapping[str, str], log_path: Path, cwd: Path = ROOT, ready_timeout: float = 30.0
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``command`` in ``cwd`` (the checkout it runs; ``python -m`` puts it first on the
    path), wait until ``/healthz`` answers, stop it (SIGTERM, then SIGKILL) on exit."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=cwd, env=dict(env), stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(proc, f"http://{HOST}:{port}/healthz", log_path, ready_timeout)
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, log_path: Path, timeout: float = 30.0) -> None:
    """Until ``/healthz`` answers: 200, or 503 with its report. A 503 is the web process up and
    saying its feeds are stale: a seeded store's last poll grows older than the stale floor while
    earlier runs are measured, and the Procfile's worker starts only once its web answers (the
    national bench's second run waited 120 s for a 200 no worker could give it, and stopped)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the web process exited with {proc.returncode}:\n{log_tail(log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code == 503 and b'"status"' in exc.read():
                return
            time.sleep(0.1)
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the web process did not answer {url} within {timeout:.0f} s:\n{log_tail(log_path)}")


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of ``pid`` and its descendants (Linux ``/proc``; ``None`` elsewhere).

    Why: on a shared machine wall-clock latency moves with other people's load, while the
    server's CPU per request does not, so the two together say whether the code got slower.
    """
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total, stack, seen = 0.0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(c) for c in children)
        except (OSError, ValueError, IndexError):
            if current == pid:
                return None
    return total


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _serve_wsgiref(port: int) -> None:
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from bot.wsgi import application
    from tests.fakes.wsgi_server import ThreadingWSGIServer

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """No access log: thousands of lines would cost more than the requests."""

    server = make_server(HOST, port, application, server_class=ThreadingWSGIServer, handler_class=Quiet)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="serve bot.wsgi:application with the threaded wsgiref server")
    parser.add_argument("--port", type=int, required=True)
    _serve_wsgiref(parser.parse_args().port)
