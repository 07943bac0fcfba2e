"""The Procfile's web process: gunicorn serves Bolt at /slack/events, /healthz and /metrics
(bot/app/health.py, bot/app/metrics.py).

Polling runs in the ``worker`` process (one only: APScheduler 3.x cannot share jobs between
processes); both read the same store through ``DATABASE_URL``. ``python -m bot serve`` runs this
same app (``bot.app.web_server.web_app``) with the worker as a child process of its own.

Four threads, not eight: a ``/results`` answer is about 1 ms of CPU under one GIL (half of it
gunicorn's own HTTP handling) with one short store query, so more threads add no throughput,
only GIL hand-offs that stretch the slowest requests. Measured with
``benchmarks/bench_results.py`` at 20 concurrent requests on a 2-core machine: p99 about
30-40 ms with 2 threads, 43-49 ms with 4, 45-70 ms with 8. Four rather than two keeps the
app answering while a request or two wait on a store write (a subscription during a poll's
commit). More web workers (processes) are safe, since the web process holds no scheduler, and
help when the host has idle cores.
"""

from __future__ import annotations

from bot.app.logs import setup
from bot.app.settings import load_settings
from bot.app.web_server import web_app
from bot.store.schema import SchemaError
from config.settings import Secrets

setup(background=True)  # LOG_LEVEL (default INFO), LOG_FORMAT=json; written off the request's path: bot/app/logs.py
try:
    # the same app as serve's web worker: Bolt, /healthz, /metrics, /discord/interactions, /charts/
    application = web_app(load_settings(), Secrets.from_env())
except SchemaError as exc:  # a schema newer than this release: one line, not gunicorn's traceback
    raise SystemExit(f"electionbot: {exc}") from None
