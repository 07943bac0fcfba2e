"""The Procfile's web process: gunicorn serves Bolt at /slack/events and /healthz.

Polling runs in the ``worker`` process (one only: APScheduler 3.x cannot share jobs between
processes); both read the same store through ``DATABASE_URL``.
"""

from __future__ import annotations

import logging
import os

from bot.app import create_bolt_app, wsgi_app
from bot.store import Store
from config.settings import Secrets, load_settings
from handlers import Services

logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper())
_settings = load_settings()
_secrets = Secrets.from_env()
application = wsgi_app(create_bolt_app(Services(Store(_settings.database_url()), _settings.rule_settings()), _secrets))
