"""The Procfile's web process: gunicorn serves Bolt at /slack/events, /healthz and /metrics
(bot/app/health.py, bot/app/metrics.py).

Polling runs in the ``worker`` process (one only: APScheduler 3.x cannot share jobs between
processes); both read the same store through ``DATABASE_URL``.

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

from bot.app.discord_app import discord_routes
from bot.app.health import operational_routes
from bot.app.logs import setup
from bot.app.metrics import Metrics
from bot.app.pictures import picture_routes, web_desk
from bot.app.settings import load_settings, rule_settings
from bot.app.slack_app import create_bolt_app, wsgi_app
from bot.store.database import Store
from bot.store.schema import SchemaError
from config.settings import Secrets
from handlers import Services

setup(background=True)  # LOG_LEVEL (default INFO), LOG_FORMAT=json; written off the request's path: bot/app/logs.py
_settings = load_settings()
_secrets = Secrets.from_env()
try:
    _store = Store(_settings.database_url())
except SchemaError as exc:  # a schema newer than this release: one line, not gunicorn's traceback
    raise SystemExit(f"electionbot: {exc}") from None
# This process answers /results only: its /metrics has /results latency of its own and the
# store's view of polls and deliveries (the worker's counters are the worker's: bot/app/metrics.py).
_metrics = Metrics(_store)
_rules = rule_settings(_settings)
# /results … chart | map: a DM upload, or an image block on /charts/ with PUBLIC_URL (bot/app/pictures.py)
_pictures = web_desk(_store, _rules, _settings.alerts.pictures, _secrets)
_services = Services(_store, _rules, on_command=_metrics.command, pictures=_pictures)
application = wsgi_app(
    create_bolt_app(_services, _secrets),
    routes={
        **operational_routes(_store, {f.name: f.interval_seconds for f in _settings.feeds}, _metrics),
        **discord_routes(_services, _secrets),  # /discord/interactions when DISCORD_PUBLIC_KEY is set
        **picture_routes(_pictures),  # /charts/<signed id>.png when PUBLIC_URL and LINK_SIGNING_KEY are set
    },
)
